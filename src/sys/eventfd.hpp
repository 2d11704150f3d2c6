#pragma once
// An eventfd: how a helper thread wakes a Reactor (which watches the fd) without touching it.
#include <cstdint>

#include "base/error.hpp"
#include "sys/fd.hpp"

namespace reach::sys {

// Non-blocking, close-on-exec. Errors: {op "eventfd"}.
Result<Fd> make_eventfd();
// Adds 1 (thread-safe; never blocks: a counter at its maximum is already readable).
void eventfd_signal(int fd);
// Reads and clears the counter (non-blocking; 0 when it was clear).
std::uint64_t eventfd_drain(int fd);

}  // namespace reach::sys
