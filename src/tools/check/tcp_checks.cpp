#include "tools/check/tcp_checks.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>

#include "engine/check_engine.hpp"
#include "io/reactor.hpp"
#include "sys/netns.hpp"
#include "sys/socket.hpp"
#include "tools/connect_result.hpp"

namespace reach::tools {
namespace {

struct Attempt {
  sys::Fd fd;
  TimeNs started = 0;
};

Result<sys::Fd> open_for(const TcpTarget& t) {
  Result<sys::Fd> fd = fail("socket(tcp)", "", 0);
  auto open = [&] { fd = open_connect_socket(t.addr.family()); };
  if (t.netns_path.empty()) {
    open();
  } else if (auto r = sys::in_netns(t.netns_path, open); !r) {
    return tl::unexpected(r.error());
  }
  if (!fd) return fd;
  if (t.source)
    if (auto r = sys::bind_to(fd->get(), *t.source, 0); !r) return tl::unexpected(r.error());
  return fd;
}

}  // namespace

Result<std::vector<TcpResult>> run_tcp_checks(const std::vector<TcpTarget>& targets, const TcpRunOptions& o,
                                              const Clock& clock) {
  std::vector<TcpResult> results(targets.size());
  std::vector<Attempt> live(targets.size());
  engine::CheckScheduler sched(targets.size(), o.jobs, o.retries, o.timeout);
  auto reactor = io::Reactor::create();
  if (!reactor) return tl::unexpected(reactor.error());
  io::Reactor& loop = **reactor;
  loop.wait_with_stop_signals();  // as the other loops: a Ctrl-C during a wait is counted, if handled

  auto finish = [&](std::size_t i, engine::Classified c, std::optional<TimeNs> took, int err,
                    std::optional<model::IcmpSeen> icmp) {
    if (live[i].fd.valid()) {
      loop.unwatch(live[i].fd.get());
      live[i].fd.reset();
    }
    TcpResult& r = results[i];
    r.attempts = sched.attempts(i);
    r.status = c.status;
    r.reason = std::move(c.reason);
    r.time = took;
    r.err = err;
    r.icmp = std::move(icmp);
    sched.finished(i, r.status);
  };

  // Attempt i's socket is ready: connected, refused, or an error (ICMP) is queued.
  auto ready = [&](std::size_t i) {
    int fd = live[i].fd.get();
    auto v = finished_connect(fd);
    // Connected: the kernel's own handshake RTT (TCP_INFO), untouched by our wake-up latency.
    std::optional<TimeNs> took = clock.now() - live[i].started;
    if (v.err == 0)
      if (auto rtt = sys::tcp_rtt(fd); rtt && *rtt > 0) took = rtt;
    finish(i, engine::classify_verdict(v), took, v.err, v.icmp);
  };

  while (!sched.done()) {
    for (std::size_t i : sched.start(clock.now())) {
      const TcpTarget& t = targets[i];
      auto fd = open_for(t);
      if (!fd) {
        finish(i, {model::CheckStatus::error, fd.error().message()}, std::nullopt, fd.error().err, std::nullopt);
        continue;
      }
      TimeNs t0 = clock.now();
      auto c = sys::connect_nonblocking(fd->get(), t.addr, t.port);
      if (!c) {
        finish(i, engine::classify_verdict(failed_connect(c.error().err)), clock.now() - t0, c.error().err,
               std::nullopt);
        continue;
      }
      live[i] = Attempt{std::move(*fd), t0};
      if (*c) {
        finish(i, engine::classify_connect(0, std::nullopt, false), clock.now() - t0, 0, std::nullopt);
        continue;
      }
      if (auto r = loop.watch(live[i].fd.get(), EPOLLOUT | EPOLLERR, [&ready, i](std::uint32_t) { ready(i); }); !r)
        finish(i, {model::CheckStatus::error, r.error().message()}, std::nullopt, r.error().err, std::nullopt);
    }
    if (sched.done()) break;
    TimeNs now = clock.now();
    auto next = sched.next_deadline();
    TimeNs wait = next ? std::max<TimeNs>(0, *next - now) : 0;
    if (auto r = loop.run_once(wait); !r) return tl::unexpected(r.error());
    now = clock.now();
    for (std::size_t i : sched.expired(now)) {
      if (!live[i].fd.valid()) continue;
      // An ICMP error may sit in the queue of a socket the kernel kept retrying (soft errors).
      auto v = timed_out_connect(live[i].fd.get());
      if (v.icmp) finish(i, engine::classify_verdict(v), std::nullopt, ETIMEDOUT, v.icmp);
      else finish(i, engine::classify_timeout(o.timeout), std::nullopt, ETIMEDOUT, std::nullopt);
    }
  }
  return results;
}

}  // namespace reach::tools
