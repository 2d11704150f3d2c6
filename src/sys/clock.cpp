#include "sys/clock.hpp"

#include <time.h>

namespace reach::sys {

namespace {

TimeNs read(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<TimeNs>(ts.tv_sec) * kNsPerSec + ts.tv_nsec;
}

}  // namespace

TimeNs MonotonicClock::now() const { return read(CLOCK_MONOTONIC); }

TimeNs WallClock::now() const { return read(CLOCK_REALTIME); }

TimeNs wall_minus_monotonic() {
  // The wall clock read between two monotonic reads: the midpoint is within a few tens of ns,
  // unless the thread was preempted between the reads. The tightest of three attempts is kept,
  // so a preemption cannot move a kernel stamp by its length (and turn an RTT negative).
  TimeNs best = 0, best_width = -1;
  for (int i = 0; i < 3; ++i) {
    TimeNs m1 = read(CLOCK_MONOTONIC);
    TimeNs w = read(CLOCK_REALTIME);
    TimeNs m2 = read(CLOCK_MONOTONIC);
    if (best_width < 0 || m2 - m1 < best_width) {
      best_width = m2 - m1;
      best = w - (m1 + (m2 - m1) / 2);
    }
  }
  return best;
}

TimeNs kernel_stamp_to_monotonic(TimeNs realtime_stamp) { return realtime_stamp - wall_minus_monotonic(); }

}  // namespace reach::sys
