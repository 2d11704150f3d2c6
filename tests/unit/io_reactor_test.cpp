// The Reactor on real fds, timers, signals and children; every run is bounded by a stop timer.
#include "io/reactor.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "sys/clock.hpp"
#include "sys/signals.hpp"
#include "sys/spawn.hpp"

namespace reach::io {
namespace {

std::unique_ptr<Reactor> make() {
  auto r = Reactor::create();
  EXPECT_TRUE(r.has_value());
  return std::move(*r);
}

// Runs the loop with a hard 5 s bound so a broken reactor fails instead of hanging.
void run_bounded(Reactor& r) {
  bool timed_out = false;
  auto guard = r.after(5 * kNsPerSec, [&] {
    timed_out = true;
    r.stop();
  });
  ASSERT_TRUE(r.run().has_value());
  r.cancel(guard);
  EXPECT_FALSE(timed_out) << "the loop did not stop by itself";
}

struct Pipe {
  int rd = -1, wr = -1;
  Pipe() {
    int p[2];
    EXPECT_EQ(pipe(p), 0);
    rd = p[0];
    wr = p[1];
  }
  ~Pipe() {
    close(rd);
    close(wr);
  }
};

TEST(Reactor, TimersRunInDeadlineOrderThenCreationOrder) {
  auto r = make();
  std::vector<int> seen;
  TimeNs t0 = r->now();
  r->at(t0 + 3 * kNsPerMs, [&] { seen.push_back(3); });
  r->at(t0 + 1 * kNsPerMs, [&] { seen.push_back(1); });
  r->at(t0 + 1 * kNsPerMs, [&] { seen.push_back(2); });
  r->at(t0 + 5 * kNsPerMs, [&] { r->stop(); });
  run_bounded(*r);
  EXPECT_EQ(seen, (std::vector<int>{1, 2, 3}));
  EXPECT_GE(r->now() - t0, 5 * kNsPerMs);
}

TEST(Reactor, CancelIsANoOpAfterRunAndStopsAPendingTimer) {
  auto r = make();
  int ran = 0;
  auto a = r->after(1 * kNsPerMs, [&] { ++ran; });
  auto b = r->after(2 * kNsPerMs, [&] { ++ran; });
  r->after(0, [&] { r->cancel(b); });
  r->after(10 * kNsPerMs, [&] {
    r->cancel(a);  // already ran
    r->stop();
  });
  run_bounded(*r);
  EXPECT_EQ(ran, 1);
  EXPECT_EQ(r->pending_timers(), 0u);
}

TEST(Reactor, ManyCancelledTimersDoNotAccumulate) {
  auto r = make();
  for (int round = 0; round < 100; ++round) {
    std::vector<Reactor::TimerId> ids;
    for (int i = 0; i < 1000; ++i) ids.push_back(r->after(kNsPerSec, [] {}));
    for (auto id : ids) r->cancel(id);
  }
  EXPECT_EQ(r->pending_timers(), 0u);
}

TEST(Reactor, WorkScheduledForNowWaitsOneTurnSoFdsAreNotStarved) {
  auto r = make();
  Pipe p;
  ASSERT_EQ(write(p.wr, "x", 1), 1);
  int timer_runs = 0;
  bool fd_seen_while_timers_spin = false;
  std::function<void()> spin = [&] {
    ++timer_runs;
    if (timer_runs < 1000) r->after(0, spin);
  };
  r->after(0, spin);
  ASSERT_TRUE(r->watch(p.rd, EPOLLIN, [&](std::uint32_t) {
                 fd_seen_while_timers_spin = timer_runs < 1000;
                 r->unwatch(p.rd);
                 r->stop();
               }).has_value());
  run_bounded(*r);
  EXPECT_TRUE(fd_seen_while_timers_spin);
}

TEST(Reactor, PostsRunInOrderOnTheNextTurn) {
  auto r = make();
  std::vector<int> seen;
  r->post([&] {
    seen.push_back(1);
    r->post([&] {
      seen.push_back(3);
      r->stop();
    });
  });
  r->post([&] { seen.push_back(2); });
  run_bounded(*r);
  EXPECT_EQ(seen, (std::vector<int>{1, 2, 3}));
}

TEST(Reactor, FdHandlerGetsEventsAndRewatchChangesThem) {
  auto r = make();
  Pipe p;
  std::string got;
  ASSERT_TRUE(r->watch(p.rd, EPOLLIN, [&](std::uint32_t ev) {
                 ASSERT_TRUE(ev & EPOLLIN);
                 char buf[16];
                 auto n = read(p.rd, buf, sizeof buf);
                 got.append(buf, static_cast<std::size_t>(n));
                 if (got == "ab") r->stop();
               }).has_value());
  bool writable = false;
  ASSERT_TRUE(r->watch(p.wr, EPOLLOUT, [&](std::uint32_t ev) {
                 writable = ev & EPOLLOUT;
                 ASSERT_EQ(write(p.wr, "a", 1), 1);
                 ASSERT_TRUE(r->rewatch(p.wr, 0).has_value());  // no more writable events
                 r->after(1 * kNsPerMs, [&] { ASSERT_EQ(write(p.wr, "b", 1), 1); });
               }).has_value());
  run_bounded(*r);
  EXPECT_TRUE(writable);
  EXPECT_EQ(got, "ab");
}

TEST(Reactor, WatchTwiceAndRewatchUnknownAreErrors) {
  auto r = make();
  Pipe p;
  ASSERT_TRUE(r->watch(p.rd, EPOLLIN, [](std::uint32_t) {}).has_value());
  auto again = r->watch(p.rd, EPOLLIN, [](std::uint32_t) {});
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().err, EEXIST);
  auto unknown = r->rewatch(p.wr, EPOLLOUT);
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().err, ENOENT);
  r->unwatch(p.rd);
  r->unwatch(p.rd);  // second time: no-op
  EXPECT_EQ(r->watched_fds(), 0u);
}

