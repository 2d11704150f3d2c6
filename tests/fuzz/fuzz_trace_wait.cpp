// Fuzzes trace's -w MAX[,HERE[,NEAR]] parser: no crash, and what it accepts is in range.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include "config/values.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string s(reinterpret_cast<const char*>(data), size);
  if (auto w = reach::config::parse_wait(s)) {
    for (double v : {w->max, w->here, w->near})
      if (!std::isfinite(v) || v < 0 || v > 3600) __builtin_trap();
    if (!(w->max > 0)) __builtin_trap();
  }
  return 0;
}
