#include "sys/eventfd.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

namespace reach::sys {

Result<Fd> make_eventfd() {
  int fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0) return fail("eventfd", "", errno);
  return Fd(fd);
}

void eventfd_signal(int fd) {
  std::uint64_t one = 1;
  while (::write(fd, &one, sizeof one) < 0 && errno == EINTR) {
  }
}

std::uint64_t eventfd_drain(int fd) {
  std::uint64_t v = 0;
  while (::read(fd, &v, sizeof v) < 0) {
    if (errno != EINTR) return 0;
  }
  return v;
}

}  // namespace reach::sys
