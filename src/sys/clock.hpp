#pragma once
#include "base/time.hpp"

namespace reach::sys {

// CLOCK_REALTIME, the clock of the kernel's software packet timestamps.
class RealClock final : public Clock {
 public:
  TimeNs now() const override;
};

}  // namespace reach::sys
