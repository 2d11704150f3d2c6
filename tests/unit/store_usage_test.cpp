// The usage store: counter states, hourly buckets and threshold state round-trip; a poll is all
// or nothing; and kill -9 during heavy writes, 20 times, never leaves the byte sum and the
// counter state disagreeing (the invariant that makes a restart count every byte exactly once).
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include <array>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>

#include "store/store.hpp"
#include "store/usage_store.hpp"
#include "temp_dir.hpp"

namespace reach::store {
namespace {

constexpr std::int64_t kT0 = 1798149600;  // a UTC hour

using test::TempDir;

std::unique_ptr<UsageStore> open_at(const std::string& path) {
  UsageStoreOptions o;
  o.path = path;
  auto s = UsageStore::open(o);
  EXPECT_TRUE(s) << (s ? "" : s.error().message());
  return s ? std::move(*s) : nullptr;
}

TEST(UsageStore, CountersBucketsAndNamesRoundTrip) {
  TempDir d;
  auto s = open_at(d.path + "/u.db");
  ASSERT_TRUE(s);
  UsageUpdate u;
  u.counters.push_back({"if:mac:02:00:00:00:00:01", UsageDir::rx, {true, "boot/7", 0xFFFFFFFFFFFFFFF0ULL, 5, 64}});
  u.counters.push_back({"if:mac:02:00:00:00:00:01", UsageDir::tx, {true, "boot/7", 12, 5, 32}});
  u.bytes.push_back({"if:mac:02:00:00:00:00:01", {kT0, 100, 7}});
  u.bytes.push_back({"if:mac:02:00:00:00:00:01", {kT0 + 3600, 1, 0}});
  u.names.emplace_back("if:mac:02:00:00:00:00:01", "wwan0");
  ASSERT_TRUE(s->commit(u));
  UsageUpdate v;
  v.bytes.push_back({"if:mac:02:00:00:00:00:01", {kT0, 0xFFFFFFFF00ULL, 3}});  // adds to the bucket
  v.bytes.push_back({"snmp:198.18.1.1:2", {kT0, 5, 5}});
  v.names.emplace_back("if:mac:02:00:00:00:00:01", "wwan1");
  ASSERT_TRUE(s->commit(v));

  s = open_at(d.path + "/u.db");  // everything from the file
  auto c = s->load_counters();
  ASSERT_TRUE(c);
  ASSERT_EQ(c->size(), 2u);
  auto rx = c->at({"if:mac:02:00:00:00:00:01", UsageDir::rx});
  EXPECT_TRUE(rx.valid);
  EXPECT_EQ(rx.last, 0xFFFFFFFFFFFFFFF0ULL);  // full 64-bit range survives
  EXPECT_EQ(rx.base, "boot/7");
  EXPECT_EQ(c->at({"if:mac:02:00:00:00:00:01", UsageDir::tx}).bits, 32);

  auto h = s->hours({"if:mac:02:00:00:00:00:01"}, kT0, kT0 + 7200);
  ASSERT_TRUE(h);
  ASSERT_EQ(h->size(), 2u);
  EXPECT_EQ((*h)[0].rx, 100 + 0xFFFFFFFF00ULL);
  EXPECT_EQ((*h)[0].tx, 10u);
  EXPECT_EQ((*h)[1].hour, kT0 + 3600);
  // Grouped sources sum per hour; a range leaves out what is outside; unknown sources add 0.
  auto g = s->total({"if:mac:02:00:00:00:00:01", "snmp:198.18.1.1:2", "mrtg:nothing"}, kT0, kT0 + 3600);
  ASSERT_TRUE(g);
  EXPECT_EQ(g->rx, 105 + 0xFFFFFFFF00ULL);
  EXPECT_EQ(g->tx, 15u);
  auto src = s->sources();
  ASSERT_TRUE(src);
  ASSERT_EQ(src->size(), 2u);
  EXPECT_EQ((*src)[0].name, "wwan1");  // the latest display name
  EXPECT_EQ((*src)[0].rx, 101 + 0xFFFFFFFF00ULL);
  EXPECT_EQ((*src)[0].first_hour, kT0);
  EXPECT_EQ((*src)[0].last_hour, kT0 + 3600);
}

TEST(UsageStore, ThresholdStatePersists) {
  TempDir d;
  auto s = open_at(d.path + "/u.db");
  ASSERT_TRUE(s);
  auto none = s->load_threshold("mobile");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->cycle_start, 0);
  EXPECT_TRUE(none->fired.empty());
  ASSERT_TRUE(s->save_threshold("mobile", {kT0, {90, -1, 80}}));
  s = open_at(d.path + "/u.db");
  auto got = s->load_threshold("mobile");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->cycle_start, kT0);
  EXPECT_EQ(got->fired, (std::vector<int>{-1, 80, 90}));
}

