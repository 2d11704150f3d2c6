// What one smoke graph of the dashboard shows: the window of a range or a zoom, and the points
// and events as JSON for target.js.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "format/dashboard.hpp"
#include "format/wall_time.hpp"
#include "format/watch_words.hpp"

namespace reach::format {

namespace {
constexpr TimeNs kHourNs = 3600 * kNsPerSec;
constexpr DashRange kRanges[] = {
    {"3h", 3 * kHourNs}, {"30h", 30 * kHourNs}, {"10d", 240 * kHourNs}, {"360d", 360 * 24 * kHourNs}};
}  // namespace

std::span<const DashRange> dashboard_ranges() { return kRanges; }

Result<DashWindow> dashboard_window(std::string_view range, std::optional<TimeNs> from, std::optional<TimeNs> to,
                                    TimeNs now) {
  const DashRange* r = nullptr;
  for (const DashRange& c : kRanges)
    if (c.name == range) r = &c;
  if (!r) return fail("range", std::string(range), 0, "want 3h, 30h, 10d or 360d");
  DashWindow w;
  w.to = std::min(to.value_or(now), now + 60 * kNsPerSec);
  w.from = from.value_or(w.to - r->span);
  if (w.from >= w.to) return fail("from", {}, 0, "must be before to (and now + 1 minute)");
  // A zoom narrower than a minute shows nothing new: widen it around its middle.
  if (w.to - w.from < 60 * kNsPerSec) {
    const TimeNs mid = w.from + (w.to - w.from) / 2;
    w.from = mid - 30 * kNsPerSec;
    w.to = mid + 30 * kNsPerSec;
  }
  return w;
}

std::string_view loss_colour(double loss) {
  const double of20 = loss * 20;  // SmokePing's thresholds are lost pings out of 20
  if (loss <= 0) return "#26ff00";
  if (of20 < 2) return "#00b8ff";
  if (of20 < 3) return "#0059ff";
  if (of20 < 4) return "#5e00ff";
  if (of20 < 10) return "#7e00ff";
  if (of20 < 19) return "#dd00ff";
  return "#ff0000";
}

std::string dashboard_series_json(std::string_view target, std::string_view range, const DashWindow& w,
                                  const std::vector<SeriesPoint>& points,
                                  const std::vector<model::WatchEvent>& events) {
  using nlohmann::json;
  json pts = json::array();
  for (const SeriesPoint& p : points) {
    const double loss =
        p.sent ? static_cast<double>(p.sent - std::min(p.sent, p.received)) / static_cast<double>(p.sent) : 1.0;
    json j{{"t", unix_seconds(p.wall)}, {"resolution", p.resolution}, {"rounds", p.rounds},
           {"successes", p.successes},  {"sent", p.sent},             {"received", p.received},
           {"loss", loss},              {"colour", loss_colour(loss)}};
    if (p.median) j["median"] = unix_seconds(*p.median);
    if (!p.smoke.empty()) {
      json s = json::array();
      for (TimeNs v : p.smoke) s.push_back(unix_seconds(v));
      j["smoke"] = std::move(s);
    }
    pts.push_back(std::move(j));
  }
  json evs = json::array();
  for (const model::WatchEvent& e : events) {
    if (e.target != target || e.wall < w.from || e.wall >= w.to) continue;
    json j{{"t", unix_seconds(e.wall)}, {"type", watch_event_word(e.kind)}, {"from", watch_state_word(e.from)},
           {"to", watch_state_word(e.to)}};
    if (!e.alert.empty()) j["alert"] = e.alert;
    if (!e.reason.empty()) j["reason"] = e.reason;
    evs.push_back(std::move(j));
  }
  json q = json::array();
  for (double v : kSmokeQuantiles) q.push_back(v);
  json out{{"target", target}, {"range", range},       {"from", unix_seconds(w.from)}, {"to", unix_seconds(w.to)},
           {"quantiles", q},   {"points", pts},        {"events", evs}};
  return out.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace reach::format
