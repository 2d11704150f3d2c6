// Text output of `reach check --dnsbl`: an aligned table, one row per (address, zone), and one
// summary line.
#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "base/text.hpp"
#include "format/check_writer.hpp"
#include "format/dnsbl_writer.hpp"

namespace reach::format {
const char* dnsbl_status_word(model::DnsblStatus s) {
  switch (s) {
    case model::DnsblStatus::listed: return "listed";
    case model::DnsblStatus::not_listed: return "not-listed";
    case model::DnsblStatus::error: return "error";
  }
  return "?";
}

void write_dnsbl_text(std::ostream& out, const std::vector<model::DnsblOutcome>& rows, const model::DnsblSummary& s) {
  std::vector<std::array<std::string, 6>> cells;
  cells.push_back({"ADDRESS", "ZONE", "RESULT", "TIME", "CODES", "REASON"});
  for (const auto& o : rows) {
    std::string addr = printable(o.input);
    if (o.mapped_v4) addr += " (as " + o.addr.to_string() + ")";
    std::string reason = o.reason;
    if (!o.txt.empty()) reason += ": " + o.txt;
    cells.push_back({addr, printable(o.zone), dnsbl_status_word(o.status), check_time_text(o.time),
                     o.codes.empty() ? "-" : printable(fmt::format("{}", fmt::join(o.codes, ","))), printable(reason)});
  }
  std::array<std::size_t, 6> w{};
  for (const auto& c : cells)
    for (std::size_t i = 0; i < c.size(); ++i) w[i] = std::max(w[i], c[i].size());
  for (const auto& c : cells) {
    std::string line;
    for (std::size_t i = 0; i < c.size(); ++i) line += i + 1 == c.size() ? c[i] : fmt::format("{:<{}}  ", c[i], w[i]);
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << '\n';
  }
  out << fmt::format("{} {} x {} {}: {} listed, {} not listed, {} zone {} ({:.2f}s)\n", s.addresses,
                     s.addresses == 1 ? "address" : "addresses", s.zones, s.zones == 1 ? "zone" : "zones", s.listed,
                     s.not_listed, s.errors, s.errors == 1 ? "error" : "errors", static_cast<double>(s.elapsed) / 1e9);
  out.flush();
}

}  // namespace reach::format
