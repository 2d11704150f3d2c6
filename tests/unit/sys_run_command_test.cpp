// sys::run_command, the runner of `mrtg:` usage sources: output, exit status, timeouts that
// kill the whole process group, an output limit.
#include <gtest/gtest.h>

#include <chrono>

#include "sys/spawn.hpp"

namespace reach::sys {
namespace {

const std::vector<std::string> kEnv = {"PATH=/usr/bin:/bin"};

TEST(SysRunCommand, Output) {
  auto r = run_command({"sh", "-c", "printf '1\\n2\\nup\\nname\\n'"}, kEnv, 10 * kNsPerSec);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(*r, "1\n2\nup\nname\n");
  // stdin is /dev/null: a script that reads it does not wait.
  r = run_command({"cat"}, kEnv, 10 * kNsPerSec);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(*r, "");
}

TEST(SysRunCommand, Failures) {
  auto r = run_command({"sh", "-c", "echo 5; exit 3"}, kEnv, 10 * kNsPerSec);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), "run sh: exit status 3");
  r = run_command({"/nonexistent/script"}, kEnv, 10 * kNsPerSec);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().addr, "/nonexistent/script");
  r = run_command({"sh", "-c", "head -c 100000 /dev/zero"}, kEnv, 10 * kNsPerSec, 1000);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().detail.find("more than 1000 bytes"), std::string::npos);
  r = run_command({}, kEnv, kNsPerSec);
  ASSERT_FALSE(r);
}

TEST(SysRunCommand, TimeoutKillsTheGroup) {
  // A background grandchild keeps stdout open: only killing the group ends it.
  const auto t0 = std::chrono::steady_clock::now();
  auto r = run_command({"sh", "-c", "sleep 30 & echo 1; sleep 30"}, kEnv, 300 * kNsPerMs);
  const auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().detail, "timed out after 300 ms");
  EXPECT_LT(took, std::chrono::seconds(10));
}

}  // namespace
}  // namespace reach::sys