TEST(UsageStore, ASourcesProblemIsKeptUntilItIsReadAgain) {
  TempDir d;
  auto s = open_at(d.path + "/u.db");
  ASSERT_TRUE(s);
  UsageUpdate u;
  u.problems.push_back({"snmp:198.18.1.2:2", "snmp get 198.18.1.2: no answer (timeout)", 5 * kNsPerSec});
  u.problems.push_back({"if:name:eth9", "no interface named eth9", 5 * kNsPerSec});
  ASSERT_TRUE(s->commit(u));
  UsageUpdate v;  // the same problem later: `since` stays, `seen` moves
  v.problems.push_back({"snmp:198.18.1.2:2", "snmp get 198.18.1.2: no answer (timeout)", 9 * kNsPerSec});
  v.problems.push_back({"if:name:eth9", "", 9 * kNsPerSec});  // read again: cleared
  ASSERT_TRUE(s->commit(v));
  s = open_at(d.path + "/u.db");
  auto p = s->problems();
  ASSERT_TRUE(p) << p.error().message();
  ASSERT_EQ(p->size(), 1u);
  const UsageProblemRow& r = p->at("snmp:198.18.1.2:2");
  EXPECT_EQ(r.problem, "snmp get 198.18.1.2: no answer (timeout)");
  EXPECT_EQ(r.since, 5 * kNsPerSec);
  EXPECT_EQ(r.seen, 9 * kNsPerSec);
  UsageUpdate w;  // another problem: a new `since`
  w.problems.push_back({"snmp:198.18.1.2:2", "snmp get 198.18.1.2: Authentication failure", 12 * kNsPerSec});
  ASSERT_TRUE(s->commit(w));
  p = s->problems();
  ASSERT_TRUE(p);
  EXPECT_EQ(p->at("snmp:198.18.1.2:2").since, 12 * kNsPerSec);
}

TEST(UsageStore, AFileFromBeforeTheProblemTableGetsIt) {
  TempDir d;
  const std::string path = d.path + "/old.db";
  {
    auto s = open_at(path);
    ASSERT_TRUE(s);
    UsageUpdate u;
    u.bytes.push_back({"if:name:e0", {kT0, 1, 2}});
    ASSERT_TRUE(s->commit(u));
  }
  // What the first version of the schema wrote: no usage_problem table.
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(db, "DROP TABLE usage_problem", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  UsageStoreOptions ro;
  ro.path = path;
  ro.read_only = true;
  auto r = UsageStore::open(ro);  // a report beside an older daemon: no problems, no error
  ASSERT_TRUE(r) << r.error().message();
  auto none = (*r)->problems();
  ASSERT_TRUE(none) << none.error().message();
  EXPECT_TRUE(none->empty());
  auto s = open_at(path);  // a writer adds the table; the bytes are still there
  ASSERT_TRUE(s);
  UsageUpdate u;
  u.problems.push_back({"if:name:e0", "no interface named e0", kNsPerSec});
  ASSERT_TRUE(s->commit(u));
  auto p = (*r)->problems();
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->size(), 1u);
  auto t = s->total({"if:name:e0"}, kT0, kT0 + 3600);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->rx, 1u);
}

// watch's store and the usage store on one file, as `reach usage --daemon` opens them.
struct Shared {
  TempDir d;
  std::string path = d.path + "/shared.db";
  Options wo;
  std::unique_ptr<Store> w;
  std::unique_ptr<UsageStore> u;
  Shared() {
    wo.path = path;
    auto s = Store::open(wo);
    EXPECT_TRUE(s) << s.error().message();
    if (s) w = std::move(*s);
    u = open_at(path);
  }
};

TEST(UsageStore, SharesTheFileWithWatchsStore) {
  Shared f;
  ASSERT_TRUE(f.w && f.u);
  auto& w = f.w;
  auto& u = f.u;
  auto& wo = f.wo;
  ASSERT_TRUE(w->enqueue("hook", "{}", kT0 * kNsPerSec));
  UsageUpdate up;
  up.bytes.push_back({"if:name:e0", {kT0, 1, 2}});
  ASSERT_TRUE(u->commit(up));
  auto w2 = Store::open(wo);  // watch's schema check still passes
  ASSERT_TRUE(w2) << w2.error().message();
  auto pending = (*w2)->outbox_pending();
  ASSERT_TRUE(pending);
  EXPECT_EQ(pending->first, 1u);
}

