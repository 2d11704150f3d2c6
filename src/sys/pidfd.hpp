#pragma once
// Process file descriptors (Linux 5.3+): a child's exit as a readable fd on the event loop.
#include <sys/types.h>

#include <optional>

#include "base/error.hpp"
#include "sys/fd.hpp"

namespace reach::sys {

Result<Fd> pidfd_open(pid_t pid);  // O_NONBLOCK | close-on-exec
// waitpid(pid, WNOHANG): the wait status once the child has exited, nullopt while it runs.
Result<std::optional<int>> reap_child(pid_t pid);

}  // namespace reach::sys
