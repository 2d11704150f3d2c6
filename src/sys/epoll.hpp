#pragma once
// epoll with a nanosecond deadline (epoll_pwait2).
#include <cstdint>
#include <vector>

#include "base/error.hpp"
#include "base/time.hpp"
#include "sys/fd.hpp"

namespace reach::sys {

class Epoll {
 public:
  static Result<Epoll> create();
  Result<void> add(int fd, std::uint32_t events, std::uint64_t tag);
  Result<void> modify(int fd, std::uint32_t events, std::uint64_t tag);
  void remove(int fd);
  struct Ready {
    std::uint64_t tag;
    std::uint32_t events;
  };
  // Waits at most `timeout` ns (0: poll, negative: forever) into a reused vector (cleared
  // first; at most 256 events). Interrupted waits return empty. `sigmask` is the mask during
  // the wait (a sigset_t: sys::stop_wait_mask() for the one-shot commands); nullptr leaves the
  // thread's mask as it is (the daemons read a signalfd). For the io::Reactor.
  Result<void> wait_into(TimeNs timeout, std::vector<Ready>& out, const void* sigmask = nullptr);
  // The same, returned, with the stop signals' mask: for a short wait outside any Reactor
  // (io::wait_for_rx_timestamps).
  Result<std::vector<Ready>> wait(TimeNs timeout);

 private:
  Fd fd_;
};

}  // namespace reach::sys
