#include "sys/limits.hpp"

#include <malloc.h>
#include <sys/resource.h>

#include <algorithm>

namespace reach::sys {

std::size_t raise_fd_limit(std::size_t want) {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return 1024;
  if (rl.rlim_cur < want && rl.rlim_cur != RLIM_INFINITY) {
    rlimit up = rl;
    up.rlim_cur = rl.rlim_max == RLIM_INFINITY ? want : std::min<rlim_t>(want, rl.rlim_max);
    if (::setrlimit(RLIMIT_NOFILE, &up) == 0) rl = up;
  }
  return rl.rlim_cur == RLIM_INFINITY ? want : static_cast<std::size_t>(rl.rlim_cur);
}

void release_free_heap() { (void)::malloc_trim(0); }

}  // namespace reach::sys
