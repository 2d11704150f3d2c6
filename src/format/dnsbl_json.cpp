// `reach check --dnsbl --json` (one `dnsbl` object per address and zone, then a `summary`) and
// `--nagios`.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "format/dnsbl_writer.hpp"
#include "format/nagios_perf.hpp"

namespace reach::format {
namespace {

constexpr int kSchemaVersion = 1;

double ms(TimeNs ns) { return static_cast<double>(ns) / 1e6; }

// A TXT record is whatever bytes the zone put there: invalid UTF-8 is replaced, not thrown.
std::string dump(const nlohmann::ordered_json& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

}  // namespace

void write_dnsbl_json(std::ostream& out, const std::vector<model::DnsblOutcome>& rows, const model::DnsblSummary& s) {
  for (const auto& o : rows) {
    nlohmann::ordered_json j{{"type", "dnsbl"},     {"version", kSchemaVersion},
                             {"input", o.input},    {"addr", o.addr.to_string()},
                             {"zone", o.zone},      {"query", o.query},
                             {"result", dnsbl_status_word(o.status)},
                             {"listed", o.status == model::DnsblStatus::listed},
                             {"ok", o.status == model::DnsblStatus::not_listed},
                             {"reason", o.reason},  {"attempts", o.attempts}};
    if (o.mapped_v4) j["mapped_v4"] = true;
    if (!o.rcode.empty()) j["rcode"] = o.rcode;
    if (!o.codes.empty()) j["codes"] = o.codes;
    if (!o.txt.empty()) j["txt"] = o.txt;
    if (o.time) {
      j["time_ms"] = ms(*o.time);
      j["time_ns"] = *o.time;
    }
    out << dump(j) << '\n';
  }
  nlohmann::ordered_json sum{{"type", "summary"},        {"version", kSchemaVersion},  {"total", s.total},
                             {"ok", s.not_listed},       {"failed", s.listed + s.errors},
                             {"listed", s.listed},       {"not_listed", s.not_listed}, {"errors", s.errors},
                             {"listed_addresses", s.listed_addresses},                 {"elapsed_ms", ms(s.elapsed)}};
  out << dump(sum) << '\n';
  out.flush();
}

int write_dnsbl_nagios(std::ostream& out, const std::vector<model::DnsblOutcome>& rows, const model::DnsblSummary& s) {
  NagiosState st = s.listed_addresses > 0 ? NagiosState::critical : s.errors > 0 ? NagiosState::unknown : NagiosState::ok;
  std::string summary = fmt::format("{} of {} addresses listed", s.listed_addresses, s.addresses);
  std::vector<std::string> listed;
  for (const auto& o : rows)
    if (o.status == model::DnsblStatus::listed)
      listed.push_back(fmt::format("{} on {} {}", o.input, o.zone, fmt::join(o.codes, ",")));
  if (!listed.empty()) summary += fmt::format(" ({})", fmt::join(listed, ", "));
  if (s.errors) summary += fmt::format(", {} of {} queries without an answer", s.errors, s.total);
  TimeNs slowest = 0;
  for (const auto& o : rows)
    if (o.time) slowest = std::max(slowest, *o.time);
  std::string perf = fmt::format("'listed'={};;0;0;{} 'listings'={};;;0;{} 'zone_errors'={};;;0;{} 'time'={:.6f}s;;;0;",
                                 s.listed_addresses, s.addresses, s.listed, s.total, s.errors, s.total,
                                 static_cast<double>(slowest) / 1e9);
  out << "CHECK " << nagios_state_word(st) << ": " << nagios_text(summary) << " | " << perf << '\n';
  for (const auto& o : rows) {
    if (o.status == model::DnsblStatus::not_listed) continue;
    std::string what = o.status == model::DnsblStatus::listed
                           ? fmt::format("listed {}{}", fmt::join(o.codes, ","), o.txt.empty() ? "" : ", " + o.txt)
                           : fmt::format("{}, {}", dnsbl_status_word(o.status), o.reason);
    out << nagios_text(o.input) << " on " << nagios_text(o.zone) << ": " << nagios_text(what) << '\n';
  }
  out.flush();
  return static_cast<int>(st);
}

}  // namespace reach::format
