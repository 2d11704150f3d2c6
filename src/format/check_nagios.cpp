// `reach check --nagios`: the Nagios plugin convention (first line `CHECK STATUS: summary |
// perfdata`, exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN).
#include <fmt/format.h>

#include <algorithm>

#include "base/text.hpp"
#include "format/check_writer.hpp"
#include "format/nagios_perf.hpp"

namespace reach::format {
namespace {

std::string num(const std::optional<double>& v) { return v ? fmt::format("{:g}", *v) : ""; }
std::string num(const std::optional<unsigned>& v) { return v ? fmt::format("{}", *v) : ""; }

std::size_t failed_count(const std::vector<model::CheckOutcome>& rows) {
  return static_cast<std::size_t>(std::count_if(rows.begin(), rows.end(), [](const auto& o) { return !o.ok; }));
}

}  // namespace

NagiosState nagios_state(const std::vector<model::CheckOutcome>& rows, const NagiosThresholds& t) {
  std::size_t failed = failed_count(rows);
  unsigned crit_failed = t.crit_failed.value_or(0);
  if (failed > crit_failed) return NagiosState::critical;
  NagiosState s = NagiosState::ok;
  if (t.warn_failed && failed > *t.warn_failed) s = NagiosState::warning;
  for (const auto& o : rows) {
    if (!o.ok || !o.time) continue;
    double secs = static_cast<double>(*o.time) / 1e9;
    if (t.crit_seconds && secs > *t.crit_seconds) return NagiosState::critical;
    if (t.warn_seconds && secs > *t.warn_seconds) s = NagiosState::warning;
  }
  return s;
}

int write_check_nagios(std::ostream& out, const std::vector<model::CheckOutcome>& rows, const NagiosThresholds& t) {
  NagiosState s = nagios_state(rows, t);
  std::size_t failed = failed_count(rows);
  std::string summary = fmt::format("{} of {} endpoints ok", rows.size() - failed, rows.size());
  std::vector<std::string> bad;
  for (const auto& o : rows)
    if (!o.ok) bad.push_back(fmt::format("{} {}", nagios_text(o.name), check_status_word(o.status)));
  if (!bad.empty()) summary += fmt::format(", {} failed ({})", failed, fmt::join(bad, ", "));
  std::string perf;
  for (const auto& o : rows) {
    std::string value = o.time && o.ok ? fmt::format("{:.6f}s", static_cast<double>(*o.time) / 1e9) : "U";
    perf += fmt::format("{}={};{};{};0; ", nagios_perf_label(o.name), value, num(t.warn_seconds), num(t.crit_seconds));
  }
  perf += fmt::format("'failed'={};{};{};0;{}", failed, num(t.warn_failed),
                      t.crit_failed ? num(t.crit_failed) : std::string("0"), rows.size());
  out << "CHECK " << nagios_state_word(s) << ": " << summary << " | " << perf << '\n';
  for (const auto& o : rows)
    if (!o.ok)
      out << nagios_text(o.name) << " (" << nagios_text(o.endpoint) << "): " << check_status_word(o.status) << ", " << nagios_text(o.reason)
          << '\n';
  out.flush();
  return static_cast<int>(s);
}

int write_nagios_unknown(std::ostream& out, std::string_view why) {
  out << "CHECK UNKNOWN: " << nagios_text(why) << '\n';
  out.flush();
  return static_cast<int>(NagiosState::unknown);
}

}  // namespace reach::format
