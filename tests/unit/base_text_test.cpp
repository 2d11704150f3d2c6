#include <gtest/gtest.h>

#include "base/text.hpp"

namespace reach {
namespace {

TEST(Printable, EscapesControlAndNonAscii) {
  EXPECT_EQ(printable("sshd"), "sshd");
  EXPECT_EQ(printable("\x1b[2Jevil"), "\\x1b[2Jevil");
  EXPECT_EQ(printable(std::string_view("a\0b\n\x7f\x9b", 6)), "a\\x00b\\x0a\\x7f\\x9b");
  EXPECT_EQ(printable("caf\xc3\xa9"), "caf\\xc3\\xa9");
  EXPECT_EQ(printable(""), "");
}

}  // namespace
}  // namespace reach
