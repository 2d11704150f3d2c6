#pragma once
// What a plan's numbers mean: percent of cap, thresholds that fire exactly once per cycle, the
// projected exhaustion and the daily budget. Pure. The rules (docs/USAGE.md "Alerts"):
//  - projection: the cycle's average rate so far (used / elapsed), once at least
//    min(24 h, a tenth of the cycle) has passed (a burst in the first minutes projects nothing);
//    the instant the cap is reached at that rate, shown only when it falls before the cycle's end;
//  - daily budget: what is left of the cap divided by the days left (partial days count whole).
#include <cstdint>
#include <optional>
#include <vector>

#include "config/usage_config.hpp"
#include "engine/usage_cycle.hpp"
#include "model/usage.hpp"

namespace reach::engine {

struct PlanStatus {
  std::uint64_t used = 0, cap = 0;              // bytes in the current cycle (by plan.count)
  double percent = 0;
  CycleBounds cycle;
  std::optional<std::int64_t> projected_exhaustion;  // unix s, only when before cycle.end
  std::uint64_t daily_budget = 0;               // bytes/day left until cycle.end (0 when over)
  int days_left = 0;                            // whole or partial days until cycle.end
};

// The bytes a plan counts from a cycle's received and sent bytes.
std::uint64_t counted(config::UsageCount count, std::uint64_t rx, std::uint64_t tx);

// `now` unix s, within `cycle` (clamped to it otherwise).
PlanStatus plan_status(const config::UsagePlan& plan, std::uint64_t used, CycleBounds cycle,
                       std::int64_t now);

// Whether `used` bytes reach `percent` % of `cap`, exactly (no floating point).
bool reached(std::uint64_t used, std::uint64_t cap, int percent);

// Persisted per plan: which thresholds already fired in which cycle.
struct ThresholdState {
  std::int64_t cycle_start = 0;
  std::vector<int> fired;        // percents, ascending; -1 = "projected to exceed", -2 = on_cap ran
};
inline constexpr int kProjected = -1;
inline constexpr int kOnCap = -2;

// Thresholds newly crossed, ascending (each at most once per cycle; a new cycle clears `fired`);
// updates `state`. Several at once when usage jumped (first poll after a downtime): all of them.
// Also kProjected once per cycle when a projection first falls before cycle.end, unless the cap
// is already reached; and kOnCap once per cycle when the plan has an on_cap action and the cap
// is reached (used >= cap, whatever its thresholds).
std::vector<int> crossed(ThresholdState& state, const config::UsagePlan& plan, const PlanStatus& status);

// The plan's part of a report: names, numbers, local times in `zone`, fired thresholds (when
// `state` is this cycle's). Sources and history rows are the tool's to add.
model::UsagePlanReport plan_report(const config::UsagePlan& plan, const PlanStatus& status, std::uint64_t rx,
                                   std::uint64_t tx, const ThresholdState& state, const ZoneRules& zone,
                                   std::int64_t now);

}  // namespace reach::engine
