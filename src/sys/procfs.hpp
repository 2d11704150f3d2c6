#pragma once
// Reading /proc: which processes own which sockets, small text files.
#include <cstdint>
#include <string>
#include <span>
#include <utility>
#include <vector>

#include "base/error.hpp"

namespace reach::sys {

struct ProcessFd {
  int pid = 0;
  int fd = -1;
  std::string comm;  // /proc/PID/comm without the newline
};

struct SocketOwners {
  // (socket inode, owner), sorted by inode then pid and fd: one flat array, no map of vectors.
  std::vector<std::pair<std::uint64_t, ProcessFd>> sorted;
  std::size_t processes = 0;    // processes whose fd directory was read
  std::size_t unreadable = 0;   // processes whose fd directory we may not read (EACCES/EPERM)

  // The owners of one socket (empty when none was found).
  std::span<const std::pair<std::uint64_t, ProcessFd>> of(std::uint64_t inode) const;
};

// Walks /proc/PID/fd of every process once and maps each socket inode ("socket:[N]") to the
// processes holding it. Processes that exit meanwhile are skipped silently. Threads share
// their process's table, so only /proc/PID is read, not /proc/PID/task.
Result<SocketOwners> socket_owners();

// The whole of a (small, /proc or /sys) text file.
Result<std::string> read_text_file(const std::string& path);

}  // namespace reach::sys
