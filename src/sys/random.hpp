#pragma once
#include <cstdint>
namespace reach::sys {
// 64 bits from the kernel's random source (getrandom), for cookie keys and identifiers.
std::uint64_t random64();
}  // namespace reach::sys
