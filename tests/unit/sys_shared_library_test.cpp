// sys::load_library: a library loaded at run time (io/mhd_api loads libmicrohttpd with it).
#include <gtest/gtest.h>

#include <cstring>

#include "sys/shared_library.hpp"

namespace reach::sys {
namespace {

TEST(SharedLibrary, AMissingLibraryIsAnErrorNamingIt) {
  auto h = load_library("libreach-no-such-library.so.7");
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().op, "load");
  EXPECT_EQ(h.error().addr, "libreach-no-such-library.so.7");
  EXPECT_NE(h.error().detail.find("cannot open shared object file"), std::string::npos) << h.error().detail;
  EXPECT_EQ(h.error().message().rfind("load libreach-no-such-library.so.7: ", 0), 0u) << h.error().message();
}

TEST(SharedLibrary, SymbolsOfALoadedLibrary) {
  auto h = load_library("libc.so.6");
  ASSERT_TRUE(h) << h.error().message();
  EXPECT_NE(library_symbol(*h, "strlen"), nullptr);
  EXPECT_EQ(library_symbol(*h, "reach_no_such_symbol"), nullptr);
}

TEST(SharedLibrary, ABinderFillsTypedSlotsAndNamesTheFirstMissingSymbol) {
  auto h = load_library("libc.so.6");
  ASSERT_TRUE(h) << h.error().message();
  struct {
    decltype(&::strlen) len;
    decltype(&::strlen) nope;
    decltype(&::strlen) nope2;
  } t{};
  SymbolBinder bind(*h, "libc.so.6");
  bind(t.len, "strlen");
  EXPECT_TRUE(bind.status());
  ASSERT_NE(t.len, nullptr);
  EXPECT_EQ(t.len("reach"), 5u);
  bind(t.nope, "reach_no_such_symbol");
  bind(t.nope2, "reach_no_such_symbol_either");
  EXPECT_EQ(t.nope, nullptr);
  ASSERT_FALSE(bind.status());
  EXPECT_EQ(bind.status().error().message(), "load libc.so.6: no symbol reach_no_such_symbol");
}

}  // namespace
}  // namespace reach::sys
