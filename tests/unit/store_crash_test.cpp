// kill -9 during heavy writes, 20 times: the database stays intact (PRAGMA integrity_check) and
// every round whose flush() returned before the kill is still there. A forked child writes and
// reports each committed sequence number through a pipe; the parent kills it at a random moment
// and checks. The verdict does not depend on the moment: only the check of what was reported.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <thread>

#include "store/store.hpp"

namespace reach::store {
namespace {

constexpr TimeNs kT0 = 1798149600LL * kNsPerSec;
constexpr int kTargets = 50;
constexpr int kPerFlush = 200;
constexpr int kRuns = 20;

TimeNs run_base(int run) { return kT0 + static_cast<TimeNs>(run) * 3600 * kNsPerSec; }
TimeNs round_time(int run, std::int64_t seq) { return run_base(run) + seq * kNsPerMs; }

[[noreturn]] void writer(const std::string& path, int run, int fd) {
  Options o;
  o.path = path;
  auto s = Store::open(o);
  if (!s) _exit(3);
  model::RoundResult r;
  r.sent = 5;
  r.received = 5;
  r.success = true;
  r.rtts = {900000, 1000000, 1100000, 1200000, 5000000};
  for (std::int64_t seq = 0;;) {
    for (int k = 0; k < kPerFlush; ++k, ++seq) {
      r.target = "t" + std::to_string(seq % kTargets);
      r.start_wall = round_time(run, seq);
      (*s)->add_round(r);
    }
    if (!(*s)->flush(round_time(run, seq))) _exit(4);
    std::int64_t last = seq - 1;  // every round up to this one is committed
    if (write(fd, &last, sizeof last) != sizeof last) _exit(5);
  }
}

// Reads every complete sequence number available within `ms`; returns the last one seen.
void drain(int fd, int ms, std::int64_t& last, std::string& partial) {
  auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now()).count();
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(std::max<long>(left, 0))) <= 0) {
      if (left <= 0) return;
      continue;
    }
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) return;
    partial.append(buf, static_cast<std::size_t>(n));
    while (partial.size() >= sizeof last) {
      std::memcpy(&last, partial.data(), sizeof last);
      partial.erase(0, sizeof last);
    }
  }
}

TEST(StoreCrash, KillNineTwentyTimesLosesNothingCommitted) {
  char tmpl[] = "/tmp/reach-crash-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  std::string path = dir + "/watch.db";
  std::random_device rd;
  unsigned seed = rd();
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> delay_ms(30, 600);
  std::map<int, std::int64_t> committed;  // run -> last committed sequence number
  std::uint64_t total_rounds = 0;
  for (int run = 0; run < kRuns; ++run) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(fds[0]);
      writer(path, run, fds[1]);
    }
    close(fds[1]);
    std::int64_t last = -1;
    std::string partial;
    int wait_ms = delay_ms(rng);
    drain(fds[0], wait_ms, last, partial);
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    drain(fds[0], 50, last, partial);  // what was written before the kill
    close(fds[0]);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the writer stopped by itself, status " << status << " (seed " << seed << ")";
    committed[run] = last;
    total_rounds += static_cast<std::uint64_t>(last + 1);

    Options o;
    o.path = path;
    auto s = Store::open(o);
    ASSERT_TRUE(s) << s.error().message();
    auto check = (*s)->integrity_check();
    ASSERT_TRUE(check) << check.error().message();
    ASSERT_EQ(*check, "ok") << "run " << run << " (seed " << seed << ")";
    // Every round reported as committed, in this run and every earlier one, is there.
    for (auto [r, upto] : committed) {
      for (int t = 0; t < kTargets; ++t) {
        std::int64_t want = upto < t ? 0 : (upto - t) / kTargets + 1;
        auto h = (*s)->history("t" + std::to_string(t), run_base(r), round_time(r, upto) + 1, 1u << 30);
        ASSERT_TRUE(h) << h.error().message();
        std::int64_t got = 0;
        for (const auto& p : *h) got += p.count;
        ASSERT_EQ(got, want) << "run " << r << " target t" << t << " after kill " << run << " at " << wait_ms
                             << " ms (seed " << seed << ")";
      }
    }
  }
  auto bytes = std::filesystem::file_size(path);
  std::printf("rounds committed %llu, database %llu bytes\n", static_cast<unsigned long long>(total_rounds),
              static_cast<unsigned long long>(bytes));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace reach::store
