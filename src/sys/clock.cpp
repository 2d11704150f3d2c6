#include "sys/clock.hpp"

#include <time.h>

namespace reach::sys {

TimeNs RealClock::now() const {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<TimeNs>(ts.tv_sec) * kNsPerSec + ts.tv_nsec;
}

}  // namespace reach::sys
