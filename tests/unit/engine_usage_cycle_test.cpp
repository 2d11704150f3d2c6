// Billing cycles over years of dates: day 31 in February, DST gaps and overlaps in Berlin and
// New York, every-N-days, a cycle changed mid-cycle (history re-bucketed), and the history spans.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "engine/usage_cycle.hpp"
#include "engine/usage_history.hpp"
#include "usage_zones.hpp"

namespace reach::engine {
namespace {

using testing::BerlinZone;
using testing::NewYorkZone;

// unix s of a UTC civil time.
std::int64_t utc(int y, int mo, int d, int h = 0, int mi = 0, int s = 0) {
  return days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
}

config::UsageCycle monthly(int day, int hour = 0) {
  config::UsageCycle c;
  c.start_day = day;
  c.start_hour = hour;
  return c;
}

std::string show(const CivilTime& c) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d", c.year, c.month, c.day, c.hour, c.minute, c.second);
  return buf;
}

TEST(UsageCycle, CivilDaysRoundTripAndKnownDates) {
  EXPECT_EQ(days_from_civil(1970, 1, 1), 0);
  EXPECT_EQ(days_from_civil(2000, 3, 1), 11017);
  EXPECT_EQ(days_from_civil(1969, 12, 31), -1);
  EXPECT_EQ(utc(2026, 11, 30, 14, 54, 37), 1796050477);
  std::int64_t prev = days_from_civil(1899, 12, 31);
  for (int y = 1900; y <= 2200; ++y)
    for (int m = 1; m <= 12; ++m)
      for (int d = 1; d <= days_in_month(y, m); ++d) {
        std::int64_t z = days_from_civil(y, m, d);
        ASSERT_EQ(z, prev + 1) << y << "-" << m << "-" << d;
        prev = z;
        CivilTime c = civil_from_days(z);
        ASSERT_TRUE(c.year == y && c.month == m && c.day == d) << show(c);
      }
  EXPECT_EQ(days_in_month(2024, 2), 29);
  EXPECT_EQ(days_in_month(2100, 2), 28);
  EXPECT_EQ(days_in_month(2000, 2), 29);
  EXPECT_EQ(days_in_month(2026, 4), 30);
}

TEST(UsageCycle, LocalTimeInFixedZones) {
  FixedZone kolkata(5 * 3600 + 1800), utc0;
  EXPECT_EQ(local_to_unix({2026, 11, 30, 5, 30, 0}, kolkata), utc(2026, 11, 30));
  EXPECT_EQ(show(unix_to_local(utc(2026, 11, 30), kolkata)), "2026-11-30 05:30:00");
  EXPECT_EQ(show(unix_to_local(-1, utc0)), "1969-12-31 23:59:59");
  // Out-of-range fields are normalised: month 13, day 32, day 0.
  EXPECT_EQ(local_to_unix({2026, 13, 1}, utc0), utc(2027, 1, 1));
  EXPECT_EQ(local_to_unix({2026, 1, 32}, utc0), utc(2026, 2, 1));
  EXPECT_EQ(local_to_unix({2026, 3, 0}, utc0), utc(2026, 2, 28));
  EXPECT_EQ(local_to_unix({2026, 0, 1}, utc0), utc(2025, 12, 1));
}

TEST(UsageCycle, DstGapsAndOverlaps) {
  BerlinZone berlin;
  NewYorkZone ny;
  // Berlin 2026: 02:00 CET -> 03:00 CEST on March 29 (01:00 UTC); back on October 25.
  EXPECT_EQ(local_to_unix({2026, 3, 29, 1, 59, 59}, berlin), utc(2026, 3, 29, 0, 59, 59));
  EXPECT_EQ(local_to_unix({2026, 3, 29, 2, 0, 0}, berlin), utc(2026, 3, 29, 1));   // in the gap
  EXPECT_EQ(local_to_unix({2026, 3, 29, 2, 30, 0}, berlin), utc(2026, 3, 29, 1));  // in the gap
  EXPECT_EQ(local_to_unix({2026, 3, 29, 3, 0, 0}, berlin), utc(2026, 3, 29, 1));
  EXPECT_EQ(local_to_unix({2026, 3, 29, 3, 0, 1}, berlin), utc(2026, 3, 29, 1, 0, 1));
  EXPECT_EQ(local_to_unix({2026, 10, 25, 2, 30, 0}, berlin), utc(2026, 10, 25, 0, 30));  // earlier of two
  EXPECT_EQ(show(unix_to_local(utc(2026, 10, 25, 1, 30), berlin)), "2026-10-25 02:30:00");  // the later one
  EXPECT_EQ(local_to_unix({2026, 10, 25, 3, 0, 0}, berlin), utc(2026, 10, 25, 2));
  // New York 2026: 02:00 EST -> 03:00 EDT on March 8; 02:00 EDT -> 01:00 EST on November 1.
  EXPECT_EQ(local_to_unix({2026, 3, 8, 2, 30, 0}, ny), utc(2026, 3, 8, 7));
  EXPECT_EQ(local_to_unix({2026, 3, 8, 1, 59, 59}, ny), utc(2026, 3, 8, 6, 59, 59));
  EXPECT_EQ(local_to_unix({2026, 11, 1, 1, 30, 0}, ny), utc(2026, 11, 1, 5, 30));
  EXPECT_EQ(show(unix_to_local(utc(2026, 11, 1, 6, 30), ny)), "2026-11-01 01:30:00");
  EXPECT_EQ(local_to_unix({2026, 11, 1, 0, 0, 0}, ny), utc(2026, 11, 1, 4));
}

TEST(UsageCycle, EveryLocalTimeRoundTripsOverYears) {
  BerlinZone berlin;
  NewYorkZone ny;
  for (const ZoneRules* z : std::initializer_list<const ZoneRules*>{&berlin, &ny}) {
    for (std::int64_t t = utc(2024, 1, 1); t < utc(2031, 1, 1); t += 1789) {
      CivilTime c = unix_to_local(t, *z);
      std::int64_t back = local_to_unix(c, *z);
      // Exact, except the later instant of an overlap, which maps to the earlier one.
      if (back != t) {
        ASSERT_EQ(back, t - 3600) << show(c);
        ASSERT_EQ(show(unix_to_local(back, *z)), show(c));
      }
    }
  }
}

TEST(UsageCycle, Day31InFebruaryAndShortMonths) {
  FixedZone z;
  auto c = monthly(31);
  EXPECT_EQ(cycle_at(c, z, utc(2026, 2, 15)), (CycleBounds{utc(2026, 1, 31), utc(2026, 2, 28)}));
  EXPECT_EQ(cycle_at(c, z, utc(2026, 2, 28)), (CycleBounds{utc(2026, 2, 28), utc(2026, 3, 31)}));
  EXPECT_EQ(cycle_at(c, z, utc(2026, 2, 27, 23, 59, 59)), (CycleBounds{utc(2026, 1, 31), utc(2026, 2, 28)}));
  EXPECT_EQ(cycle_at(c, z, utc(2026, 4, 30, 12)), (CycleBounds{utc(2026, 4, 30), utc(2026, 5, 31)}));
  EXPECT_EQ(cycle_at(c, z, utc(2026, 4, 29, 12)), (CycleBounds{utc(2026, 3, 31), utc(2026, 4, 30)}));
  // Leap years: February 29.
  EXPECT_EQ(cycle_at(c, z, utc(2028, 2, 15)), (CycleBounds{utc(2028, 1, 31), utc(2028, 2, 29)}));
  EXPECT_EQ(cycle_at(c, z, utc(2028, 2, 29, 0, 0, 1)), (CycleBounds{utc(2028, 2, 29), utc(2028, 3, 31)}));
  EXPECT_EQ(cycle_at(monthly(30), z, utc(2026, 3, 1)), (CycleBounds{utc(2026, 2, 28), utc(2026, 3, 30)}));
  EXPECT_EQ(cycle_at(monthly(29), z, utc(2100, 3, 1)), (CycleBounds{utc(2100, 2, 28), utc(2100, 3, 29)}));
  // Year boundaries and the start hour.
  EXPECT_EQ(cycle_at(monthly(15, 6), z, utc(2027, 1, 15, 5, 59, 59)), (CycleBounds{utc(2026, 12, 15, 6), utc(2027, 1, 15, 6)}));
  EXPECT_EQ(cycle_at(monthly(1), z, utc(2026, 12, 31, 23)), (CycleBounds{utc(2026, 12, 1), utc(2027, 1, 1)}));
  EXPECT_EQ(next_cycle(monthly(31), z, {utc(2026, 1, 31), utc(2026, 2, 28)}), (CycleBounds{utc(2026, 2, 28), utc(2026, 3, 31)}));
  EXPECT_EQ(previous_cycle(monthly(31), z, {utc(2026, 2, 28), utc(2026, 3, 31)}), (CycleBounds{utc(2026, 1, 31), utc(2026, 2, 28)}));
}

TEST(UsageCycle, CyclesInDstZones) {
  BerlinZone berlin;
  NewYorkZone ny;
  // Berlin, start day 29 at 02:00: 2026-03-29 02:00 does not exist; the cycle starts at 03:00 CEST.
  EXPECT_EQ(cycle_at(monthly(29, 2), berlin, utc(2026, 4, 1)), (CycleBounds{utc(2026, 3, 29, 1), utc(2026, 4, 29)}));
  // ... and the one before it ends there.
  EXPECT_EQ(cycle_at(monthly(29, 2), berlin, utc(2026, 3, 29, 0, 59, 59)),
            (CycleBounds{utc(2026, 2, 28, 1), utc(2026, 3, 29, 1)}));
  // October 25 02:30 happens twice: the cycle starts at the first.
  EXPECT_EQ(cycle_at(monthly(25, 2), berlin, utc(2026, 10, 25, 1)).start, utc(2026, 10, 25, 0));
  // New York, start day 8 at 02:00 (the gap of 2026-03-08) and day 1 at 01:00 (the overlap of 2026-11-01).
  EXPECT_EQ(cycle_at(monthly(8, 2), ny, utc(2026, 3, 20)), (CycleBounds{utc(2026, 3, 8, 7), utc(2026, 4, 8, 6)}));
  EXPECT_EQ(cycle_at(monthly(1, 1), ny, utc(2026, 11, 1, 5, 30)), (CycleBounds{utc(2026, 11, 1, 5), utc(2026, 12, 1, 6)}));
  EXPECT_EQ(cycle_at(monthly(1, 1), ny, utc(2026, 11, 1, 4, 59, 59)), (CycleBounds{utc(2026, 10, 1, 5), utc(2026, 11, 1, 5)}));
}

struct ZoneCase {
  const char* name;
  std::shared_ptr<ZoneRules> zone;
};

std::vector<ZoneCase> zones() {
  return {{"UTC", std::make_shared<FixedZone>(0)},
          {"Berlin", std::make_shared<BerlinZone>()},
          {"NewYork", std::make_shared<NewYorkZone>()},
          {"Kolkata", std::make_shared<FixedZone>(5 * 3600 + 1800)},
          {"Marquesas", std::make_shared<FixedZone>(-(9 * 3600 + 1800))}};
}

// Over nine years: monthly cycles of every interesting start day and hour are contiguous, start
// on the clamped day at the start hour (one hour later when that hour is a DST gap), and
// cycle_at() of any instant is the cycle that holds it.
TEST(UsageCycle, MonthlyCyclesOverYears) {
  for (const auto& [zname, zone] : zones()) {
    for (int day : {1, 2, 15, 28, 29, 30, 31}) {
      for (int hour : {0, 2, 23}) {
        auto cfg = monthly(day, hour);
        SCOPED_TRACE(std::string(zname) + " day " + std::to_string(day) + " hour " + std::to_string(hour));
        CycleBounds c = cycle_at(cfg, *zone, utc(2024, 1, 20));
        int months = 0;
        const std::int64_t until = utc(2033, 1, 20);
        std::int64_t probe = c.start;
        while (c.start < until) {
          CivilTime s = unix_to_local(c.start, *zone);
          int expect_day = std::min(day, days_in_month(s.year, s.month));
          ASSERT_EQ(s.day, expect_day) << show(s);
          bool gap = local_to_unix({s.year, s.month, s.day, hour, 0, 0}, *zone) == c.start && s.hour != hour;
          ASSERT_TRUE(s.hour == hour || (gap && s.hour == hour + 1)) << show(s);
          ASSERT_EQ(s.minute, 0);
          ASSERT_GT(c.end - c.start, 27 * 86400 - 3600);
          ASSERT_LT(c.end - c.start, 32 * 86400 + 3600);
          // Instants inside: the same cycle.
          for (; probe < c.end; probe += 6 * 3600 + 17 * 60 + 13) ASSERT_EQ(cycle_at(cfg, *zone, probe), c) << probe;
          ASSERT_EQ(cycle_at(cfg, *zone, c.end - 1), c);
          CycleBounds n = next_cycle(cfg, *zone, c);
          ASSERT_EQ(n.start, c.end);
          ASSERT_EQ(previous_cycle(cfg, *zone, n), c);
          c = n;
          ++months;
        }
        EXPECT_EQ(months, 9 * 12 + 1);
      }
    }
  }
}

TEST(UsageCycle, EveryNDays) {
  BerlinZone berlin;
  FixedZone z;
  config::UsageCycle c;
  c.every_days = 30;
  c.anchor = utc(2026, 1, 1);
  EXPECT_EQ(cycle_at(c, z, utc(2026, 1, 1)), (CycleBounds{utc(2026, 1, 1), utc(2026, 1, 31)}));
  EXPECT_EQ(cycle_at(c, z, utc(2026, 1, 31)), (CycleBounds{utc(2026, 1, 31), utc(2026, 3, 2)}));
  EXPECT_EQ(cycle_at(c, z, utc(2025, 12, 31, 23, 59, 59)), (CycleBounds{utc(2025, 12, 2), utc(2026, 1, 1)}));
  c.every_days = 1;
  EXPECT_EQ(cycle_at(c, z, utc(2026, 6, 7, 13)), (CycleBounds{utc(2026, 6, 7), utc(2026, 6, 8)}));
  // In Berlin, 30-day cycles keep the anchor's local time of day (22:00) across DST changes,
  // before and after the anchor, for nine years.
  c.every_days = 30;
  c.anchor = local_to_unix({2026, 1, 10, 22, 0, 0}, berlin);
  CycleBounds cur = cycle_at(c, berlin, utc(2022, 1, 1));
  int n = 0;
  while (cur.start < utc(2031, 1, 1)) {
    CivilTime s = unix_to_local(cur.start, berlin);
    ASSERT_EQ(s.hour, 22) << show(s);
    ASSERT_EQ(s.minute, 0);
    std::int64_t len = cur.end - cur.start;
    ASSERT_TRUE(len == 30 * 86400 || len == 30 * 86400 + 3600 || len == 30 * 86400 - 3600) << len;
    ASSERT_EQ(cycle_at(c, berlin, cur.start + len / 2), cur);
    ASSERT_EQ(cycle_at(c, berlin, cur.end - 1), cur);
    CycleBounds next = next_cycle(c, berlin, cur);
    ASSERT_EQ(next.start, cur.end);
    cur = next;
    ++n;
  }
  EXPECT_GE(n, 109);
  EXPECT_LE(n, 111);
}

TEST(UsageCycle, DaysAndMonthsAreLocal) {
  BerlinZone berlin;
  EXPECT_EQ(day_at(berlin, utc(2026, 3, 29, 12)), (CycleBounds{utc(2026, 3, 28, 23), utc(2026, 3, 29, 22)}));  // 23 h
  EXPECT_EQ(day_at(berlin, utc(2026, 10, 25, 12)), (CycleBounds{utc(2026, 10, 24, 22), utc(2026, 10, 25, 23)}));  // 25 h
  EXPECT_EQ(month_at(berlin, utc(2026, 10, 31, 23, 30)), (CycleBounds{utc(2026, 10, 31, 23), utc(2026, 11, 30, 23)}));
  EXPECT_EQ(month_at(FixedZone(), utc(2026, 12, 31, 23)), (CycleBounds{utc(2026, 12, 1), utc(2027, 1, 1)}));
}

TEST(UsageHistory, Spans) {
  FixedZone z;
  auto cfg = monthly(15);
  auto s = spans(Span::cycle, cfg, z, utc(2026, 9, 20), utc(2026, 11, 30));
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0], (CycleBounds{utc(2026, 9, 15), utc(2026, 10, 15)}));
  EXPECT_EQ(s[2], (CycleBounds{utc(2026, 11, 15), utc(2026, 12, 15)}));
  auto d = spans(Span::day, cfg, z, utc(2026, 11, 1), utc(2026, 11, 30, 12));
  ASSERT_EQ(d.size(), 30u);
  EXPECT_EQ(d.front().start, utc(2026, 11, 1));
  EXPECT_EQ(spans(Span::day, cfg, z, utc(2026, 1, 1), utc(2026, 11, 30, 12), 7).size(), 7u);
  EXPECT_EQ(spans(Span::day, cfg, z, utc(2026, 1, 1), utc(2026, 11, 30, 12), 7).back().start, utc(2026, 11, 30));
  auto h = spans(Span::hour, cfg, z, utc(2026, 11, 30, 10, 30), utc(2026, 11, 30, 13));
  ASSERT_EQ(h.size(), 3u);
  EXPECT_EQ(h[0].start, utc(2026, 11, 30, 10));
  auto m = spans(Span::month, cfg, z, utc(2026, 1, 5), utc(2027, 1, 1));
  EXPECT_EQ(m.size(), 12u);
  EXPECT_TRUE(spans(Span::day, cfg, z, 10, 10).empty());
}

