// io::detail::load_journal_api: libsystemd is loaded when a journal source opens, not linked.
#include <gtest/gtest.h>

#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "io/journal_api.hpp"

namespace reach::io::detail {
namespace {

bool mapped(const std::string& lib) {
  std::ifstream in("/proc/self/maps");
  std::stringstream s;
  s << in.rdbuf();
  return s.str().find(lib) != std::string::npos;
}

TEST(JournalApi, LoadedOnceAtTheFirstCall) {
  EXPECT_FALSE(mapped("/libsystemd.so"));
  auto api = load_journal_api();
  ASSERT_TRUE(api) << api.error().message();
  EXPECT_EQ(*api, *load_journal_api());
  EXPECT_TRUE(mapped("/libsystemd.so"));
  // A directory with no journal files opens (and reads nothing).
  char dir[] = "/tmp/reach-journal-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  sd_journal* j = nullptr;
  EXPECT_GE((*api)->open_directory(&j, dir, 0), 0);
  if (j) {
    EXPECT_EQ((*api)->next(j), 0);
    (*api)->close(j);
  }
  ::rmdir(dir);
}

}  // namespace
}  // namespace reach::io::detail
