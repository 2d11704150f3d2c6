// The system's tzdata through tools::SystemZone agrees with the DST rules the cycle tests are
// written against (usage_zones.hpp), second by second around every change and hourly over two years.
#include <gtest/gtest.h>

#include "tools/zone_rules.hpp"
#include "usage_zones.hpp"

namespace reach::tools {
namespace {

std::int64_t utc(int y, int mo, int d, int h = 0) { return engine::days_from_civil(y, mo, d) * 86400 + h * 3600; }

// Hourly for the two years before `to_year`; around every change of the whole range.
void agree(const engine::ZoneRules& system, const engine::ZoneRules& rules, int from_year, int to_year) {
  for (std::int64_t t = utc(to_year - 2, 1, 1); t < utc(to_year, 1, 1); t += 3600 + 61)
    ASSERT_EQ(system.offset_at(t), rules.offset_at(t)) << t;
  for (int y = from_year; y < to_year; ++y)
    for (std::int64_t change : {testing::sunday(y, 3, 0) + 3600, testing::sunday(y, 10, 0) + 3600,
                                testing::sunday(y, 3, 2) + 7 * 3600, testing::sunday(y, 11, 1) + 6 * 3600})
      for (std::int64_t t = change - 2; t <= change + 2; ++t) ASSERT_EQ(system.offset_at(t), rules.offset_at(t)) << t;
}

TEST(SystemZone, AgreesWithTheWrittenRules) {
  auto berlin = SystemZone::open("Europe/Berlin");
  auto ny = SystemZone::open("America/New_York");
  if (!berlin || !ny) GTEST_SKIP() << "no tzdata";
  agree(*berlin, testing::BerlinZone(), 2008, 2031);
  agree(*ny, testing::NewYorkZone(), 2008, 2031);
}

TEST(SystemZone, CyclesWithTheRealZone) {
  auto berlin = SystemZone::open("Europe/Berlin");
  if (!berlin) GTEST_SKIP() << "no tzdata";
  config::UsageCycle c;
  c.start_day = 29;
  c.start_hour = 2;
  EXPECT_EQ(engine::cycle_at(c, *berlin, utc(2026, 4, 1)), (engine::CycleBounds{utc(2026, 3, 29, 1), utc(2026, 4, 29)}));
  auto utc0 = SystemZone::open("UTC");
  ASSERT_TRUE(utc0);
  EXPECT_EQ(utc0->offset_at(utc(2026, 7, 1)), 0);
}

TEST(SystemZone, UnknownZoneIsAnError) {
  auto z = SystemZone::open("Mars/Olympus_Mons");
  ASSERT_FALSE(z);
  EXPECT_EQ(z.error().message(), "time zone Mars/Olympus_Mons: unknown (no such zone in /usr/share/zoneinfo)");
  EXPECT_FALSE(SystemZone::open("../../etc/passwd"));
}

}  // namespace
}  // namespace reach::tools
