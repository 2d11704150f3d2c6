// sys::FdOutput in a daemon (keep_serving_when_output_fails): a file that fills up and frees
// again. RLIMIT_FSIZE stands for the full disk: the kernel then writes what fits (a short write,
// as a filling tmpfs does) and refuses the rest (EFBIG), which a raised limit lets through again.
#include <gtest/gtest.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <ostream>
#include <sstream>
#include <string>

#include "sys/output.hpp"

namespace reach::sys {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// Runs `body` with stderr going to a pipe (a file would meet RLIMIT_FSIZE too); returns what was
// said there.
template <class F>
std::string stderr_of(F body) {
  fflush(stderr);
  int fds[2];
  if (pipe(fds) != 0) return "pipe failed";
  const int saved = dup(STDERR_FILENO);
  dup2(fds[1], STDERR_FILENO);
  close(fds[1]);
  body();
  dup2(saved, STDERR_FILENO);  // the pipe's last writer gone: the read below ends
  close(saved);
  std::string said;
  char buf[4096];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) said.append(buf, static_cast<std::size_t>(n));
  close(fds[0]);
  return said;
}

class DaemonOutput : public ::testing::Test {
 protected:
  void SetUp() override {
    keep_serving_when_output_fails("reach watch");
    signal(SIGXFSZ, SIG_IGN);  // over RLIMIT_FSIZE: EFBIG, not death
    getrlimit(RLIMIT_FSIZE, &saved_);
    path_ = ::testing::TempDir() + "sys_output_test.ndjson";
    ::unlink(path_.c_str());
  }
  void TearDown() override {
    setrlimit(RLIMIT_FSIZE, &saved_);
    ::unlink(path_.c_str());
  }
  static void limit(rlim_t bytes) {
    rlimit r{};
    getrlimit(RLIMIT_FSIZE, &r);
    r.rlim_cur = bytes;
    ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &r), 0);
  }
  void unlimit() { setrlimit(RLIMIT_FSIZE, &saved_); }
  // Runs `body` on the daemon's `--events PATH` output; returns what it said on stderr.
  template <class F>
  std::string events(F body) {
    auto fd = open_for_append(path_);
    if (!fd) return fd.error().message();
    return stderr_of([&] {
      FdOutput buf(fd->get(), "--events " + path_);
      std::ostream out(&buf);
      body(out, buf);
    });
  }
  rlimit saved_{};
  std::string path_;
};

constexpr const char* kLine = "{\"type\":\"round\",\"target\":\"web\",\"success\":true}\n";
const rlim_t kLen = std::strlen(kLine);

TEST_F(DaemonOutput, ALineCutShortByAFullDiskDoesNotSwallowTheNextOne) {
  const std::string said = events([&](std::ostream& out, FdOutput& buf) {
    limit(kLen + 20);  // the second line fits by 20 bytes only
    out << kLine << std::flush << kLine << std::flush << kLine << std::flush;
    unlimit();  // space again
    out << kLine << std::flush;
    EXPECT_TRUE(out.good());
    EXPECT_EQ(buf.error(), 0);  // a daemon goes on
  });
  // The torn line stands alone: every other line is whole, the one after the space came back too.
  const std::string got = slurp(path_);
  EXPECT_EQ(got, std::string(kLine) + std::string(kLine).substr(0, 20) + "\n" + kLine) << got;
  EXPECT_NE(said.find("reach watch: --events " + path_ + ": File too large: this output is dropped"),
            std::string::npos)
      << said;
}

TEST_F(DaemonOutput, EachSpellOfFailedWritesIsSaidAndItsEndWithWhatWasLost) {
  const std::string said = events([&](std::ostream& out, FdOutput&) {
    limit(kLen);
    out << kLine << std::flush << kLine << std::flush << kLine << std::flush;  // 2 lines lost
    unlimit();
    out << kLine << std::flush;
    limit(kLen * 2);
    out << kLine << std::flush;  // lost, and said again: the first spell had ended
    unlimit();
    out << kLine << std::flush;
  });
  const std::string pre = "reach watch: --events " + path_ + ": ";
  EXPECT_EQ(said, pre + "File too large: this output is dropped, the next is tried again; still running\n" +
                      pre + "written again; 2 lines were dropped\n" +
                      pre + "File too large: this output is dropped, the next is tried again; still running\n" +
                      pre + "written again; 1 line was dropped\n");
  EXPECT_EQ(slurp(path_), std::string(kLine) + kLine + kLine);
}

