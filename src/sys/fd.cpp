#include "sys/fd.hpp"

#include <unistd.h>

namespace reach::sys {

void Fd::reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

}  // namespace reach::sys
