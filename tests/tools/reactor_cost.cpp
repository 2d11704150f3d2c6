// What io::Reactor adds per connect-like event over a bare sys::Epoll (docs/BENCHMARKS.md):
// one iteration = register a writable socket, wait for its event, handle it, unregister — what
// scan --connect and check do per endpoint, with the same three system calls either way.
// Usage: reactor_cost [ITERATIONS per block, default 100000]; prints the CPU time of this process
// (user + system: unlike wall time, it does not grow while other processes hold the CPU) per
// iteration, best of 7 alternating blocks, for both and their ratio.
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "io/reactor.hpp"
#include "sys/epoll.hpp"
#include "cpu_time.hpp"

using namespace reach;
using reach::tools_bench::cpu_now;

namespace {

TimeNs bare(int fd, long n, long& handled) {
  auto ep = sys::Epoll::create();
  if (!ep) std::exit(2);
  TimeNs t0 = cpu_now();
  for (long i = 0; i < n; ++i) {
    (void)ep->add(fd, EPOLLOUT, static_cast<std::uint64_t>(i & 1023));
    auto ready = ep->wait(0);
    for (const auto& r : *ready)
      if (r.tag == static_cast<std::uint64_t>(i & 1023)) ++handled;
    ep->remove(fd);
  }
  return cpu_now() - t0;
}

TimeNs on_reactor(int fd, long n, long& handled) {
  auto r = io::Reactor::create();
  if (!r) std::exit(2);
  io::Reactor& loop = **r;
  TimeNs t0 = cpu_now();
  for (long i = 0; i < n; ++i) {
    std::size_t slot = static_cast<std::size_t>(i & 1023);
    (void)loop.watch(fd, EPOLLOUT, [&handled, slot](std::uint32_t) { handled += slot < 1024; });
    (void)loop.run_once(0);
    loop.unwatch(fd);
  }
  return cpu_now() - t0;
}

}  // namespace

int main(int argc, char** argv) {
  long n = argc > 1 ? std::atol(argv[1]) : 100000;
  if (n < 1) return 2;
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) return 2;
  TimeNs best_bare = -1, best_reactor = -1;
  long handled_bare = 0, handled_reactor = 0;
  for (int block = 0; block < 7; ++block) {
    TimeNs b = bare(sv[0], n, handled_bare);
    TimeNs r = on_reactor(sv[0], n, handled_reactor);
    best_bare = best_bare < 0 ? b : std::min(best_bare, b);
    best_reactor = best_reactor < 0 ? r : std::min(best_reactor, r);
  }
  if (handled_bare != 7 * n || handled_reactor != 7 * n) return 1;  // every event was seen
  double nb = static_cast<double>(best_bare) / static_cast<double>(n);
  double nr = static_cast<double>(best_reactor) / static_cast<double>(n);
  std::printf("bare sys::Epoll: %.0f ns of CPU per event\n", nb);
  std::printf("io::Reactor:     %.0f ns of CPU per event (x%.2f, %+.0f ns)\n", nr, nr / nb, nr - nb);
  close(sv[0]);
  close(sv[1]);
  return 0;
}
