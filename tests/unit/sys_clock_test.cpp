// The program's timeline is CLOCK_MONOTONIC; kernel packet stamps (CLOCK_REALTIME) are moved onto it.
#include "sys/clock.hpp"

#include <gtest/gtest.h>

namespace reach::sys {
namespace {

TEST(SysClock, KernelStampLandsOnTheMonotonicTimeline) {
  MonotonicClock mono;
  WallClock wall;
  TimeNs before = mono.now();
  TimeNs stamp = wall.now();  // what the kernel would stamp a packet with, now
  TimeNs after = mono.now();
  TimeNs converted = kernel_stamp_to_monotonic(stamp);
  // Between the two monotonic reads, give or take the cost of the clock reads themselves.
  EXPECT_GE(converted, before - 50 * kNsPerUs);
  EXPECT_LE(converted, after + 50 * kNsPerUs);
}

TEST(SysClock, DifferencesOfStampsAreKept) {
  TimeNs a = 1'800'000'000 * kNsPerSec + 123;
  TimeNs b = a + 20'040'000;
  EXPECT_NEAR(static_cast<double>(kernel_stamp_to_monotonic(b) - kernel_stamp_to_monotonic(a)), 20'040'000.0,
              50'000.0);
}

TEST(SysClock, MonotonicIsNotTheWallClock) {
  // CLOCK_MONOTONIC counts from boot: far below today's unix time in nanoseconds.
  EXPECT_GT(wall_minus_monotonic(), 1'500'000'000 * kNsPerSec);
  EXPECT_GT(MonotonicClock{}.now(), 0);
}

}  // namespace
}  // namespace reach::sys
