// The counter rules of `reach usage`: what a reading after a state counts, table-driven.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <optional>

#include "engine/usage_counter.hpp"

namespace reach::engine {
namespace {

constexpr std::uint64_t k2p32 = std::uint64_t{1} << 32;
constexpr TimeNs kT0 = 1'700'000'000 * kNsPerSec;

struct Case {
  const char* name;
  CounterState before;
  CounterReading reading;
  double max_rate;
  CounterStep want;
};

CounterState st(std::string base, std::uint64_t last, int bits = 64, TimeNs wall = kT0) {
  return CounterState{true, std::move(base), last, wall, bits};
}
CounterReading rd(std::string base, std::uint64_t value, TimeNs dt, int bits = 64, std::optional<TimeNs> restart = {}) {
  return CounterReading{kT0 + dt, value, bits, std::move(base), restart ? kT0 + *restart : 0};
}

TEST(UsageCounter, Rules) {
  const double gbit = 1e9 / 8;  // 1 Gbit/s in bytes per second
  const Case cases[] = {
      {"first sight is a baseline", CounterState{}, rd("b/2", 123456, 0), gbit, {0, StepKind::baseline}},
      {"steady", st("b/2", 1000), rd("b/2", 1500, kNsPerSec), gbit, {500, StepKind::normal}},
      {"no traffic", st("b/2", 1000), rd("b/2", 1000, kNsPerSec), gbit, {0, StepKind::normal}},
      // A long daemon downtime on the same base: the whole gap counts.
      {"gap of a day", st("b/2", 1000), rd("b/2", 50'000'001'000, 86400 * kNsPerSec), gbit,
       {50'000'000'000, StepKind::normal}},
      // A re-created interface (new ifindex): its counter started at 0.
      {"new ifindex", st("b/2", 9'000'000'000), rd("b/7", 4096, kNsPerSec), gbit, {4096, StepKind::new_base}},
      // A new base whose counter is higher than before is still a new counter.
      {"new boot, higher", st("a/2", 10), rd("b/2", 5000, kNsPerSec), gbit, {5000, StepKind::new_base}},
      // A 64-bit drop is never a wrap: a reset, the value is what came since.
      {"64-bit drop", st("b/2", 9'000'000'000), rd("b/2", 300, kNsPerSec), 1e30, {300, StepKind::reset}},
      {"64-bit drop from the top", st("b/2", std::numeric_limits<std::uint64_t>::max()), rd("b/2", 5, kNsPerSec),
       1e30, {5, StepKind::reset}},
      // 32-bit wrap: 2^32-100 -> 400 in 1 s is 500 bytes: plausible.
      {"32-bit wrap", st("s/2", k2p32 - 100, 32), rd("s/2", 400, kNsPerSec, 32), gbit, {500, StepKind::wrap}},
      // 32-bit drop from 3 GB to 1 MB in 1 s would need ~1.3 GB/s over a 1 Gbit/s link: a reset.
      {"32-bit implausible wrap", st("s/2", 3'000'000'000, 32), rd("s/2", 1'000'000, kNsPerSec, 32), gbit,
       {1'000'000, StepKind::reset}},
      // ... but over 60 s it fits under 1 Gbit/s (7.5 GB): a wrap.
      {"32-bit wrap over a minute", st("s/2", 3'000'000'000, 32), rd("s/2", 1'000'000, 60 * kNsPerSec, 32), gbit,
       {k2p32 - 3'000'000'000 + 1'000'000, StepKind::wrap}},
      // Exactly at the ceiling is still plausible.
      {"32-bit wrap at the ceiling", st("s/2", k2p32 - 1, 32), rd("s/2", 999, kNsPerSec, 32), 1000,
       {1000, StepKind::wrap}},
      {"32-bit wrap one over", st("s/2", k2p32 - 1, 32), rd("s/2", 1000, kNsPerSec, 32), 1000,
       {1000, StepKind::reset}},
      // No time passed, or the clock stepped back: no rate makes a wrap plausible.
      {"32-bit drop, no time", st("s/2", k2p32 - 1, 32), rd("s/2", 5, 0, 32), 1e30, {5, StepKind::reset}},
      {"32-bit drop, clock back", st("s/2", k2p32 - 1, 32), rd("s/2", 5, -kNsPerSec, 32), 1e30,
       {5, StepKind::reset}},
      // A "32-bit" value that does not fit in 32 bits is not a wrap.
      {"32-bit out of range", st("s/2", k2p32 + 5, 32), rd("s/2", 5, kNsPerSec, 32), 1e30, {5, StepKind::reset}},
      // An agent restart after the last reading: a drop is a reset even where a wrap would fit...
      {"restart, drop", st("s/2", 3'000'000'000, 32), rd("s/2", 1'000'000, 60 * kNsPerSec, 32, 30 * kNsPerSec), gbit,
       {1'000'000, StepKind::reset}},
      // ... and a counter that went on through the restart (snmpd restarted) counts its difference.
      {"restart, counters went on", st("s/2", 3'000'000'000, 32), rd("s/2", 3'000'000'500, 60 * kNsPerSec, 32, 30 * kNsPerSec),
       gbit, {500, StepKind::normal}},
      // A restart known from before the last reading changes nothing.
      {"old restart", st("s/2", k2p32 - 100, 32), rd("s/2", 400, kNsPerSec, 32, -kNsPerSec), gbit, {500, StepKind::wrap}},
      // The agent switched between its 64- and 32-bit counters: start over without counting.
      {"width change", st("s/2", 123, 64), rd("s/2", 99999, kNsPerSec, 32), gbit, {0, StepKind::baseline}},
      {"width change up", st("s/2", 99999, 32), rd("s/2", 5, kNsPerSec, 64), gbit, {0, StepKind::baseline}},
  };
  for (const Case& c : cases) {
    CounterState s = c.before;
    CounterStep got = advance(s, c.reading, c.max_rate);
    EXPECT_EQ(got.bytes, c.want.bytes) << c.name;
    EXPECT_EQ(step_kind_name(got.kind), std::string(step_kind_name(c.want.kind))) << c.name;
    // Whatever happened, the state now holds this reading.
    EXPECT_TRUE(s.valid) << c.name;
    EXPECT_EQ(s.base, c.reading.base) << c.name;
    EXPECT_EQ(s.last, c.reading.value) << c.name;
    EXPECT_EQ(s.last_wall, c.reading.wall) << c.name;
    EXPECT_EQ(s.bits, c.reading.bits) << c.name;
  }
}

// A sequence like a day of real life: the total equals the bytes that crossed the link.
TEST(UsageCounter, SequenceSumsExactly) {
  CounterState s;
  std::uint64_t total = 0;
  auto feed = [&](const char* base, std::uint64_t v, TimeNs t, int bits = 64) {
    total += advance(s, CounterReading{kT0 + t * kNsPerSec, v, bits, base}, kDefaultMaxRate).bytes;
  };
  feed("boot1/3", 1000, 0);        // baseline
  feed("boot1/3", 1500, 1);        // +500
  feed("boot1/3", 2500, 600);      // +1000 after a kill -9 of ten minutes
  feed("boot1/9", 40, 601);        // re-created interface: +40
  feed("boot1/9", 100, 602);       // +60
  feed("boot2/9", 7, 700);         // reboot: +7 since boot
  EXPECT_EQ(total, 500u + 1000 + 40 + 60 + 7);
}

TEST(UsageCounter, WrapSequence32) {
  CounterState s;
  std::uint64_t total = 0;
  std::uint64_t sent = 0;
  std::uint64_t counter = k2p32 - 3000;  // a 32-bit counter near its top
  advance(s, CounterReading{kT0, counter, 32, "a"}, kDefaultMaxRate);
  for (int i = 1; i <= 10; ++i) {
    const std::uint64_t step = 1000;
    sent += step;
    counter = (counter + step) % k2p32;
    total += advance(s, CounterReading{kT0 + i * kNsPerSec, counter, 32, "a"}, kDefaultMaxRate).bytes;
  }
  EXPECT_EQ(total, sent);
}

}  // namespace
}  // namespace reach::engine