TEST(Reactor, UnwatchFromAHandlerDropsTheOtherFdsPendingEventsOfThisTurn) {
  auto r = make();
  Pipe a, b;
  ASSERT_EQ(write(a.wr, "x", 1), 1);
  ASSERT_EQ(write(b.wr, "x", 1), 1);
  int calls = 0;
  // Whichever runs first unwatches both; the other must not be called with a stale event.
  auto h = [&](std::uint32_t) {
    ++calls;
    r->unwatch(a.rd);
    r->unwatch(b.rd);
  };
  ASSERT_TRUE(r->watch(a.rd, EPOLLIN, h).has_value());
  ASSERT_TRUE(r->watch(b.rd, EPOLLIN, h).has_value());
  r->after(20 * kNsPerMs, [&] { r->stop(); });
  run_bounded(*r);
  EXPECT_EQ(calls, 1);
}

TEST(Reactor, AnFdNumberWatchedAgainInTheSameTurnDoesNotGetItsPredecessorsEvent) {
  auto r = make();
  Pipe a, b, fresh;
  ASSERT_EQ(write(a.wr, "x", 1), 1);
  ASSERT_EQ(write(b.wr, "x", 1), 1);
  int calls = 0, stale = 0;
  auto count_stale = [&](std::uint32_t) { ++stale; };
  // Whichever runs first makes both numbers name the fresh, empty pipe and watches them anew.
  auto h = [&](std::uint32_t) {
    ++calls;
    r->unwatch(a.rd);
    r->unwatch(b.rd);
    ASSERT_EQ(dup2(fresh.rd, a.rd), a.rd);
    ASSERT_EQ(dup2(fresh.rd, b.rd), b.rd);
    ASSERT_TRUE(r->watch(a.rd, EPOLLIN, count_stale).has_value());
    ASSERT_TRUE(r->watch(b.rd, EPOLLIN, count_stale).has_value());
  };
  ASSERT_TRUE(r->watch(a.rd, EPOLLIN, h).has_value());
  ASSERT_TRUE(r->watch(b.rd, EPOLLIN, h).has_value());
  ASSERT_TRUE(r->run_once(kNsPerSec).has_value());
  ASSERT_TRUE(r->run_once(0).has_value());
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(stale, 0);
  EXPECT_EQ(r->watched_fds(), 2u);
  r->unwatch(a.rd);
  r->unwatch(b.rd);
  EXPECT_EQ(r->watched_fds(), 0u);
}

TEST(Reactor, RunOnceWaitsAtMostMaxWaitAndLessForATimer) {
  auto r = make();
  sys::MonotonicClock clock;
  TimeNs t0 = clock.now();
  ASSERT_TRUE(r->run_once(0).has_value());  // nothing ready, no timer: a poll
  ASSERT_TRUE(r->run_once(3 * kNsPerMs).has_value());
  EXPECT_GE(clock.now() - t0, 3 * kNsPerMs);
  bool fired = false;
  r->after(2 * kNsPerMs, [&] { fired = true; });
  t0 = clock.now();
  ASSERT_TRUE(r->run_once(5 * kNsPerSec).has_value());  // bounded: ends with the timer
  EXPECT_TRUE(fired);
  EXPECT_LT(clock.now() - t0, kNsPerSec);
}

