// Health checks of the relay's backends: a TCP connect to each every `interval`, judged by the
// same connect classification as `reach check` (engine/connect_outcome through
// tools/connect_result), bounded by `timeout`. The pool decides when a backend goes out or
// comes back (fall/rise); each change is an event.
#include <fmt/format.h>
#include <sys/epoll.h>

#include "sys/socket.hpp"
#include "tools/connect_result.hpp"
#include "tools/relay/server.hpp"

namespace reach::tools::relay {

void Server::schedule_checks() {
  if (!cfg_->health_checks) return;
  const std::uint64_t gen = pool_generation_;
  for (std::size_t i = 0; i < backends_.size(); ++i) {
    // Spread over the interval so checks of many backends do not go out at once.
    const TimeNs offset = cfg_->health.interval * static_cast<TimeNs>(i) / static_cast<TimeNs>(backends_.size());
    reactor_->after(offset, [this, i, gen] { run_check(i, gen); });
  }
}

void Server::run_check(std::size_t i, std::uint64_t gen) {
  if (gen != pool_generation_ || !cfg_->health_checks) return;  // a reload rescheduled them
  reactor_->after(cfg_->health.interval, [this, i, gen] { run_check(i, gen); });
  if (checks_.count(i)) return;  // the last one still runs (timeout > interval)
  const BackendRef b = backends_[i];
  auto fd = open_connect_socket(b.addr.family());
  if (!fd) return check_done(i, gen, false, fd.error().message());
  auto c = sys::connect_nonblocking(fd->get(), b.addr, b.port);
  if (!c) return check_done(i, gen, false, failed_connect(c.error().err).text);
  if (*c) return check_done(i, gen, true, "connected");
  Check& ck = checks_[i];
  ck.fd = std::move(*fd);
  const int raw = ck.fd.get();
  ck.timer = reactor_->after(cfg_->health.timeout, [this, i, gen, raw] {
    auto it = checks_.find(i);
    if (it == checks_.end()) return;
    const engine::ConnectVerdict v = timed_out_connect(raw);
    reactor_->unwatch(raw);
    checks_.erase(it);
    check_done(i, gen, false, v.text);
  });
  (void)reactor_->watch(raw, EPOLLOUT, [this, i, gen, raw](std::uint32_t) {
    auto it = checks_.find(i);
    if (it == checks_.end()) return;
    const engine::ConnectVerdict v = finished_connect(raw);
    reactor_->unwatch(raw);
    reactor_->cancel(it->second.timer);
    checks_.erase(it);
    check_done(i, gen, v.state == model::PortState::open, v.text);
  });
}

void Server::check_done(std::size_t i, std::uint64_t gen, bool ok, const std::string& reason) {
  if (gen != pool_generation_) return;
  const auto changed = pool_->checked(i, ok, reason);
  if (!changed) return;
  const std::string& name = backends_[i].text;
  const char* state = *changed ? "up" : "down";
  event("backend", fmt::format("backend {} {}: {}", name, state, reason),
        {{"backend", name}, {"state", state}, {"reason", reason}, {"up_backends", pool_->up_count()}});
}

}  // namespace reach::tools::relay
