#pragma once
// Signals as a readable fd: the signal is blocked for the process and read from a signalfd.
#include <vector>

#include "base/error.hpp"
#include "sys/fd.hpp"

namespace reach::sys {

// Blocks `signals` in this thread's mask (SIG_BLOCK, adding to what is blocked) and returns a
// new non-blocking, close-on-exec signalfd for them, or with `existing` >= 0 re-arms that one
// with the new set and returns an invalid Fd (the caller keeps owning `existing`).
Result<Fd> signalfd_for(const std::vector<int>& signals, int existing = -1);
// SIGPIPE ignored: every socket write of the daemons handles EPIPE itself (c-ares's TCP writes
// do not all pass MSG_NOSIGNAL).
void ignore_sigpipe();
// Signal numbers waiting on the signalfd (empty when none); errors only on a read failure.
Result<std::vector<int>> read_signals(int signal_fd);

}  // namespace reach::sys
