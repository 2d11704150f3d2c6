#include "tools/scan/banners.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <algorithm>

#include "engine/scan_banner.hpp"
#include "io/reactor.hpp"
#include "sys/batch.hpp"
#include "sys/socket.hpp"

namespace reach::tools {
namespace {

enum class Phase { connecting, greeting, answer };

struct Grab {
  sys::Fd fd;
  std::size_t result = 0;
  Phase phase = Phase::connecting;
  TimeNs deadline = 0;
  std::vector<std::uint8_t> data;
};

bool has_line(const std::vector<std::uint8_t>& d) {
  return std::find(d.begin(), d.end(), '\n') != d.end() || d.size() >= engine::kBannerMax;
}

}  // namespace

Result<void> grab_banners(std::vector<model::PortResult>& results, TimeNs timeout, int concurrency, const Clock& clock) {
  auto reactor = io::Reactor::create();
  if (!reactor) return tl::unexpected(reactor.error());
  io::Reactor& loop = **reactor;
  loop.wait_with_stop_signals();  // a Ctrl-C here is counted; the grabs end by their deadlines
  std::vector<std::size_t> todo;
  for (std::size_t i = results.size(); i-- > 0;)
    if (results[i].state == model::PortState::open) todo.push_back(i);
  std::vector<Grab> slots(static_cast<std::size_t>(std::max(1, concurrency)));
  std::size_t active = 0;
  const TimeNs half = std::max<TimeNs>(timeout / 2, 1);

  auto finish = [&](std::size_t s) {
    Grab& g = slots[s];
    results[g.result].banner = engine::clean_banner(g.data);
    loop.unwatch(g.fd.get());
    g.fd.reset();
    g.data.clear();
    --active;
  };

  // The socket of slot `s` is ready: connected, or something to read.
  auto ready = [&](std::size_t s) {
    Grab& g = slots[s];
    TimeNs now = clock.now();
    if (g.phase == Phase::connecting) {
      if (sys::socket_error(g.fd.get()) != 0) return finish(s);
      g.phase = Phase::greeting;
      g.deadline = now + half;
      (void)loop.rewatch(g.fd.get(), EPOLLIN);
      return;
    }
    std::uint8_t buf[engine::kBannerMax];
    auto n = sys::read_stream(g.fd.get(), buf);
    if (!n || (*n && **n == 0)) return finish(s);  // error or end of stream: keep what came
    if (*n) g.data.insert(g.data.end(), buf, buf + **n);
    if (has_line(g.data)) finish(s);
  };

  // Bounded: every connection ends by its deadlines, and there are finitely many to start.
  while (!todo.empty() || active > 0) {
    TimeNs now = clock.now();
    for (std::size_t s = 0; s < slots.size() && !todo.empty(); ++s) {
      if (slots[s].fd.valid()) continue;
      std::size_t i = todo.back();
      todo.pop_back();
      auto fd = sys::open_socket(results[i].addr.family(), SOCK_STREAM, IPPROTO_TCP, "socket(tcp)");
      if (!fd) return tl::unexpected(fd.error());
      (void)sys::set_linger_zero(fd->get());
      auto c = sys::connect_nonblocking(fd->get(), results[i].addr, results[i].port);
      if (!c) continue;  // refused now: no banner
      if (auto r = loop.watch(fd->get(), *c ? EPOLLIN : EPOLLOUT, [&ready, s](std::uint32_t) { ready(s); }); !r)
        return tl::unexpected(r.error());
      slots[s] = Grab{std::move(*fd), i, *c ? Phase::greeting : Phase::connecting, now + (*c ? half : timeout), {}};
      ++active;
    }
    TimeNs next = now + half;
    for (const auto& g : slots)
      if (g.fd.valid()) next = std::min(next, g.deadline);
    if (auto r = loop.run_once(std::max<TimeNs>(0, next - now)); !r) return tl::unexpected(r.error());
    now = clock.now();
    for (std::size_t s = 0; s < slots.size(); ++s) {
      Grab& g = slots[s];
      if (!g.fd.valid() || now < g.deadline) continue;
      if (g.phase == Phase::greeting && g.data.empty()) {
        // Silent so far: ask as HTTP does.
        auto head = std::span(reinterpret_cast<const std::uint8_t*>(engine::kHttpHead.data()), engine::kHttpHead.size());
        if (auto w = sys::send_stream(g.fd.get(), head); w && *w) {
          g.phase = Phase::answer;
          g.deadline = now + half;
          continue;
        }
      }
      finish(s);
    }
  }
  return {};
}

}  // namespace reach::tools
