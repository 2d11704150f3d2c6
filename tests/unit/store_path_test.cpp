// watch's stored path events (store/path_store.cpp): newest first, the newest 100 per target kept.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "store/store.hpp"

namespace reach::store {
namespace {

constexpr TimeNs kT0 = 1798149600LL * kNsPerSec;

class TempDb {
 public:
  TempDb() {
    char tmpl[] = "/tmp/reach-pathstore-XXXXXX";
    dir_ = mkdtemp(tmpl);
    path_ = dir_ + "/watch.db";
  }
  ~TempDb() { std::filesystem::remove_all(dir_); }
  const std::string& path() const { return path_; }

 private:
  std::string dir_, path_;
};

TEST(StorePaths, NewestFirstPerTargetAndPruned) {
  TempDb tmp;
  Options o;
  o.path = tmp.path();
  auto s = Store::open(o);
  ASSERT_TRUE(s) << s.error().message();
  auto none = (*s)->paths("a", 10);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  for (int i = 0; i < 105; ++i)
    ASSERT_TRUE((*s)->save_path("a", {kT0 + i * kNsPerSec, i % 2 ? "down" : "up", "{\"n\":" + std::to_string(i) + "}"}));
  ASSERT_TRUE((*s)->save_path("b", {kT0, "start", "{}"}));
  auto a = (*s)->paths("a", 1000);
  ASSERT_TRUE(a);
  ASSERT_EQ(a->size(), Store::kMaxPaths);
  EXPECT_EQ(a->front().json, "{\"n\":104}");
  EXPECT_EQ(a->front().trigger, "up");
  EXPECT_EQ(a->front().wall, kT0 + 104 * kNsPerSec);
  EXPECT_EQ(a->back().json, "{\"n\":5}");
  auto b = (*s)->paths("b", 1);
  ASSERT_TRUE(b);
  ASSERT_EQ(b->size(), 1u);
  EXPECT_EQ(b->front().trigger, "start");
  // They survive a reopen.
  s->reset();
  auto again = Store::open(o);
  ASSERT_TRUE(again);
  auto a2 = (*again)->paths("a", 2);
  ASSERT_TRUE(a2);
  ASSERT_EQ(a2->size(), 2u);
  EXPECT_EQ((*a2)[1].json, "{\"n\":103}");
}

}  // namespace
}  // namespace reach::store
