#pragma once
// Signals as a readable fd: the signal is blocked for the process and read from a signalfd.
#include <vector>

#include "base/error.hpp"
#include "sys/fd.hpp"

namespace reach::sys {

// Blocks `signals` in this thread's mask (SIG_BLOCK, adding to what is blocked) and returns a
// non-blocking, close-on-exec signalfd for them. With `existing` valid, that signalfd is
// re-armed with the new set instead of opening another.
Result<Fd> signalfd_for(const std::vector<int>& signals, Fd existing);
// Signal numbers waiting on the signalfd (empty when none); errors only on a read failure.
Result<std::vector<int>> read_signals(int signal_fd);

}  // namespace reach::sys
