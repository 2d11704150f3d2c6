// MRTG's 4-line external-script output for a watch target (see watch_mrtg.hpp).
#include "format/watch_mrtg.hpp"

#include <fmt/format.h>

#include <cmath>

#include "format/rtt_summary.hpp"

namespace reach::format {

std::string mrtg_uptime(TimeNs uptime) {
  std::int64_t s = std::max<TimeNs>(uptime, 0) / kNsPerSec;
  std::int64_t days = s / 86400;
  std::string hms = fmt::format("{:02}:{:02}:{:02}", s / 3600 % 24, s / 60 % 60, s % 60);
  if (days == 0) return hms;
  return fmt::format("{} day{}, {}", days, days == 1 ? "" : "s", hms);
}

std::string watch_mrtg(const std::optional<model::RoundResult>& last, TimeNs uptime, std::string_view name) {
  std::string in = "UNKNOWN", out = "UNKNOWN";
  if (last && !last->rtts.empty()) in = fmt::format("{}", std::llround(summarize_rtts(last->rtts).median * 1e6));
  if (last && last->sent > 0)
    out = fmt::format("{}", std::llround(100.0 * (last->sent - last->received) / last->sent));
  std::string label(name);
  for (char& c : label)
    if (c == '\n' || c == '\r') c = ' ';  // the name is one line
  return fmt::format("{}\n{}\n{}\n{}\n", in, out, mrtg_uptime(uptime), label);
}

}  // namespace reach::format
