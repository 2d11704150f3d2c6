#pragma once
#include "base/time.hpp"

namespace reach::sys {

// CLOCK_MONOTONIC: the program's timeline. Schedules, deadlines and RTTs live on it, so a step of
// the wall clock (NTP, an operator's `date -s`) neither stalls nor expires probes.
class MonotonicClock final : public Clock {
 public:
  TimeNs now() const override;
};

// CLOCK_REALTIME: only for showing unix times to the user.
class WallClock final : public Clock {
 public:
  TimeNs now() const override;
};

// CLOCK_REALTIME minus CLOCK_MONOTONIC, right now. Both clocks run at the same (NTP-disciplined)
// rate, so the difference changes only when the wall clock steps.
TimeNs wall_minus_monotonic();

// The kernel's software packet stamps are CLOCK_REALTIME; this puts one on the program's
// timeline. Exact unless the wall clock stepped between the stamp and this call (microseconds).
TimeNs kernel_stamp_to_monotonic(TimeNs realtime_stamp);

}  // namespace reach::sys