TEST_F(DaemonOutput, AFifoWhoseReaderComesBackGetsTheNextLines) {
  // A named pipe (`--events /run/reach.fifo` read by a log shipper) is not standard output: the
  // shipper restarts and opens it again, so its output is tried again, not dropped for good.
  const std::string fifo = ::testing::TempDir() + "sys_output_test.fifo";
  ::unlink(fifo.c_str());
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(reader, 0);
  auto fd = open_for_append(fifo);
  ASSERT_TRUE(fd);
  std::string got;
  const std::string said = stderr_of([&] {
    FdOutput buf(fd->get(), "--events " + fifo);
    std::ostream out(&buf);
    out << kLine << std::flush;
    char b[512];
    EXPECT_EQ(::read(reader, b, sizeof b), static_cast<ssize_t>(kLen));
    ::close(reader);              // the shipper stops
    out << kLine << std::flush;   // EPIPE: dropped
    reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);  // and starts again
    out << kLine << std::flush;
    for (ssize_t n; (n = ::read(reader, b, sizeof b)) > 0;) got.append(b, static_cast<std::size_t>(n));
    ::close(reader);
  });
  ::unlink(fifo.c_str());
  EXPECT_EQ(got, kLine);
  const std::string pre = "reach watch: --events " + fifo + ": ";
  EXPECT_EQ(said, pre + "Broken pipe: this output is dropped, the next is tried again; still running\n" + pre +
                      "written again; 1 line was dropped\n");
}

TEST_F(DaemonOutput, ReopenAppendsToThePathAnewAfterARotation) {
  // logrotate renames the file, then SIGHUP: what was buffered goes to the renamed file, the
  // next lines to a new file at the path; the renamed one gets nothing more.
  auto f = FileOutput::open(path_, "--events " + path_);
  ASSERT_TRUE(f);
  const std::string rotated = path_ + ".1";
  (*f)->stream() << kLine;  // buffered, not yet written
  ASSERT_EQ(::rename(path_.c_str(), rotated.c_str()), 0);
  ASSERT_TRUE((*f)->reopen());
  (*f)->stream() << kLine << kLine << std::flush;
  EXPECT_EQ(slurp(rotated), kLine);
  EXPECT_EQ(slurp(path_), std::string(kLine) + kLine);
  ::unlink(rotated.c_str());
  // A path that cannot be opened now: the error names it, and the old file is kept.
  const std::string dir = ::testing::TempDir() + "sys_output_test.d";
  ::mkdir(dir.c_str(), 0700);
  auto g = FileOutput::open(dir + "/e.ndjson", "--events");
  ASSERT_TRUE(g);
  ::unlink((dir + "/e.ndjson").c_str());
  ::rmdir(dir.c_str());
  auto r = (*g)->reopen();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().err, ENOENT);
  EXPECT_NE(r.error().message().find(dir + "/e.ndjson"), std::string::npos) << r.error().message();
  (*g)->stream() << kLine << std::flush;
  EXPECT_EQ((*g)->error(), 0);
}

TEST_F(DaemonOutput, ReopenKeepsAFifoWithoutBlocking) {
  // Opening a FIFO for writing blocks until a reader comes; a FIFO is not rotated either.
  const std::string fifo = ::testing::TempDir() + "sys_output_test2.fifo";
  ::unlink(fifo.c_str());
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(reader, 0);
  auto f = FileOutput::open(fifo, "--events " + fifo);
  ASSERT_TRUE(f);
  ::close(reader);  // no reader now: a reopen that opened it again would hang here
  EXPECT_TRUE((*f)->reopen());
  ::unlink(fifo.c_str());
}

}  // namespace
}  // namespace reach::sys
