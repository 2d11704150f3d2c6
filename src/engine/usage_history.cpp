// History spans and re-bucketing (usage_history.hpp).
#include "engine/usage_history.hpp"

#include <algorithm>
#include <deque>

namespace reach::engine {

std::vector<CycleBounds> spans(Span kind, const config::UsageCycle& cycle, const ZoneRules& zone, std::int64_t from,
                               std::int64_t to, std::size_t max) {
  auto at = [&](std::int64_t t) -> CycleBounds {
    switch (kind) {
      case Span::hour: {
        std::int64_t h = t - ((t % 3600) + 3600) % 3600;
        return {h, h + 3600};
      }
      case Span::day: return day_at(zone, t);
      case Span::month: return month_at(zone, t);
      default: return cycle_at(cycle, zone, t);
    }
  };
  std::deque<CycleBounds> out;
  if (to <= from || max == 0) return {};
  // Walk back from the newest, so `max` bounds the work as well as the answer.
  for (CycleBounds b = at(to - 1); out.size() < max; b = at(b.start - 1)) {
    out.push_front(b);
    if (b.start <= from) break;
  }
  return {out.begin(), out.end()};
}

model::LocalStamp local_stamp(std::int64_t unix_s, const ZoneRules& zone) {
  CivilTime c = unix_to_local(unix_s, zone);
  return {c.year, c.month, c.day, c.hour, c.minute, c.second, zone.offset_at(unix_s)};
}

std::vector<model::UsageBucket> sum_into(const std::vector<HourRow>& rows, const std::vector<CycleBounds>& spans,
                                         const ZoneRules& zone) {
  std::vector<model::UsageBucket> out;
  out.reserve(spans.size());
  for (const auto& s : spans) out.push_back({s.start, s.end, local_stamp(s.start, zone), 0, 0});
  for (const auto& r : rows) {
    auto it = std::upper_bound(spans.begin(), spans.end(), r.start,
                               [](std::int64_t t, const CycleBounds& s) { return t < s.start; });
    if (it == spans.begin()) continue;
    --it;
    if (r.start >= it->end) continue;
    auto& b = out[static_cast<std::size_t>(it - spans.begin())];
    b.rx += r.rx;
    b.tx += r.tx;
  }
  return out;
}

}  // namespace reach::engine
