// Percent, thresholds, projection and daily budget of a plan (usage_plan.hpp).
#include "engine/usage_plan.hpp"

#include <algorithm>
#include <cmath>

#include "engine/usage_history.hpp"

namespace reach::engine {

std::uint64_t counted(config::UsageCount count, std::uint64_t rx, std::uint64_t tx) {
  switch (count) {
    case config::UsageCount::rx: return rx;
    case config::UsageCount::tx: return tx;
    default: return rx + tx < rx ? UINT64_MAX : rx + tx;  // saturate, never wrap to a small number
  }
}

bool reached(std::uint64_t used, std::uint64_t cap, int percent) {
  using U = unsigned __int128;
  return static_cast<U>(used) * 100 >= static_cast<U>(cap) * static_cast<unsigned>(std::max(percent, 0));
}

PlanStatus plan_status(const config::UsagePlan& plan, std::uint64_t used, CycleBounds cycle, std::int64_t now) {
  PlanStatus st;
  st.used = used;
  st.cap = plan.cap;
  st.cycle = cycle;
  now = std::clamp(now, cycle.start, std::max(cycle.start, cycle.end));
  st.percent = plan.cap ? static_cast<double>(used) * 100.0 / static_cast<double>(plan.cap) : 0;
  const std::int64_t remaining = cycle.end - now;
  st.days_left = remaining > 0 ? static_cast<int>((remaining + 86399) / 86400) : 0;
  const std::uint64_t left = plan.cap > used ? plan.cap - used : 0;
  st.daily_budget = st.days_left > 0 ? left / static_cast<std::uint64_t>(st.days_left) : 0;

  const std::int64_t elapsed = now - cycle.start;
  const std::int64_t settle = std::min<std::int64_t>(86400, (cycle.end - cycle.start) / 10);
  if (used > 0 && used < plan.cap && elapsed > 0 && elapsed >= settle) {
    // At the average rate so far the cap is reached cap / rate = cap * elapsed / used after the start.
    long double after = static_cast<long double>(plan.cap) * static_cast<long double>(elapsed) /
                        static_cast<long double>(used);
    long double at = static_cast<long double>(cycle.start) + std::ceil(after);
    if (at < static_cast<long double>(cycle.end)) st.projected_exhaustion = static_cast<std::int64_t>(at);
  }
  return st;
}

std::vector<int> crossed(ThresholdState& state, const config::UsagePlan& plan, const PlanStatus& status) {
  if (state.cycle_start != status.cycle.start) state = ThresholdState{status.cycle.start, {}};
  auto fired = [&](int p) { return std::find(state.fired.begin(), state.fired.end(), p) != state.fired.end(); };
  std::vector<int> out;
  if (status.projected_exhaustion && status.used < status.cap && !fired(kProjected)) out.push_back(kProjected);
  for (int p : plan.thresholds)
    if (reached(status.used, status.cap, p) && !fired(p)) out.push_back(p);
  if ((!plan.on_cap_exec.empty() || plan.on_cap_block) && reached(status.used, status.cap, 100) && !fired(kOnCap)) out.push_back(kOnCap);
  state.fired.insert(state.fired.end(), out.begin(), out.end());
  std::sort(state.fired.begin(), state.fired.end());
  return out;
}

model::UsagePlanReport plan_report(const config::UsagePlan& plan, const PlanStatus& st, std::uint64_t rx,
                                   std::uint64_t tx, const ThresholdState& state, const ZoneRules& zone,
                                   std::int64_t now) {
  model::UsagePlanReport r;
  r.name = plan.name;
  r.count = plan.count;
  r.tz = plan.cycle.tz;
  r.cap = st.cap;
  r.rx = rx;
  r.tx = tx;
  r.used = st.used;
  r.percent = st.percent;
  r.cycle_start = st.cycle.start;
  r.cycle_end = st.cycle.end;
  r.cycle_start_local = local_stamp(st.cycle.start, zone);
  r.cycle_end_local = local_stamp(st.cycle.end, zone);
  r.now_local = local_stamp(now, zone);
  r.projected_exhaustion = st.projected_exhaustion;
  if (st.projected_exhaustion) r.projected_local = local_stamp(*st.projected_exhaustion, zone);
  r.daily_budget = st.daily_budget;
  r.days_left = st.days_left;
  r.thresholds = plan.thresholds;
  if (state.cycle_start == st.cycle.start) r.fired = state.fired;
  return r;
}

}  // namespace reach::engine
