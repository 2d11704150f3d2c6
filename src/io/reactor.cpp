#include "io/reactor.hpp"

#include <sys/epoll.h>

#include <algorithm>
#include <cerrno>
#include <string>

#include "sys/clock.hpp"
#include "sys/pidfd.hpp"
#include "sys/signals.hpp"
#include "sys/signalfd.hpp"

namespace reach::io {
namespace {

std::uint64_t tag_of(int fd, std::uint32_t generation) {
  return (std::uint64_t{generation} << 32) | static_cast<std::uint32_t>(fd);
}

// Min-heap order: earliest deadline first, then creation order.
bool later(const auto& a, const auto& b) { return a.deadline != b.deadline ? a.deadline > b.deadline : a.id > b.id; }

}  // namespace

Result<std::unique_ptr<Reactor>> Reactor::create() {
  auto ep = sys::Epoll::create();
  if (!ep) return tl::unexpected(ep.error());
  std::unique_ptr<Reactor> r(new Reactor());
  r->epoll_ = std::move(*ep);
  r->ready_.reserve(256);
  r->now_ = sys::MonotonicClock().now();
  sys::ignore_sigpipe();
  return r;
}

Reactor::~Reactor() = default;

Result<void> Reactor::watch(int fd, std::uint32_t events, FdHandler h) {
  if (fd < 0) return fail("reactor watch", std::to_string(fd), EBADF);
  auto i = static_cast<std::size_t>(fd);
  if (i < fds_.size() && fds_[i]) return fail("reactor watch", "fd " + std::to_string(fd), EEXIST);
  std::uint32_t generation = next_generation_++;
  if (next_generation_ == 0) next_generation_ = 1;
  if (auto r = epoll_.add(fd, events, tag_of(fd, generation)); !r) return r;
  auto e = std::make_shared<FdEntry>();
  e->fd = fd;
  e->events = events;
  e->generation = generation;
  e->handler = std::move(h);
  if (i >= fds_.size()) fds_.resize(i + 1);
  fds_[i] = std::move(e);
  ++watched_;
  return {};
}

Result<void> Reactor::rewatch(int fd, std::uint32_t events) {
  auto i = static_cast<std::size_t>(fd);
  if (fd < 0 || i >= fds_.size() || !fds_[i]) return fail("reactor rewatch", "fd " + std::to_string(fd), ENOENT);
  auto& e = fds_[i];
  if (e->events == events) return {};
  if (auto r = epoll_.modify(fd, events, tag_of(fd, e->generation)); !r) return r;
  e->events = events;
  return {};
}

void Reactor::unwatch(int fd) {
  auto i = static_cast<std::size_t>(fd);
  if (fd < 0 || i >= fds_.size() || !fds_[i]) return;
  epoll_.remove(fd);
  // The generation dies with the entry: events of this turn already fetched for it (or for an
  // fd of the same number watched again in the meantime) find nothing.
  fds_[i].reset();
  --watched_;
}

void Reactor::unwatch_closing(int fd) {
  auto i = static_cast<std::size_t>(fd);
  if (fd < 0 || i >= fds_.size() || !fds_[i]) return;
  // As unwatch(): the generation dies with the entry, so an event already fetched is dropped.
  fds_[i].reset();
  --watched_;
}

Reactor::TimerId Reactor::at(TimeNs deadline, std::function<void()> f) {
  TimerId id = next_timer_++;
  timer_fns_.emplace(id, std::move(f));
  timer_heap_.push_back({deadline, id});
  std::push_heap(timer_heap_.begin(), timer_heap_.end(), [](auto& a, auto& b) { return later(a, b); });
  return id;
}

Reactor::TimerId Reactor::after(TimeNs delay, std::function<void()> f) { return at(now_ + delay, std::move(f)); }

void Reactor::cancel(TimerId id) {
  if (timer_fns_.erase(id) == 0) return;
  // Cancelled keys stay in the heap until popped; rebuild when they dominate it.
  if (timer_heap_.size() > 64 && timer_heap_.size() > 2 * timer_fns_.size()) compact_timers();
}

void Reactor::compact_timers() {
  std::erase_if(timer_heap_, [&](const TimerKey& k) { return !timer_fns_.count(k.id); });
  std::make_heap(timer_heap_.begin(), timer_heap_.end(), [](auto& a, auto& b) { return later(a, b); });
}

void Reactor::post(std::function<void()> f) { posts_.push_back(std::move(f)); }

Result<void> Reactor::on_signal(int signo, std::function<void()> f) {
  bool had_fd = signal_fd_.valid();
  std::vector<int> sigs{signo};
  for (const auto& [s, fn] : signal_fns_) sigs.push_back(s);
  auto fd = sys::signalfd_for(sigs, signal_fd_.get());
  if (!fd) return tl::unexpected(fd.error());
  if (!had_fd) signal_fd_ = std::move(*fd);
  signal_fns_[signo] = std::move(f);
  if (!had_fd) return watch(signal_fd_.get(), EPOLLIN, [this](std::uint32_t) { on_signalfd(); });
  return {};
}

void Reactor::on_signalfd() {
  auto sigs = sys::read_signals(signal_fd_.get());
  if (!sigs) return;  // nothing sensible to do; the fd stays readable only if data remains
  for (int s : *sigs) {
    auto it = signal_fns_.find(s);
    if (it == signal_fns_.end()) continue;
    auto fn = it->second;  // a copy: the callback may replace itself
    fn();
  }
}

Result<void> Reactor::watch_child(pid_t pid, std::function<void(int)> f) {
  auto pfd = sys::pidfd_open(pid);
  if (!pfd) return tl::unexpected(pfd.error());
  int fd = pfd->get();
  auto owned = std::make_shared<sys::Fd>(std::move(*pfd));
  return watch(fd, EPOLLIN, [this, pid, fd, owned, f = std::move(f)](std::uint32_t) {
    auto st = sys::reap_child(pid);
    if (st && !*st) return;  // readable but not yet reapable: try again next turn
    auto keep = owned;       // unwatch destroys this lambda; keep the fd and callback alive
    auto fn = f;
    unwatch(fd);
    fn(st ? **st : -1);
  });
}

TimeNs Reactor::refresh_now() { return now_ = sys::MonotonicClock().now(); }

TimeNs Reactor::wait_timeout() const {
  if (!posts_.empty() || stopping_) return 0;
  if (timer_fns_.empty()) return -1;
  TimeNs d = timer_heap_.front().deadline - now_;  // the front may be cancelled: waking early is harmless
  return d < 0 ? 0 : d;
}

void Reactor::turn_timers() {
  // Only timers due at the start of this stage; ones they schedule for "now" wait a turn.
  std::vector<TimerId> due;
  auto cmp = [](auto& a, auto& b) { return later(a, b); };
  while (!timer_heap_.empty() && timer_heap_.front().deadline <= now_) {
    std::pop_heap(timer_heap_.begin(), timer_heap_.end(), cmp);
    if (timer_fns_.count(timer_heap_.back().id)) due.push_back(timer_heap_.back().id);
    timer_heap_.pop_back();
  }
  for (TimerId id : due) {
    auto it = timer_fns_.find(id);
    if (it == timer_fns_.end()) continue;  // cancelled by an earlier timer of this turn
    auto fn = std::move(it->second);
    timer_fns_.erase(it);
    fn();
  }
}

void Reactor::turn_posts() {
  std::size_t n = posts_.size();
  for (std::size_t i = 0; i < n && !posts_.empty(); ++i) {
    auto fn = std::move(posts_.front());
    posts_.pop_front();
    fn();
  }
}

Result<void> Reactor::turn(TimeNs max_wait) {
  // The timeout counts from now, not from before the last turn's callbacks ran: a probe
  // scheduled by a timer must not leave late by the time those took.
  refresh_now();
  TimeNs timeout = wait_timeout();
  if (max_wait >= 0 && (timeout < 0 || timeout > max_wait)) timeout = max_wait;
  auto mask = stop_signals_ ? sys::stop_wait_mask() : nullptr;
  if (auto r = epoll_.wait_into(timeout, ready_, mask); !r) return r;
  refresh_now();
  for (const auto& ev : ready_) {
    auto i = static_cast<std::size_t>(ev.tag & 0xffffffffu);
    if (i >= fds_.size() || !fds_[i] || fds_[i]->generation != ev.tag >> 32)
      continue;            // unwatched earlier in this turn (and maybe watched again)
    auto entry = fds_[i];  // alive while its handler runs, even if unwatched
    entry->handler(ev.events);
  }
  turn_timers();
  turn_posts();
  return {};
}

Result<void> Reactor::run() {
  stopping_ = false;
  while (!stopping_)
    if (auto r = turn(-1); !r) return r;
  return {};
}

Result<void> Reactor::run_once(TimeNs max_wait) { return turn(max_wait); }

void Reactor::stop() { stopping_ = true; }

}  // namespace reach::io
