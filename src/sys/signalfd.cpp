#include "sys/signalfd.hpp"

#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <string>

namespace reach::sys {

Result<Fd> signalfd_for(const std::vector<int>& signals, int existing) {
  sigset_t set;
  sigemptyset(&set);
  for (int s : signals) {
    if (sigaddset(&set, s) != 0) return fail("sigaddset", std::to_string(s), errno);
  }
  if (sigprocmask(SIG_BLOCK, &set, nullptr) != 0) return fail("sigprocmask", "", errno);
  int fd = signalfd(existing, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd < 0) return fail("signalfd", "", errno);
  return existing >= 0 ? Fd() : Fd(fd);
}

void ignore_sigpipe() { ::signal(SIGPIPE, SIG_IGN); }

Result<std::vector<int>> read_signals(int signal_fd) {
  std::vector<int> out;
  signalfd_siginfo infos[16];
  for (;;) {
    ssize_t n = ::read(signal_fd, infos, sizeof infos);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) return out;
      return fail("read(signalfd)", "", errno);
    }
    for (std::size_t i = 0; i < static_cast<std::size_t>(n) / sizeof(signalfd_siginfo); ++i)
      out.push_back(static_cast<int>(infos[i].ssi_signo));
    if (static_cast<std::size_t>(n) < sizeof infos) return out;
  }
}

}  // namespace reach::sys
