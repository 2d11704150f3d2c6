// Text output of `reach usage` (usage_text.hpp).
#include "format/usage_text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <vector>

#include "base/text.hpp"

namespace reach::format {
namespace {

const char* count_word(model::UsageCount c) {
  return c == model::UsageCount::rx ? "received (rx)" : c == model::UsageCount::tx ? "sent (tx)" : "rx + tx";
}

std::string offset(long seconds) {
  char sign = seconds < 0 ? '-' : '+';
  long a = seconds < 0 ? -seconds : seconds;
  return fmt::format("{}{:02}:{:02}", sign, a / 3600, a / 60 % 60);
}

// `v` divided by 1000 until under 1000 (rounded to two decimals), with the unit it reached.
std::string scaled(double v, const std::array<const char*, 7>& units) {
  std::size_t u = 0;
  while (v >= 999.995 && u + 1 < units.size() && units[u + 1]) {
    v /= 1000;
    ++u;
  }
  return fmt::format("{:.2f} {}", v, units[u]);
}

// "145.35 kbit/s" over `seconds`; "" when no time passed.
std::string rate(std::uint64_t bytes, std::int64_t seconds) {
  if (seconds <= 0) return "";
  static constexpr std::array<const char*, 7> kUnits = {"bit/s", "kbit/s", "Mbit/s", "Gbit/s", "Tbit/s", nullptr, nullptr};
  return scaled(static_cast<double>(bytes) * 8.0 / static_cast<double>(seconds), kUnits);
}

std::string sources_line(const model::UsagePlanReport& p) {
  std::vector<std::string> names;
  for (const auto& s : p.sources) names.push_back(printable(s.name));
  return fmt::format("{}", fmt::join(names, ", "));
}

std::string day_label(const model::UsageBucket& b) {
  return fmt::format("{:04}-{:02}-{:02}", b.local.year, b.local.month, b.local.day);
}

// A monthly cycle from the 1st at 00:00 is shown as its month, as vnstat -m does; others by
// their first day.
std::string cycle_label(const model::UsageBucket& b) {
  bool calendar = b.local.day == 1 && b.local.hour == 0 && b.local.minute == 0 && b.end - b.start >= 27 * 86400 &&
                  b.end - b.start <= 32 * 86400;
  return calendar ? fmt::format("{:04}-{:02}", b.local.year, b.local.month) : day_label(b);
}

std::string table(const model::UsageReport& report, const char* what, bool cycles,
                  const std::vector<model::UsageBucket> model::UsagePlanReport::*rows) {
  std::string out;
  for (const auto& p : report.plans) {
    if (!out.empty()) out += '\n';
    out += fmt::format(" {} ({})\n\n", printable(p.name), sources_line(p));
    out += fmt::format(" {:>12} | {:>11} | {:>11} | {:>11} | {:>14}\n", what, "rx", "tx", "total", "avg. rate");
    out += " " + std::string(13, '-') + "+" + std::string(13, '-') + "+" + std::string(13, '-') + "+" +
           std::string(13, '-') + "+" + std::string(15, '-') + "\n";
    const auto& list = p.*rows;
    if (list.empty()) out += " no data yet\n";
    for (const auto& b : list) {
      std::uint64_t total = b.rx + b.tx;
      std::int64_t seconds = std::min(b.end, std::max(report.now, b.start)) - b.start;
      out += fmt::format(" {:>12} | {:>11} | {:>11} | {:>11} | {:>14}\n", cycles ? cycle_label(b) : day_label(b),
                         usage_bytes(b.rx), usage_bytes(b.tx), usage_bytes(total), rate(total, seconds));
    }
  }
  return out;
}

}  // namespace

std::string usage_bytes(std::uint64_t bytes) {
  if (bytes < 1000) return fmt::format("{} B", bytes);
  static constexpr std::array<const char*, 7> kUnits = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
  return scaled(static_cast<double>(bytes), kUnits);
}

std::string usage_local(const model::LocalStamp& t) {
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02} {}", t.year, t.month, t.day, t.hour, t.minute, offset(t.utc_offset));
}

std::string usage_status_text(const model::UsageReport& report) {
  std::string out;
  for (const auto& p : report.plans) {
    if (!out.empty()) out += '\n';
    out += fmt::format("{}: {} of {} ({:.1f} %), {}\n", printable(p.name), usage_bytes(p.used), usage_bytes(p.cap),
                       p.percent, count_word(p.count));
    out += fmt::format("  cycle    {} to {} ({})\n", usage_local(p.cycle_start_local), usage_local(p.cycle_end_local),
                       printable(p.tz));
    out += fmt::format("  traffic  rx {}, tx {}\n", usage_bytes(p.rx), usage_bytes(p.tx));
    if (p.used >= p.cap)
      out += fmt::format("  budget   over the cap by {}\n", usage_bytes(p.used - p.cap));
    else
      out += fmt::format("  budget   {}/day left for {} day{}\n", usage_bytes(p.daily_budget), p.days_left,
                         p.days_left == 1 ? "" : "s");
    if (p.projected_local)
      out += fmt::format("  warning  at this rate the cap is reached {}\n", usage_local(*p.projected_local));
    std::vector<std::string> fired;
    for (int f : p.fired)
      if (f >= 0) fired.push_back(fmt::format("{} %", f));
    if (!fired.empty()) out += fmt::format("  alerts   {} sent this cycle\n", fmt::join(fired, ", "));
    if (std::find(p.fired.begin(), p.fired.end(), -2) != p.fired.end()) out += "  action   on_cap ran this cycle\n";
    for (const auto& s : p.sources) {
      out += fmt::format("  source   {}: rx {}, tx {}", printable(s.name), usage_bytes(s.rx), usage_bytes(s.tx));
      out += s.ok ? "\n" : fmt::format(" ({})\n", printable(s.problem));
    }
  }
  return out;
}

std::string usage_days_text(const model::UsageReport& report) {
  return table(report, "day", false, &model::UsagePlanReport::days);
}

std::string usage_months_text(const model::UsageReport& report) {
  return table(report, "cycle", true, &model::UsagePlanReport::cycles);
}

}  // namespace reach::format