// A cycle changed mid-cycle (start day 1 -> 15, then into Berlin time): the same hourly rows,
// summed into the new cycles, lose and invent nothing.
TEST(UsageHistory, ChangingTheCycleRebucketsTheHours) {
  FixedZone z;
  BerlinZone berlin;
  std::vector<HourRow> rows;
  std::uint64_t total = 0;
  for (std::int64_t t = utc(2026, 8, 1); t < utc(2026, 11, 20); t += 3600) {
    std::uint64_t b = static_cast<std::uint64_t>((t / 3600) % 1000);  // varied, known bytes
    rows.push_back({t, b, 2 * b});
    total += b;
  }
  auto sum = [&](std::int64_t from, std::int64_t to) {
    std::uint64_t s = 0;
    for (const auto& r : rows)
      if (r.start >= from && r.start < to) s += r.rx;
    return s;
  };
  auto before = sum_into(rows, spans(Span::cycle, monthly(1), z, utc(2026, 8, 1), utc(2026, 11, 20)), z);
  ASSERT_EQ(before.size(), 4u);
  EXPECT_EQ(before[3].rx, sum(utc(2026, 11, 1), utc(2026, 12, 1)));
  auto after = sum_into(rows, spans(Span::cycle, monthly(15), z, utc(2026, 8, 1), utc(2026, 11, 20)), z);
  ASSERT_EQ(after.size(), 5u);
  EXPECT_EQ(after[0].start, utc(2026, 7, 15));
  EXPECT_EQ(after[0].local.day, 15);
  EXPECT_EQ(after[4].rx, sum(utc(2026, 11, 15), utc(2026, 12, 15)));
  EXPECT_EQ(after[4].tx, 2 * after[4].rx);
  std::uint64_t all = 0;
  for (const auto& b : after) all += b.rx;
  EXPECT_EQ(all, total);
  auto local = sum_into(rows, spans(Span::cycle, monthly(15), berlin, utc(2026, 8, 1), utc(2026, 11, 20)), berlin);
  EXPECT_EQ(local.back().start, utc(2026, 11, 14, 23));
  EXPECT_EQ(local.back().rx, sum(utc(2026, 11, 14, 23), utc(2026, 12, 14, 23)));
  EXPECT_EQ(local.back().local.hour, 0);
  EXPECT_EQ(local.back().local.utc_offset, 3600);
  all = 0;
  for (const auto& b : local) all += b.rx;
  EXPECT_EQ(all, total);
  // Rows outside every span are left out.
  auto some = sum_into(rows, {{utc(2026, 9, 1), utc(2026, 9, 2)}}, z);
  EXPECT_EQ(some[0].rx, sum(utc(2026, 9, 1), utc(2026, 9, 2)));
}

}  // namespace
}  // namespace reach::engine
