#pragma once
// `reach usage`'s exports for other monitors (docs/USAGE.md "Output"):
//  - MRTG (`--mrtg IFACE`): the 4 lines of an external script — the bytes received and sent as
//    counters (every byte reach counted from that source since it first saw it: they never go
//    back, so MRTG's counter mode graphs rates without the spikes of a reset), the time since
//    then ("3 days, 02:10:05"), the name;
//  - Nagios (`--nagios -w 80% -c 90%`): plugin output per the guidelines, the percent of the cap
//    against the thresholds; perfdata in bytes (UOM B) and percent per plan;
//  - Prometheus: reach_usage_* families for watch's /metrics (format/prom_exposition).
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "format/check_writer.hpp"
#include "format/prom_exposition.hpp"
#include "model/usage.hpp"

namespace reach::format {

// A source never read: both values "UNKNOWN" (MRTG logs unknown, not 0).
std::string usage_mrtg(const model::UsageSourceStatus& source, std::int64_t now);

struct UsageNagiosThresholds {
  std::optional<double> warn_pct, crit_pct;  // percent of the cap; reached (>=) counts
};
// CRITICAL or WARNING by the thresholds; else UNKNOWN when a source of the plan cannot be read
// (its count may be short), else OK. A cap warning is never hidden by a source problem.
NagiosState usage_nagios_state(const model::UsagePlanReport& plan, const UsageNagiosThresholds& t);
// `USAGE STATE: text | perfdata`; with several plans one more line per plan that is not OK.
// No plans: UNKNOWN. Returns the exit code.
int write_usage_nagios(std::ostream& out, const model::UsageReport& report, const UsageNagiosThresholds& t);

// reach_usage_cycle_bytes{plan,direction}, reach_usage_used_bytes{plan}, reach_usage_cap_bytes,
// reach_usage_ratio, reach_usage_cycle_start/end_timestamp_seconds, reach_usage_daily_budget_bytes,
// reach_usage_projected_exhaustion_timestamp_seconds (only for plans with a projection),
// reach_usage_threshold_fired{plan,percent}, reach_usage_source_bytes_total{plan,source,name,direction},
// reach_usage_source_up{plan,source,name}.
std::vector<prom::Family> usage_metric_families(const model::UsageReport& report);

}  // namespace reach::format
