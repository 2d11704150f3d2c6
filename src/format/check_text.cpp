// Text output of `reach check`: an aligned table and one summary line.
#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "base/text.hpp"
#include "format/check_writer.hpp"

namespace reach::format {
namespace {

std::string result_text(const model::CheckOutcome& o) {
  if (o.kind != model::CheckKind::tcp && o.http_status != 0 &&
      (o.status == model::CheckStatus::http_ok || o.status == model::CheckStatus::http_status))
    return fmt::format("{} {}", check_status_word(o.status), o.http_status);
  return check_status_word(o.status);
}

}  // namespace

std::string check_time_text(const std::optional<TimeNs>& t) {
  if (!t) return "-";
  double ms = static_cast<double>(*t) / 1e6;
  if (ms < 1) return fmt::format("{:.3f}ms", ms);
  if (ms < 1000) return fmt::format("{:.1f}ms", ms);
  return fmt::format("{:.2f}s", ms / 1000);
}

const char* check_status_word(model::CheckStatus s) {
  using S = model::CheckStatus;
  switch (s) {
    case S::open: return "open";
    case S::alive: return "alive";
    case S::refused: return "refused";
    case S::timeout: return "timeout";
    case S::no_route: return "no-route";
    case S::unreachable: return "unreachable";
    case S::prohibited: return "prohibited";
    case S::reset: return "reset";
    case S::filtered: return "filtered";
    case S::http_ok: return "ok";
    case S::http_status: return "bad-status";
    case S::http_body: return "bad-body";
    case S::tls: return "tls-error";
    case S::cert_expiry: return "cert-expiry";
    case S::error: return "error";
  }
  return "?";
}

const char* check_kind_word(model::CheckKind k) {
  switch (k) {
    case model::CheckKind::tcp: return "tcp";
    case model::CheckKind::http: return "http";
    case model::CheckKind::https: return "https";
    case model::CheckKind::icmp: return "icmp";
    case model::CheckKind::syn: return "syn";
  }
  return "?";
}

void write_check_text(std::ostream& out, const std::vector<model::CheckOutcome>& rows, const model::CheckSummary& s,
                      const GeoOf& geo) {
  bool policy = std::any_of(rows.begin(), rows.end(), [](const auto& o) { return o.must_pass.has_value(); });
  std::vector<std::array<std::string, 7>> cells;
  cells.push_back({"NAME", "ENDPOINT", "RESULT", "TIME", policy ? "POLICY" : "", "GEO", "REASON"});
  for (const auto& o : rows) {
    std::string pol;
    if (o.must_pass) pol = o.ok ? (*o.must_pass ? "ok (pass)" : "ok (block)")
                                : (*o.must_pass ? "VIOLATION (must pass)" : "VIOLATION (must block)");
    std::string where = geo && o.addr ? geo_brackets(geo(*o.addr)) : "";
    cells.push_back({printable(o.name), printable(o.endpoint), result_text(o), check_time_text(o.time), pol,
                     where.empty() ? "-" : where, printable(o.reason)});
  }
  std::array<std::size_t, 7> w{};
  for (const auto& c : cells)
    for (std::size_t i = 0; i < c.size(); ++i) w[i] = std::max(w[i], c[i].size());
  for (const auto& c : cells) {
    std::string line;
    for (std::size_t i = 0; i < c.size(); ++i) {
      if ((i == 4 && !policy) || (i == 5 && !geo)) continue;
      if (i + 1 == c.size()) line += c[i];
      else line += fmt::format("{:<{}}  ", c[i], w[i]);
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << '\n';
  }
  out << fmt::format("{} {}: {} ok, {} failed ({:.2f}s)\n", s.total,
                     policy ? (s.total == 1 ? "flow" : "flows") : (s.total == 1 ? "endpoint" : "endpoints"), s.ok,
                     s.failed, static_cast<double>(s.elapsed) / 1e9);
}

}  // namespace reach::format
