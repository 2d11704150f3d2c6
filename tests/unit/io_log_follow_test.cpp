// The log follower and the journal follower on a real Reactor with files in a temp directory:
// complete lines only, rotation (rename + new file, the old one still written), copytruncate,
// a line over the limit dropped whole, and restarts from a saved position.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "io/journal.hpp"
#include "io/log_follow.hpp"

namespace reach::io {
namespace {

namespace fs = std::filesystem;

struct Dir {
  fs::path p;
  Dir() {
    char tmpl[] = "/tmp/reach-follow-XXXXXX";
    p = ::mkdtemp(tmpl);
  }
  ~Dir() { fs::remove_all(p); }
};

void append(const fs::path& f, const std::string& s) {
  std::ofstream o(f, std::ios::app | std::ios::binary);
  o << s;
}

struct Loop {
  std::unique_ptr<Reactor> r = std::move(*Reactor::create());
  std::vector<std::string> lines, notes;
  LogFollowHooks hooks() {
    return {[this](std::string_view l) { lines.emplace_back(l); }, [this](const std::string& n) { notes.push_back(n); }};
  }
  // Turns the loop until `n` lines arrived or 3 s passed.
  void until(std::size_t n, TimeNs max = 3 * kNsPerSec) {
    const TimeNs end = r->refresh_now() + max;
    while (lines.size() < n && r->refresh_now() < end) ASSERT_TRUE(r->run_once(20 * kNsPerMs));
  }
  void settle(TimeNs t = 150 * kNsPerMs) {
    const TimeNs end = r->refresh_now() + t;
    while (r->refresh_now() < end) ASSERT_TRUE(r->run_once(10 * kNsPerMs));
  }
};

LogFollowOptions opts(const fs::path& f) {
  LogFollowOptions o;
  o.path = f;
  o.poll = 200 * kNsPerMs;
  o.rotate_grace = 300 * kNsPerMs;
  return o;
}

TEST(LogFollow, CompleteLinesOnlyAndFromTheEnd) {
  Dir d;
  const fs::path f = d.p / "auth.log";
  append(f, "old line\n");
  Loop run;
  auto fol = LogFollower::create(*run.r, opts(f), run.hooks());
  ASSERT_TRUE(fol) << fol.error().message();
  append(f, "first\nsec");
  run.until(1);
  run.settle();
  EXPECT_EQ(run.lines, (std::vector<std::string>{"first"}));
  append(f, "ond\r\nthird\n");
  run.until(3);
  EXPECT_EQ(run.lines, (std::vector<std::string>{"first", "second", "third"}));
}

TEST(LogFollow, FollowsRotationAndReadsTheOldFileToItsEnd) {
  Dir d;
  const fs::path f = d.p / "auth.log";
  append(f, "");
  Loop run;
  auto fol = LogFollower::create(*run.r, opts(f), run.hooks());
  ASSERT_TRUE(fol);
  append(f, "a1\na2\n");
  run.until(2);
  fs::rename(f, d.p / "auth.log.1");
  append(d.p / "auth.log.1", "a3\n");  // the logger has not reopened yet
  append(f, "b1\n");
  run.until(4);
  append(f, "b2\n");
  run.until(5);
  EXPECT_EQ(run.lines, (std::vector<std::string>{"a1", "a2", "a3", "b1", "b2"}));
  EXPECT_EQ((*fol)->counts().rotations, 1u);
}

TEST(LogFollow, CopyTruncateReadsAgainFromTheStart) {
  Dir d;
  const fs::path f = d.p / "auth.log";
  append(f, "");
  Loop run;
  auto fol = LogFollower::create(*run.r, opts(f), run.hooks());
  ASSERT_TRUE(fol);
  append(f, "one\ntwo\n");
  run.until(2);
  fs::resize_file(f, 0);
  run.settle(300 * kNsPerMs);
  append(f, "three\n");
  run.until(3);
  EXPECT_EQ(run.lines, (std::vector<std::string>{"one", "two", "three"}));
  EXPECT_EQ((*fol)->counts().truncations, 1u);
}

TEST(LogFollow, ALineOverTheLimitIsDroppedWholeAndTheNextOnesKept) {
  Dir d;
  const fs::path f = d.p / "auth.log";
  append(f, "");
  Loop run;
  auto o = opts(f);
  o.max_line = 1000;
  auto fol = LogFollower::create(*run.r, o, run.hooks());
  ASSERT_TRUE(fol);
  // The tail of the long line looks like a failure: it must not come out as a line of its own.
  append(f, "before\n" + std::string(5000, 'x') + " Failed password for root from 198.18.9.9 port 22 ssh2\nafter\n");
  run.until(2);
  run.settle();
  EXPECT_EQ(run.lines, (std::vector<std::string>{"before", "after"}));
  EXPECT_EQ((*fol)->counts().dropped_long, 1u);
}

TEST(LogFollow, RestartFromThePositionNeitherMissesNorRepeats) {
  Dir d;
  const fs::path f = d.p / "auth.log";
  append(f, "");
  LogPosition pos;
  {
    Loop run;
    auto fol = LogFollower::create(*run.r, opts(f), run.hooks());
    ASSERT_TRUE(fol);
    append(f, "1\n2\n");
    run.until(2);
    pos = (*fol)->position();
  }
  append(f, "3\n4\n");
  Loop run;
  auto o = opts(f);
  o.start = pos;
  auto fol = LogFollower::create(*run.r, o, run.hooks());
  ASSERT_TRUE(fol);
  run.until(2);
  run.settle();
  EXPECT_EQ(run.lines, (std::vector<std::string>{"3", "4"}));
}

TEST(LogFollow, RestartAfterARotationWhileStoppedReadsTheRestOfTheOldFile) {
  Dir d;
  const fs::path f = d.p / "auth.log";
  append(f, "");
  LogPosition pos;
  {
    Loop run;
    auto fol = LogFollower::create(*run.r, opts(f), run.hooks());
    ASSERT_TRUE(fol);
    append(f, "1\n");
    run.until(1);
    pos = (*fol)->position();
  }
  append(f, "2\n");
  fs::rename(f, d.p / "auth.log.1");
  append(f, "3\n");
  Loop run;
  auto o = opts(f);
  o.start = pos;
  auto fol = LogFollower::create(*run.r, o, run.hooks());
  ASSERT_TRUE(fol);
  run.until(2);
  run.settle();
  EXPECT_EQ(run.lines, (std::vector<std::string>{"2", "3"}));
}

TEST(LogFollow, AMissingFileIsWaitedFor) {
  Dir d;
  const fs::path f = d.p / "auth.log";
  Loop run;
  auto fol = LogFollower::create(*run.r, opts(f), run.hooks());
  ASSERT_TRUE(fol);
  ASSERT_FALSE(run.notes.empty());
  append(f, "x\n");
  run.until(1);
  EXPECT_EQ(run.lines, (std::vector<std::string>{"x"}));
}

TEST(LogFollow, ADirectoryThatCannotBeWatchedIsAnError) {
  Loop run;
  auto fol = LogFollower::create(*run.r, opts("/nonexistent-reach-dir/auth.log"), run.hooks());
  ASSERT_FALSE(fol);
  EXPECT_NE(fol.error().message().find("/nonexistent-reach-dir"), std::string::npos);
}

// The journal: files written by systemd-journal-remote from an export stream, since the test
// machine runs no journald.
const char* kRemote = "/lib/systemd/systemd-journal-remote";

void write_journal(const fs::path& file, int first, int n, const char* unit) {
  const fs::path exp = file.string() + ".export";
  {
    std::ofstream o(exp);
    const long long t = std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::system_clock::now().time_since_epoch()).count();
    for (int i = first; i < first + n; ++i)
      o << "__REALTIME_TIMESTAMP=" << t + i << "\n__MONOTONIC_TIMESTAMP=" << 1000 + i
        << "\n_BOOT_ID=0123456789abcdef0123456789abcdef\n_SYSTEMD_UNIT=" << unit
        << "\nSYSLOG_IDENTIFIER=x\nMESSAGE=line " << i << "\n\n";
  }
  const std::string cmd = std::string(kRemote) + " --output=" + file.string() + " " + exp.string() + " 2>/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
}

TEST(Journal, FollowsAUnitFromASavedCursor) {
  if (::access(kRemote, X_OK) != 0) GTEST_SKIP() << "no systemd-journal-remote";
  Dir d;
  write_journal(d.p / "a.journal", 0, 3, "ssh.service");
  write_journal(d.p / "other.journal", 100, 2, "cron.service");
  std::string cursor;
  {
    Loop run;
    JournalOptions o;
    o.unit = "ssh.service";
    o.directory = d.p;
    o.from_start = true;
    o.poll = 100 * kNsPerMs;
    auto j = JournalFollower::create(*run.r, o, {[&](std::string_view m, std::string_view) { run.lines.emplace_back(m); }, {}});
    ASSERT_TRUE(j) << j.error().message();
    run.until(3);
    run.settle();
    EXPECT_EQ(run.lines, (std::vector<std::string>{"line 0", "line 1", "line 2"}));
    cursor = (*j)->cursor();
    // Entries that arrive while it runs (a new journal file in the directory).
    write_journal(d.p / "b.journal", 3, 2, "ssh.service");
    run.until(5);
    EXPECT_EQ(run.lines.size(), 5u);
  }
  Loop run;
  JournalOptions o;
  o.unit = "ssh.service";
  o.directory = d.p;
  o.cursor = cursor;
  auto j = JournalFollower::create(*run.r, o, {[&](std::string_view m, std::string_view) { run.lines.emplace_back(m); }, {}});
  ASSERT_TRUE(j);
  run.until(2);
  run.settle();
  EXPECT_EQ(run.lines, (std::vector<std::string>{"line 3", "line 4"}));
}

}  // namespace
}  // namespace reach::io
