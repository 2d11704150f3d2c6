// MRTG's 4-line external-script output, as real scripts print it and as broken ones do.
#include <gtest/gtest.h>

#include "config/mrtg_output.hpp"

namespace reach::config {
namespace {

TEST(MrtgOutput, Accepts) {
  struct Case {
    const char* text;
    std::uint64_t in, out;
    const char* uptime;
    const char* name;
  } cases[] = {
      {"123\n456\n3 days, 04:05:06\nrouter\n", 123, 456, "3 days, 04:05:06", "router"},
      {"123\r\n456\r\nup\r\nname\r\n", 123, 456, "up", "name"},                 // CRLF
      {"  7  \n\t8\n", 7, 8, "", ""},                                           // MRTG defaults the text lines
      {"0\n0\nx\ny", 0, 0, "x", "y"},                                           // no final newline
      {"18446744073709551615\n1\n\n\n", 18446744073709551615ULL, 1, "", ""},  // 2^64-1
      {"12345.0\n+99.75\nu\nn\n", 12345, 99, "u", "n"},                        // float-printing scripts
      {"1\n2\nu\nn\nextra\nlines\n", 1, 2, "u", "n"},                          // MRTG ignores the rest
      {"1\n2\nu\n\x1b[31mred\n", 1, 2, "u", "\\x1b[31mred"},                  // escapes made printable
  };
  for (const auto& c : cases) {
    auto r = parse_mrtg_output(c.text);
    ASSERT_TRUE(r) << c.text << ": " << r.error().message();
    EXPECT_EQ(r->in, c.in) << c.text;
    EXPECT_EQ(r->out, c.out) << c.text;
    EXPECT_EQ(r->uptime, c.uptime) << c.text;
    EXPECT_EQ(r->name, c.name) << c.text;
  }
}

TEST(MrtgOutput, Rejects) {
  struct Case {
    const char* text;
    const char* says;
  } cases[] = {
      {"", "no output"},
      {"123\n", "line 2 (out): missing"},
      {"UNKNOWN\n5\n", "line 1 (in): the script said UNKNOWN"},
      {"5\nUNKNOWN\n", "line 2 (out): the script said UNKNOWN"},
      {"-5\n5\n", "line 1 (in): expected an unsigned decimal"},
      {"5\n1e9\n", "line 2 (out): expected an unsigned decimal"},
      {"5 bytes\n5\n", "line 1 (in): expected"},
      {"\n5\n", "line 1 (in): empty"},
      {"5.\n5\n", "line 1 (in): expected"},
      {".5\n5\n", "line 1 (in): expected"},
      {"0x10\n5\n", "line 1 (in): expected"},
      {"18446744073709551616\n1\n", "line 1 (in): counter larger than 2^64-1"},
  };
  for (const auto& c : cases) {
    auto r = parse_mrtg_output(c.text);
    ASSERT_FALSE(r) << c.text;
    EXPECT_EQ(r.error().op, "mrtg output");
    EXPECT_NE(r.error().message().find(c.says), std::string::npos) << r.error().message();
  }
}

}  // namespace
}  // namespace reach::config
