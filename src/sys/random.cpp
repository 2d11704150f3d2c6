#include "sys/random.hpp"

#include <sys/random.h>
#include <time.h>

namespace reach::sys {

std::uint64_t random64() {
  std::uint64_t v = 0;
  if (getrandom(&v, sizeof v, 0) == static_cast<ssize_t>(sizeof v)) return v;
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (static_cast<std::uint64_t>(ts.tv_sec) << 32) ^ static_cast<std::uint64_t>(ts.tv_nsec);
}

}  // namespace reach::sys
