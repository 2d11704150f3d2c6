#pragma once
// Turning raw interface counters into bytes that really crossed the link. Pure: a state and a
// reading in, the bytes to count out. The rules (docs/USAGE-SOURCES.md):
//  - no previous state (first sight of this source): baseline only, count 0;
//  - a new base (new ifindex, new boot_id, SNMP agent restart with reset counters): the counter
//    started at 0, count `value`;
//  - same base, a different counter width (an SNMP agent that stopped or started answering the
//    64-bit counters): nothing tells where the other counter started, baseline again, count 0;
//  - same base, value >= last: the difference;
//  - same base, value < last, and the source saw its counter restart after the last reading
//    (`restarted`: an SNMP agent's start from sysUpTime, or ifCounterDiscontinuityTime): a
//    reset, never a wrap;
//  - same base, value < last: a wrap only when the counter is 32 bits wide, both values fit in
//    it and the wrapped delta over the elapsed wall time is within max_rate; else a reset: count
//    `value` (the bytes since it).
// A restart whose counter did not go down (snmpd restarted, the kernel's counters went on) is
// not a reset: the difference counts, as for any reading.
// A 64-bit counter never wraps in practice (584 years at 1 Tbit/s), so for it a drop is always
// a reset.
#include <cstdint>
#include <string>

#include "base/time.hpp"

namespace reach::engine {

struct CounterReading {
  TimeNs wall = 0;           // unix ns the value was read
  std::uint64_t value = 0;
  int bits = 64;             // 64 or 32
  std::string base;          // the counter base's identity, e.g. "BOOTID.NETNS/IFINDEX"
  TimeNs restarted = 0;      // unix ns of the counter's latest known restart, 0 when unknown
};
struct CounterState {        // persisted per source and direction
  bool valid = false;
  std::string base;
  std::uint64_t last = 0;
  TimeNs last_wall = 0;
  int bits = 64;
};
enum class StepKind : std::uint8_t { baseline, normal, wrap, reset, new_base };
struct CounterStep {
  std::uint64_t bytes = 0;
  StepKind kind = StepKind::baseline;
};

// The default ceiling for a plausible wrap: 100 Gbit/s in bytes per second.
inline constexpr double kDefaultMaxRate = 100e9 / 8;

// `max_rate`: bytes per second above which a wrap is implausible (e.g. the link speed, or
// kDefaultMaxRate). Updates `state`.
CounterStep advance(CounterState& state, const CounterReading& reading, double max_rate);

// "baseline", "normal", "wrap", "reset", "new_base" (logs and --json).
const char* step_kind_name(StepKind kind);

}  // namespace reach::engine
