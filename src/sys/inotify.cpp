#include "sys/inotify.hpp"

#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace reach::sys {

Result<Fd> inotify_open() {
  int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) return fail("inotify_init", "", errno);
  return Fd(fd);
}

Result<int> inotify_watch(int fd, const std::string& path, std::uint32_t mask) {
  int wd = ::inotify_add_watch(fd, path.c_str(), mask);
  if (wd < 0) return fail("inotify_add_watch", path, errno);
  return wd;
}

void inotify_unwatch(int fd, int wd) { (void)::inotify_rm_watch(fd, wd); }

std::vector<InotifyEvent> inotify_read(int fd, std::size_t max) {
  std::vector<InotifyEvent> out;
  alignas(struct inotify_event) char buf[16384];
  while (out.size() < max) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    for (ssize_t off = 0; off + static_cast<ssize_t>(sizeof(struct inotify_event)) <= n;) {
      struct inotify_event ev;
      std::memcpy(&ev, buf + off, sizeof ev);
      InotifyEvent e;
      e.wd = ev.wd;
      e.mask = ev.mask;
      if (ev.len > 0) e.name.assign(buf + off + sizeof ev, strnlen(buf + off + sizeof ev, ev.len));
      out.push_back(std::move(e));
      off += static_cast<ssize_t>(sizeof ev + ev.len);
    }
  }
  return out;
}

}  // namespace reach::sys
