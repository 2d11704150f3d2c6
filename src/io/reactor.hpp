#pragma once
// One single-threaded event loop for every command: file descriptors (epoll, level-triggered),
// nanosecond timers, signals (signalfd), child processes (pidfd) and posted callbacks. The
// daemons (watch, usage, relay, guard) call run(); the one-shot commands (ping, trace, scan,
// check) call run_once() from their loops around a pure engine. Built on sys/epoll rather than
// libuv/libevent/Asio: the probe path needs recvmmsg, MSG_ERRQUEUE and SO_TIMESTAMPING cmsgs on
// sockets it owns, which those libraries only give back as "fd readable" anyway
// (docs/ARCHITECTURE.md).
//
// Threading: a Reactor and everything registered on it belong to the thread that runs it;
// no method is thread-safe. Callbacks run on that thread, one at a time, never re-entrantly.
// Every method may be called from inside any callback (including unwatch/cancel of the callback
// that is running, and destroying the objects it captured after it returns).
//
// Order of one turn: wait (epoll_pwait2 until the next timer, 0 if posts are pending) -> fd
// handlers -> due timers (earliest first; equal deadlines in creation order) -> posted callbacks
// queued before the turn's posts began. Work scheduled by a callback for "now" (after(0),
// post) runs on the next turn, so a callback cannot starve the fds.
#include <sys/types.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

#include "base/error.hpp"
#include "base/time.hpp"
#include "sys/epoll.hpp"
#include "sys/fd.hpp"

namespace reach::io {

class Reactor {
 public:
  // Also ignores SIGPIPE for the process (a daemon handles EPIPE where it writes).
  static Result<std::unique_ptr<Reactor>> create();
  ~Reactor();
  Reactor(const Reactor&) = delete;
  Reactor& operator=(const Reactor&) = delete;

  // Level-triggered epoll events (EPOLLIN, EPOLLOUT, EPOLLPRI, EPOLLRDHUP...); the handler gets
  // the ready mask, which may include EPOLLERR/EPOLLHUP whether asked for or not. One handler per
  // fd: watching a watched fd is an error (EEXIST). The fd stays owned by the caller, who must
  // unwatch it before closing it.
  using FdHandler = std::function<void(std::uint32_t epoll_events)>;
  Result<void> watch(int fd, std::uint32_t events, FdHandler h);
  Result<void> rewatch(int fd, std::uint32_t events);  // ENOENT when not watched
  // Safe from inside any handler, also its own: events of this turn for the fd are dropped.
  // No-op for an fd that is not watched.
  void unwatch(int fd);
  // unwatch() for an fd the caller closes right after, and that no other descriptor shares
  // (no dup, no fork child holding it): the close takes it out of the epoll set, so the
  // epoll_ctl(DEL) is saved. A relay connection's two sockets, thousands a second.
  void unwatch_closing(int fd);

  // Timers on CLOCK_MONOTONIC in ns. A deadline in the past runs on the next turn. Ids are never
  // reused (0 is never an id, so it can mean "no timer").
  using TimerId = std::uint64_t;
  TimerId at(TimeNs monotonic_deadline, std::function<void()> f);
  TimerId after(TimeNs delay, std::function<void()> f);  // now() + delay
  void cancel(TimerId id);                              // no-op if already run or cancelled

  void post(std::function<void()> f);  // runs on the next turn, in posting order

  // The signal is blocked for the whole process (sigprocmask; the daemon is single-threaded)
  // and read from one signalfd; `f` runs on the loop for each delivery (several deliveries of one
  // signal before a turn may merge, as with any signal). One callback per signal: a second
  // on_signal for it replaces the first. Children spawned with sys::spawn get a clean mask.
  Result<void> on_signal(int signo, std::function<void()> f);

  // `f(wait_status)` (as waitpid reports it: WIFEXITED/WEXITSTATUS...) once the child exits;
  // the reactor reaps it. The pid must be a child of this process not yet reaped.
  Result<void> watch_child(pid_t pid, std::function<void(int wait_status)> f);

  // CLOCK_MONOTONIC ns, read at each turn before the wait (to time it) and after it.
  TimeNs now() const { return now_; }
  // Reads the clock now and refreshes the cached value (for a callback that ran long).
  TimeNs refresh_now();

  // Runs turns until stop(). Errors only when epoll itself fails (not on EINTR).
  Result<void> run();
  // Makes run() return after the current turn; callable from callbacks. A later run() resumes.
  void stop();

  // One turn (libuv's UV_RUN_ONCE), for a command that keeps its own loop around a pure engine
  // it asks "what is due now, when do you next need me": waits at most `max_wait` ns (0: poll,
  // negative: until an fd or a timer), also less when a timer is due sooner, then runs the turn
  // as run() does. Not from inside a callback.
  Result<void> run_once(TimeNs max_wait);

  // For the one-shot commands, which count SIGINT/SIGTERM with sys::install_stop_signals (blocked
  // except while waiting): every wait unblocks them, so a signal ends the wait (EINTR, an empty
  // turn) and the command finds it in sys::stop_requests(). A daemon uses on_signal instead.
  void wait_with_stop_signals() { stop_signals_ = true; }

  // Counts for tests and /metrics.
  std::size_t watched_fds() const { return watched_; }
  std::size_t pending_timers() const { return timer_fns_.size(); }

 private:
  Reactor() = default;
  struct FdEntry {
    int fd = -1;
    std::uint32_t events = 0;
    std::uint32_t generation = 0;  // the epoll tag is (generation << 32) | fd
    FdHandler handler;
  };
  struct TimerKey {
    TimeNs deadline;
    TimerId id;
  };
  Result<void> turn(TimeNs max_wait);
  void turn_timers();
  void turn_posts();
  TimeNs wait_timeout() const;
  void on_signalfd();
  void compact_timers();

  sys::Epoll epoll_;
  // Indexed by fd number (no hashing, no node per watch: scan and check watch one fd per
  // connect); null when not watched.
  std::vector<std::shared_ptr<FdEntry>> fds_;
  std::size_t watched_ = 0;
  std::uint32_t next_generation_ = 1;
  std::vector<TimerKey> timer_heap_;                                     // min-heap by (deadline, id)
  std::unordered_map<TimerId, std::function<void()>> timer_fns_;
  TimerId next_timer_ = 1;
  std::deque<std::function<void()>> posts_;
  sys::Fd signal_fd_;
  std::unordered_map<int, std::function<void()>> signal_fns_;
  std::vector<sys::Epoll::Ready> ready_;
  TimeNs now_ = 0;
  bool stopping_ = false;
  bool stop_signals_ = false;
};

}  // namespace reach::io
