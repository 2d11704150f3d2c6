#pragma once
// inotify: what the log follower (io/log_follow) watches to learn that a followed file grew,
// was renamed away (rotation) or replaced. The fd is non-blocking so a Reactor can watch it.
#include <cstdint>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "sys/fd.hpp"

namespace reach::sys {

struct InotifyEvent {
  int wd = -1;
  std::uint32_t mask = 0;  // IN_MODIFY, IN_CREATE, IN_MOVED_FROM, IN_MOVED_TO, IN_Q_OVERFLOW...
  std::string name;        // the entry's name for a directory watch, else empty
};

// Non-blocking, close-on-exec. Errors: {op "inotify_init"}.
Result<Fd> inotify_open();
// Errors: {op "inotify_add_watch", addr = path}.
Result<int> inotify_watch(int fd, const std::string& path, std::uint32_t mask);
void inotify_unwatch(int fd, int wd);
// Reads what is queued (never blocks); an empty vector when nothing is. At most `max` events
// per call so a flood of them cannot hold the loop.
std::vector<InotifyEvent> inotify_read(int fd, std::size_t max = 4096);

}  // namespace reach::sys
