#include "sys/pidfd.hpp"

#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#ifndef PIDFD_NONBLOCK
#define PIDFD_NONBLOCK O_NONBLOCK
#endif

namespace reach::sys {

Result<Fd> pidfd_open(pid_t pid) {
  // glibc 2.36 has pidfd_open(), but the raw call keeps older build hosts working.
  long fd = ::syscall(SYS_pidfd_open, pid, 0);
  if (fd < 0) return fail("pidfd_open", std::to_string(pid), errno);
  return Fd(static_cast<int>(fd));  // pidfds are always close-on-exec
}

Result<std::optional<int>> reap_child(pid_t pid) {
  int status = 0;
  for (;;) {
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return std::optional<int>(status);
    if (r == 0) return std::optional<int>();
    if (errno == EINTR) continue;
    return fail("waitpid", std::to_string(pid), errno);
  }
}

}  // namespace reach::sys
