#pragma once
// Process resource limits.
#include <cstddef>

namespace reach::sys {

// Raises the soft limit on open files toward `want` (never above the hard limit); returns the
// soft limit now in force.
std::size_t raise_fd_limit(std::size_t want);

}  // namespace reach::sys
