#pragma once
// One timeline for the whole program: nanoseconds of CLOCK_MONOTONIC. The kernel's packet stamps
// (CLOCK_REALTIME) are moved onto it where they are read (sys/), so RTTs are differences of two
// points of one timeline, and a wall-clock step cannot stall or expire probes.
#include <cstdint>

namespace reach {

using TimeNs = std::int64_t;
inline constexpr TimeNs kNsPerUs = 1000;
inline constexpr TimeNs kNsPerMs = 1000 * 1000;
inline constexpr TimeNs kNsPerSec = 1000 * 1000 * 1000;

inline double ns_to_ms(TimeNs ns) { return static_cast<double>(ns) / 1e6; }

// The engine never reads a clock; the layers that may, take one of these.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimeNs now() const = 0;
};

}  // namespace reach