TEST(Reactor, RunOnceRunsTheHandlersOfReadyFds) {
  auto r = make();
  Pipe p;
  int seen = 0;
  ASSERT_TRUE(r->watch(p.rd, EPOLLIN, [&](std::uint32_t) {
                 char c;
                 ASSERT_EQ(read(p.rd, &c, 1), 1);
                 ++seen;
               }).has_value());
  ASSERT_EQ(write(p.wr, "x", 1), 1);
  ASSERT_TRUE(r->run_once(5 * kNsPerSec).has_value());
  EXPECT_EQ(seen, 1);
  ASSERT_TRUE(r->run_once(0).has_value());
  EXPECT_EQ(seen, 1);
  r->unwatch(p.rd);
}

TEST(Reactor, AStopSignalEndsTheWaitOfAOneShotCommand) {
  auto r = make();
  r->wait_with_stop_signals();
  sys::install_stop_signals();
  kill(getpid(), SIGTERM);  // blocked: it stays pending until the wait unblocks it
  EXPECT_EQ(sys::stop_requests(), 0);
  sys::MonotonicClock clock;
  TimeNs t0 = clock.now();
  ASSERT_TRUE(r->run_once(5 * kNsPerSec).has_value());
  EXPECT_EQ(sys::stop_requests(), 1);
  EXPECT_LT(clock.now() - t0, kNsPerSec);
}

TEST(Reactor, SignalsArriveAsCallbacks) {
  auto r = make();
  int usr1 = 0;
  ASSERT_TRUE(r->on_signal(SIGUSR1, [&] {
                 ++usr1;
                 r->stop();
               }).has_value());
  ASSERT_TRUE(r->on_signal(SIGUSR2, [] {}).has_value());  // a second signal re-arms the same fd
  r->after(1 * kNsPerMs, [] { kill(getpid(), SIGUSR1); });
  run_bounded(*r);
  EXPECT_EQ(usr1, 1);
}

TEST(Reactor, ChildExitStatusAndStdinText) {
  auto r = make();
  auto pid = sys::spawn({"/bin/sh", "-c", "read x; exit $x"}, {}, "7\n");
  ASSERT_TRUE(pid.has_value()) << pid.error().message();
  int status = -1;
  ASSERT_TRUE(r->watch_child(*pid, [&](int st) {
                 status = st;
                 r->stop();
               }).has_value());
  run_bounded(*r);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 7);
  EXPECT_EQ(r->watched_fds(), 0u);
}

TEST(Reactor, AHungChildIsKilledByTheCallersTimer) {
  auto r = make();
  auto pid = sys::spawn({"sleep", "30"}, sys::current_environment(), "");
  ASSERT_TRUE(pid.has_value()) << pid.error().message();
  int status = -1;
  ASSERT_TRUE(r->watch_child(*pid, [&](int st) {
                 status = st;
                 r->stop();
               }).has_value());
  r->after(50 * kNsPerMs, [&] { ASSERT_TRUE(sys::kill_child(*pid, SIGKILL).has_value()); });
  run_bounded(*r);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
}

TEST(Reactor, SpawnErrorsNameTheCommand) {
  auto pid = sys::spawn({"/nonexistent/notifier"}, {}, "");
  ASSERT_FALSE(pid.has_value());
  EXPECT_NE(pid.error().message().find("/nonexistent/notifier"), std::string::npos);
  auto big = sys::spawn({"/bin/true"}, {}, std::string((1 << 20) + 1, 'x'));
  ASSERT_FALSE(big.has_value());
}

TEST(Reactor, LargeStdinTextReachesTheChild) {
  auto r = make();
  std::string text(300000, 'x');
  // wc -c prints the count; the child exits 0 only when it read all of it.
  auto pid = sys::spawn({"/bin/sh", "-c", "test \"$(wc -c)\" -eq 300000"}, sys::current_environment(), text);
  ASSERT_TRUE(pid.has_value()) << pid.error().message();
  int status = -1;
  ASSERT_TRUE(r->watch_child(*pid, [&](int st) {
                 status = st;
                 r->stop();
               }).has_value());
  run_bounded(*r);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace reach::io
