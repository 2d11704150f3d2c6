#pragma once
// Process resource limits.
#include <cstddef>

namespace reach::sys {

// Raises the soft limit on open files toward `want` (never above the hard limit); returns the
// soft limit now in force.
std::size_t raise_fd_limit(std::size_t want);

// Gives the heap's free pages back to the kernel (malloc_trim): after a flood of connections
// glibc keeps what they used, and RSS would stay at the flood's peak.
void release_free_heap();

}  // namespace reach::sys