TEST(UsageStore, ThresholdStateAndItsNotificationsCommitTogether) {
  Shared f;
  ASSERT_TRUE(f.w && f.u);
  auto& w = f.w;
  auto& u = f.u;
  const std::string& path = f.path;
  auto q = enqueue_with_threshold(*w, {{"hook", "{80}"}, {"mail", "80"}}, "mobile", {kT0, {80}}, kT0 * kNsPerSec);
  ASSERT_TRUE(q) << q.error().message();
  EXPECT_EQ(q->size(), 2u);
  auto th = u->load_threshold("mobile");
  ASSERT_TRUE(th);
  EXPECT_EQ(th->fired, std::vector<int>{80});
  // When the state cannot be written, the notifications are not queued either (they were
  // committed on their own, and a restart that did not know they were sent sent them again).
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(db, "CREATE TRIGGER no_state BEFORE INSERT ON usage_threshold BEGIN "
                               "SELECT RAISE(ABORT, 'disk says no'); END", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  auto bad = enqueue_with_threshold(*w, {{"hook", "{90}"}}, "mobile", {kT0, {80, 90}}, kT0 * kNsPerSec);
  ASSERT_FALSE(bad);
  auto pending = w->outbox_pending();
  ASSERT_TRUE(pending);
  EXPECT_EQ(pending->first, 2u);
  th = u->load_threshold("mobile");
  ASSERT_TRUE(th);
  EXPECT_EQ(th->fired, std::vector<int>{80});
}

TEST(UsageStore, ReadOnlyOpenOfAFileWithoutUsageIsAClearError) {
  TempDir d;
  UsageStoreOptions o;
  o.path = d.path + "/missing.db";
  o.read_only = true;
  auto s = UsageStore::open(o);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message().find(o.path), std::string::npos) << s.error().message();
}

// --- kill -9 ---

constexpr int kRuns = 20;
constexpr int kSources = 8;

// A child counts kSources fake interfaces: each poll advances every counter by a varying delta
// and commits the new state with the bytes, then reports the poll number.
[[noreturn]] void writer(const std::string& path, int fd, unsigned seed) {
  UsageStoreOptions o;
  o.path = path;
  auto s = UsageStore::open(o);
  if (!s) _exit(3);
  auto saved = (*s)->load_counters();
  if (!saved) _exit(4);
  std::mt19937_64 rng(seed);
  std::array<std::uint64_t, kSources> value{};
  for (int i = 0; i < kSources; ++i) {
    auto it = saved->find({"if:" + std::to_string(i), UsageDir::rx});
    value[static_cast<std::size_t>(i)] = it == saved->end() ? 0 : it->second.last;
  }
  for (std::int64_t poll = 0;; ++poll) {
    UsageUpdate u;
    for (int i = 0; i < kSources; ++i) {
      const std::uint64_t delta = rng() % 1000000;
      auto& v = value[static_cast<std::size_t>(i)];
      v += delta;
      const std::string id = "if:" + std::to_string(i);
      u.counters.push_back({id, UsageDir::rx, {true, "b", v, poll, 64}});
      u.bytes.push_back({id, {kT0 + (poll % 100) * 3600, delta, 0}});
    }
    if (!(*s)->commit(u)) _exit(5);
    if (write(fd, &poll, sizeof poll) != sizeof poll) _exit(6);
  }
}

TEST(UsageStoreCrash, KillNineTwentyTimesKeepsBytesEqualToCounterState) {
  TempDir d;
  const std::string path = d.path + "/u.db";
  std::random_device rd;
  const unsigned seed = rd();
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> delay_ms(20, 400);
  std::int64_t polls_seen = 0;
  for (int run = 0; run < kRuns; ++run) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(fds[0]);
      writer(path, fds[1], seed + static_cast<unsigned>(run));
    }
    close(fds[1]);
    usleep(static_cast<useconds_t>(delay_ms(rng)) * 1000);
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    std::int64_t last = -1, v = 0;
    while (read(fds[0], &v, sizeof v) == sizeof v) last = v;
    close(fds[0]);
    ASSERT_TRUE(WIFSIGNALED(status)) << "status " << status << " (seed " << seed << ")";
    polls_seen += last + 1;

    auto s = open_at(path);
    ASSERT_TRUE(s);
    auto check = s->integrity_check();
    ASSERT_TRUE(check && *check == "ok") << "run " << run << " (seed " << seed << ")";
    auto counters = s->load_counters();
    ASSERT_TRUE(counters);
    for (int i = 0; i < kSources; ++i) {
      const std::string id = "if:" + std::to_string(i);
      auto it = counters->find({id, UsageDir::rx});
      if (it == counters->end()) {
        ASSERT_EQ(run, 0) << "state lost after run " << run;  // killed before the first commit
        continue;
      }
      auto total = s->total({id}, kT0, kT0 + 100 * 3600);
      ASSERT_TRUE(total);
      // Every byte committed is in the state and the buckets alike: none twice, none lost.
      ASSERT_EQ(total->rx, it->second.last) << id << " run " << run << " (seed " << seed << ")";
      // And the state is at least as far as the last poll the child reported committed.
      if (last >= 0) {
        ASSERT_GE(it->second.last_wall, last) << id << " run " << run;
      }
    }
  }
  std::printf("polls committed and reported: %lld\n", static_cast<long long>(polls_seen));
}

}  // namespace
}  // namespace reach::store
