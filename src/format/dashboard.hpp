#pragma once
// watch's dashboard (docs/DASHBOARD.md): the server-rendered pages and the JSON the page's
// script polls. Pure: rows, points and times come from the caller, nothing is read here.
// Everything from the config (target names, labels, reasons) is escaped on the way out.
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "base/time.hpp"
#include "model/watch.hpp"

namespace reach::format {

// & < > " ' as entities: safe in element text and in quoted attribute values.
std::string html_escape(std::string_view s);
// Percent-encodes everything but unreserved characters (RFC 3986), for one path segment.
std::string url_segment(std::string_view s);

// One target on the overview.
struct DashRow {
  std::string name, probe, state;  // state: unknown, up, down
  TimeNs since_wall = 0;           // when the shown state began; 0 = not yet known
  std::optional<TimeNs> median;    // median of the recent rounds' medians
  double loss = 0;                 // recent loss 0..1
  std::string sparkline;           // recent medians (format/sparkline)
  std::string reason;              // why the last round failed, empty when it passed
};

// The overview's sort keys; `sort` is one of them, unknown keys sort by name.
inline constexpr std::string_view kDashSortKeys[] = {"name", "probe", "state", "since", "median", "loss"};
// Rows whose name contains `filter` (case-insensitive), sorted by `sort` (ties by name); `desc`
// reverses. What the page's script does in the browser, done here for a client without it.
std::vector<DashRow> dashboard_select(std::vector<DashRow> rows, std::string_view filter,
                                      std::string_view sort, bool desc);
// The overview page: a complete table without JavaScript; overview.js refreshes it in place.
std::string dashboard_overview_html(const std::vector<DashRow>& rows, std::string_view filter,
                                    std::string_view sort, bool desc);
// {"targets":[{name, probe, state, since, median_rtt_seconds?, loss_ratio, sparkline, reason}]}
std::string dashboard_rows_json(const std::vector<DashRow>& rows);
// A target's page: its row and one graph per range, drawn by target.js from the series API;
// with `paths` (watch traces this target) the path section: the last up path beside the last
// trace, hop by hop, filled by target.js from /api/v1/targets/NAME/path, and a "Trace now" form.
std::string dashboard_target_html(const DashRow& row, bool paths = false);

// --- series: what one smoke graph shows ---

struct DashRange {
  std::string_view name;  // "3h", "30h", "10d", "360d"
  TimeNs span;
};
// SmokePing's four default graphs.
std::span<const DashRange> dashboard_ranges();
// Points per graph (about one per two pixels of a 960 px graph). The store reads minutes while
// there are at most 4 rows per point: 480 keeps the 30-hour graph (1,800 minutes) on minutes.
inline constexpr std::size_t kDashPoints = 480;

struct DashWindow {
  TimeNs from = 0, to = 0;  // unix ns, [from, to)
  std::size_t points = kDashPoints;
};
// The window of a graph: `range` back from `now`, or the explicit [from, to) of a zoom (at
// least a minute wide, never past now + a minute). An unknown range or a backwards window is
// an error whose op is the parameter to blame ("range", "from").
Result<DashWindow> dashboard_window(std::string_view range, std::optional<TimeNs> from,
                                    std::optional<TimeNs> to, TimeNs now);

// The quantiles drawn as smoke: the RTT distribution of each point, 0 (min) to 1 (max).
inline constexpr double kSmokeQuantiles[] = {0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1};

// One point of a graph (a round, or a rollup of rounds).
struct SeriesPoint {
  TimeNs wall = 0;
  std::string resolution;            // raw, 1m, 1h
  std::uint32_t rounds = 0, successes = 0;
  std::uint64_t sent = 0, received = 0;
  std::optional<TimeNs> median;      // mean of the rounds' medians; none without a reply
  std::vector<TimeNs> smoke;         // RTT at each kSmokeQuantiles; empty without a reply
};
// SmokePing's loss colours (its default loss_colors for 20 pings, by share lost).
std::string_view loss_colour(double loss);
// {"target","range","from","to","points":[{t, resolution, rounds, successes, sent, received,
//  loss, colour, median?, smoke?}], "events":[{t, type, alert?, from, to, reason?}]}
std::string dashboard_series_json(std::string_view target, std::string_view range, const DashWindow& w,
                                  const std::vector<SeriesPoint>& points,
                                  const std::vector<model::WatchEvent>& events);

}  // namespace reach::format
