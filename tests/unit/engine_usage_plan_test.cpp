// A plan's status: percent, daily budget, projection, and thresholds that fire exactly once per
// cycle (a restart reloads the state; a new cycle clears it).
#include <gtest/gtest.h>

#include <vector>

#include "engine/usage_plan.hpp"

namespace reach::engine {
namespace {

constexpr std::int64_t kDay = 86400;
constexpr std::int64_t kStart = 1796083200;  // 2026-12-01T00:00:00Z
const CycleBounds kCycle{kStart, kStart + 31 * kDay};

config::UsagePlan plan(std::uint64_t cap) {
  config::UsagePlan p;
  p.name = "p";
  p.cap = cap;
  return p;
}

TEST(UsagePlan, Counted) {
  EXPECT_EQ(counted(config::UsageCount::rx, 5, 7), 5u);
  EXPECT_EQ(counted(config::UsageCount::tx, 5, 7), 7u);
  EXPECT_EQ(counted(config::UsageCount::both, 5, 7), 12u);
  EXPECT_EQ(counted(config::UsageCount::both, UINT64_MAX, 7), UINT64_MAX);
}

TEST(UsagePlan, ReachedIsExact) {
  EXPECT_TRUE(reached(80, 100, 80));
  EXPECT_FALSE(reached(79, 100, 80));
  // 80 % of 30 GB is 24e9 exactly; one byte less is not.
  EXPECT_TRUE(reached(24'000'000'000u, 30'000'000'000u, 80));
  EXPECT_FALSE(reached(23'999'999'999u, 30'000'000'000u, 80));
  // No overflow near 2^64.
  EXPECT_TRUE(reached(UINT64_MAX, UINT64_MAX, 100));
  EXPECT_FALSE(reached(UINT64_MAX - 1, UINT64_MAX, 100));
  EXPECT_FALSE(reached(UINT64_MAX, UINT64_MAX / 2 + 1, 1000));
  // Percent of a cap that is not a multiple of 100: 80 % of 33 B is 26.4 B.
  EXPECT_FALSE(reached(26, 33, 80));
  EXPECT_TRUE(reached(27, 33, 80));
}

TEST(UsagePlan, PercentAndDailyBudget) {
  // 30 GB cap, 9 GB used after 21 days and 12 hours: 21 GB left for 10 days (9.5 counts as 10).
  auto st = plan_status(plan(30'000'000'000u), 9'000'000'000u, kCycle, kStart + 21 * kDay + 12 * 3600);
  EXPECT_DOUBLE_EQ(st.percent, 30.0);
  EXPECT_EQ(st.days_left, 10);
  EXPECT_EQ(st.daily_budget, 2'100'000'000u);
  EXPECT_EQ(st.cycle, kCycle);
  EXPECT_FALSE(st.projected_exhaustion);  // 30 % after 69 % of the cycle: not on track to exceed
  // Over the cap: no budget, no projection.
  st = plan_status(plan(1000), 1500, kCycle, kStart + 10 * kDay);
  EXPECT_DOUBLE_EQ(st.percent, 150.0);
  EXPECT_EQ(st.daily_budget, 0u);
  EXPECT_FALSE(st.projected_exhaustion);
  EXPECT_EQ(st.days_left, 21);
  // The last second of the cycle: one day left; at its end none.
  EXPECT_EQ(plan_status(plan(1000), 0, kCycle, kCycle.end - 1).days_left, 1);
  EXPECT_EQ(plan_status(plan(1000), 0, kCycle, kCycle.end).days_left, 0);
  EXPECT_EQ(plan_status(plan(1000), 0, kCycle, kCycle.end).daily_budget, 0u);
}

TEST(UsagePlan, Projection) {
  auto p = plan(30'000'000'000u);
  // 15 GB in the first 10 days: 1.5 GB/day, the cap is reached after 20 days.
  auto st = plan_status(p, 15'000'000'000u, kCycle, kStart + 10 * kDay);
  ASSERT_TRUE(st.projected_exhaustion);
  EXPECT_EQ(*st.projected_exhaustion, kStart + 20 * kDay);
  // 10 GB in 11 days: 33 days to the cap, after the cycle's end (31 days): no projection.
  EXPECT_FALSE(plan_status(p, 10'000'000'000u, kCycle, kStart + 11 * kDay).projected_exhaustion);
  // A burst in the first hours projects nothing until a day (a tenth of the cycle, if shorter) passed.
  EXPECT_FALSE(plan_status(p, 5'000'000'000u, kCycle, kStart + 3600).projected_exhaustion);
  EXPECT_FALSE(plan_status(p, 5'000'000'000u, kCycle, kStart + kDay - 1).projected_exhaustion);
  EXPECT_TRUE(plan_status(p, 5'000'000'000u, kCycle, kStart + kDay).projected_exhaustion);
  CycleBounds day{kStart, kStart + kDay};
  EXPECT_TRUE(plan_status(p, 5'000'000'000u, day, kStart + kDay / 10).projected_exhaustion);
  EXPECT_FALSE(plan_status(p, 0, kCycle, kStart + 5 * kDay).projected_exhaustion);
  // Rounds up: 1 B of a 3 B cap after 1 day of a 31-day cycle: the cap comes at 3 days.
  EXPECT_EQ(*plan_status(plan(3), 1, kCycle, kStart + kDay).projected_exhaustion, kStart + 3 * kDay);
}

TEST(UsagePlan, ThresholdsFireOncePerCycle) {
  auto p = plan(50'000'000);  // the lab test: 50 MB, 60 MB pushed
  ThresholdState state;
  auto at = [&](std::uint64_t used, std::int64_t now, CycleBounds c = kCycle) {
    return crossed(state, p, plan_status(p, used, c, now));
  };
  EXPECT_EQ(at(10'000'000, kStart + 3600), std::vector<int>{});
  EXPECT_EQ(at(40'000'000, kStart + 7200), std::vector<int>{80});
  EXPECT_EQ(at(41'000'000, kStart + 7300), std::vector<int>{});
  EXPECT_EQ(at(45'000'000, kStart + 7400), std::vector<int>{90});
  EXPECT_EQ(at(60'000'000, kStart + 7500), std::vector<int>{100});
  EXPECT_EQ(at(60'000'000, kStart + 7600), std::vector<int>{});
  EXPECT_EQ(state.fired, (std::vector<int>{80, 90, 100}));
  EXPECT_EQ(state.cycle_start, kStart);
  // A restart reloads the state: nothing fires again.
  ThresholdState saved = state;
  state = saved;
  EXPECT_EQ(at(60'000'000, kStart + 9000), std::vector<int>{});
  // The next cycle starts from zero.
  CycleBounds next{kCycle.end, kCycle.end + 31 * kDay};
  EXPECT_EQ(at(0, next.start, next), std::vector<int>{});
  EXPECT_TRUE(state.fired.empty());
  EXPECT_EQ(state.cycle_start, next.start);
  // A jump (first poll after a downtime) fires every threshold it passed, once.
  EXPECT_EQ(at(46'000'000, next.start + 60, next), (std::vector<int>{80, 90}));
  EXPECT_EQ(at(46'000'000, next.start + 120, next), std::vector<int>{});
}

TEST(UsagePlan, TheOnCapCommandRunsOncePerCycleAtTheCap) {
  auto p = plan(50'000'000);
  p.thresholds.clear();  // independent of the thresholds
  p.on_cap_exec = {"/usr/local/bin/sms"};
  ThresholdState state;
  auto at = [&](std::uint64_t used, std::int64_t now, CycleBounds c = kCycle) {
    return crossed(state, p, plan_status(p, used, c, now));
  };
  EXPECT_EQ(at(49'999'999, kStart + 60), std::vector<int>{});
  EXPECT_EQ(at(50'000'000, kStart + 120), std::vector<int>{kOnCap});
  EXPECT_EQ(at(70'000'000, kStart + 180), std::vector<int>{});
  CycleBounds next{kCycle.end, kCycle.end + 31 * kDay};
  EXPECT_EQ(at(60'000'000, next.start + 60, next), std::vector<int>{kOnCap});
  // With 100 % among the thresholds both come, the notification first.
  p.thresholds = {100};
  ThresholdState both;
  EXPECT_EQ(crossed(both, p, plan_status(p, 50'000'000, kCycle, kStart + 60)), (std::vector<int>{100, kOnCap}));
  // Without a command there is nothing to run.
  p.on_cap_exec.clear();
  ThresholdState none;
  EXPECT_EQ(crossed(none, p, plan_status(p, 50'000'000, kCycle, kStart + 60)), std::vector<int>{100});
  // A block alone is an action too: the same once-per-cycle state.
  p.on_cap_block = true;
  ThresholdState block;
  EXPECT_EQ(crossed(block, p, plan_status(p, 50'000'000, kCycle, kStart + 60)), (std::vector<int>{100, kOnCap}));
  EXPECT_EQ(crossed(block, p, plan_status(p, 60'000'000, kCycle, kStart + 120)), std::vector<int>{});
}

TEST(UsagePlan, ProjectedFiresOncePerCycleBeforeTheCap) {
  auto p = plan(30'000'000'000u);
  p.thresholds = {100};
  ThresholdState state;
  auto st = plan_status(p, 15'000'000'000u, kCycle, kStart + 10 * kDay);
  EXPECT_EQ(crossed(state, p, st), std::vector<int>{kProjected});
  EXPECT_EQ(crossed(state, p, plan_status(p, 16'000'000'000u, kCycle, kStart + 10 * kDay + 60)), std::vector<int>{});
  EXPECT_EQ(state.fired, std::vector<int>{kProjected});
  // At the cap: 100 fires, not the projection.
  ThresholdState fresh;
  EXPECT_EQ(crossed(fresh, p, plan_status(p, 30'000'000'000u, kCycle, kStart + 10 * kDay)), std::vector<int>{100});
  // No thresholds configured: only the projection.
  p.thresholds.clear();
  ThresholdState none;
  EXPECT_EQ(crossed(none, p, st), std::vector<int>{kProjected});
}

TEST(UsagePlan, ThresholdsAbove100AndAddedMidCycle) {
  auto p = plan(1000);
  p.thresholds = {100, 150};
  ThresholdState state;
  EXPECT_EQ(crossed(state, p, plan_status(p, 1499, kCycle, kStart + 60)), std::vector<int>{100});
  EXPECT_EQ(crossed(state, p, plan_status(p, 1500, kCycle, kStart + 120)), std::vector<int>{150});
  // A threshold added by a config change mid-cycle fires when it is crossed; the others keep.
  p.thresholds = {50, 100, 150};
  EXPECT_EQ(crossed(state, p, plan_status(p, 1500, kCycle, kStart + 180)), std::vector<int>{50});
  EXPECT_EQ(state.fired, (std::vector<int>{50, 100, 150}));
}

TEST(UsagePlan, ReportPart) {
  auto p = plan(30'000'000'000u);
  p.name = "mobile";
  p.cycle.tz = "Europe/Berlin";
  FixedZone cet(3600);
  auto st = plan_status(p, 15'000'000'000u, kCycle, kStart + 10 * kDay);
  ThresholdState state{kStart, {kProjected}};
  auto r = plan_report(p, st, 10'000'000'000u, 5'000'000'000u, state, cet, kStart + 10 * kDay);
  EXPECT_EQ(r.name, "mobile");
  EXPECT_EQ(r.tz, "Europe/Berlin");
  EXPECT_EQ(r.used, 15'000'000'000u);
  EXPECT_EQ(r.rx, 10'000'000'000u);
  EXPECT_DOUBLE_EQ(r.percent, 50.0);
  EXPECT_EQ(r.cycle_start, kStart);
  EXPECT_EQ(r.cycle_start_local.hour, 1);
  EXPECT_EQ(r.cycle_start_local.utc_offset, 3600);
  EXPECT_EQ(r.now_local.day, 11);
  ASSERT_TRUE(r.projected_local);
  EXPECT_EQ(r.projected_local->day, 21);
  EXPECT_EQ(r.fired, std::vector<int>{kProjected});
  EXPECT_EQ(r.thresholds, (std::vector<int>{80, 90, 100}));
  // A state from another cycle shows nothing fired.
  ThresholdState old{kStart - 31 * kDay, {80}};
  EXPECT_TRUE(plan_report(p, st, 0, 0, old, cet, kStart).fired.empty());
}

}  // namespace
}  // namespace reach::engine
