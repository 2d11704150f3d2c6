#pragma once
// CPU time of this process (user + system) for the measurement tools: unlike wall time it does
// not grow while other processes hold the CPU, so a busy machine does not inflate the result.
#include <time.h>

#include "base/time.hpp"

namespace reach::tools_bench {

inline TimeNs cpu_now() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * kNsPerSec + ts.tv_nsec;
}

}  // namespace reach::tools_bench
