#include "sys/epoll.hpp"

#include <sys/epoll.h>

#include <signal.h>

#include <cerrno>

#include "sys/signals.hpp"

namespace reach::sys {

Result<Epoll> Epoll::create() {
  int fd = epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0) return fail("epoll_create1", "", errno);
  Epoll e;
  e.fd_ = Fd(fd);
  return e;
}

Result<void> Epoll::add(int fd, std::uint32_t events, std::uint64_t tag) {
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = tag;
  if (epoll_ctl(fd_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) return fail("epoll_ctl(ADD)", "", errno);
  return {};
}

Result<void> Epoll::modify(int fd, std::uint32_t events, std::uint64_t tag) {
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = tag;
  if (epoll_ctl(fd_.get(), EPOLL_CTL_MOD, fd, &ev) != 0) return fail("epoll_ctl(MOD)", "", errno);
  return {};
}

void Epoll::remove(int fd) { epoll_ctl(fd_.get(), EPOLL_CTL_DEL, fd, nullptr); }

Result<std::vector<Epoll::Ready>> Epoll::wait(TimeNs timeout) {
  std::vector<Ready> out;
  if (auto r = wait_into(timeout, out, stop_wait_mask()); !r) return tl::unexpected(r.error());
  return out;
}

Result<void> Epoll::wait_into(TimeNs timeout, std::vector<Ready>& out, const void* sigmask) {
  epoll_event evs[256];
  timespec ts{};
  timespec* tsp = nullptr;
  if (timeout >= 0) {
    ts.tv_sec = timeout / kNsPerSec;
    ts.tv_nsec = timeout % kNsPerSec;
    tsp = &ts;
  }
  out.clear();
  int n = epoll_pwait2(fd_.get(), evs, 256, tsp, static_cast<const sigset_t*>(sigmask));
  if (n < 0) {
    if (errno == EINTR) return {};
    return fail("epoll_pwait2", "", errno);
  }
  for (int i = 0; i < n; ++i) out.push_back({evs[i].data.u64, evs[i].events});
  return {};
}

}  // namespace reach::sys
