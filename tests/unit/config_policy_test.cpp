#include <gtest/gtest.h>

#include "config/policy.hpp"
#include "config/values.hpp"

namespace reach::config {
namespace {

TEST(Policy, Flows) {
  auto p = parse_policy(R"(timeout = 1.5
[[flow]]
name = "proxy to web"
from = "proxy"
to = "198.18.2.2:80"
expect = "pass"

[[flow]]
from = "198.18.1.1"
to = "[2001:db8::3]:5432"
expect = "block"
)",
                        "p.toml");
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->timeout, 1.5);
  ASSERT_EQ(p->flows.size(), 2u);
  EXPECT_EQ(p->flows[0].name, "proxy to web");
  EXPECT_EQ(p->flows[0].from_netns, "proxy");
  EXPECT_TRUE(p->flows[0].must_pass);
  EXPECT_EQ(p->flows[0].to.port, 80);
  EXPECT_EQ(p->flows[0].line, 2u);
  EXPECT_EQ(p->flows[1].from_address, "198.18.1.1");
  EXPECT_EQ(p->flows[1].to.host, "2001:db8::3");
  EXPECT_FALSE(p->flows[1].must_pass);
  EXPECT_EQ(p->flows[1].name, "198.18.1.1 -> [2001:db8::3]:5432");
}

TEST(Policy, SyntaxErrorNamesTheLine) {
  auto p = parse_policy("[[flow]]\nname = \"a\"\nto = 198.18.0.1:80\n", "p.toml");
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().message().rfind("policy p.toml: line 3 column", 0), 0u) << p.error().message();
}

TEST(Policy, MeaningErrorsNameTheLine) {
  const std::pair<const char*, const char*> cases[] = {
      {"[[flow]]\nto = \"h:1\"\nexpect = \"maybe\"\n", "line 3: expect 'maybe'"},
      {"[[flow]]\nto = \"h:99999\"\nexpect = \"pass\"\n", "line 2: port"},
      {"[[flow]]\nexpect = \"pass\"\n", "line 1: flow without 'to'"},
      {"[[flow]]\nto = \"h:1\"\n", "line 1: flow without 'expect'"},
      {"[[flow]]\nto = \"h:1\"\nexpect = \"pass\"\ncolour = \"red\"\n", "line 4: unknown key 'colour'"},
      {"[[flow]]\nto = \"h:1\"\nexpect = \"pass\"\nfrom = \"a/b\"\n", "line 4: from 'a/b'"},
      {"[[flow]]\nto = 5\nexpect = \"pass\"\n", "line 2: 'to' must be a string"},
      {"[[flow]]\nto = \"http://h/\"\nexpect = \"pass\"\n", "line 2: policy flows are TCP"},
      {"timeout = -1\n", "line 1: timeout"},
      {"flow = 3\n", "line 1: 'flow' must be an array of tables"},
      {"", "no [[flow]]"},
  };
  for (auto [text, why] : cases) {
    auto p = parse_policy(text, "p");
    ASSERT_FALSE(p) << text;
    EXPECT_NE(p.error().message().find(why), std::string::npos) << text << " -> " << p.error().message();
  }
}

TEST(Values, StatusSet) {
  auto s = parse_status_set("200-399,404");
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->contains(200));
  EXPECT_TRUE(s->contains(399));
  EXPECT_TRUE(s->contains(404));
  EXPECT_FALSE(s->contains(400));
  EXPECT_FALSE(s->contains(500));
  for (const char* bad : {"", "99", "600", "300-200", "2xx", "200-", "200,,", "-200"})
    EXPECT_FALSE(parse_status_set(bad)) << bad;
}

TEST(Values, Threshold) {
  auto t = parse_threshold("0.5,2");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->seconds, 0.5);
  EXPECT_EQ(t->failed, 2u);
  t = parse_threshold(",0");
  ASSERT_TRUE(t);
  EXPECT_FALSE(t->seconds);
  EXPECT_EQ(t->failed, 0u);
  t = parse_threshold("1");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->seconds, 1.0);
  EXPECT_FALSE(t->failed);
  for (const char* bad : {"", ",", "x", "-1", "1,-1", "1,x", "nan", "inf"}) EXPECT_FALSE(parse_threshold(bad)) << bad;
}

TEST(Values, CertTime) {
  EXPECT_EQ(parse_cert_time("Jan  1 00:00:00 1970 GMT"), 0);
  EXPECT_EQ(parse_cert_time("Nov 22 05:40:05 2026 GMT"), 1795326005);
  EXPECT_EQ(parse_cert_time("Feb 29 12:00:00 2024 GMT"), 1709208000);
  for (const char* bad : {"", "Foo  1 00:00:00 1970 GMT", "Jan  1 00:00:00 1970 UTC", "Jan 32 00:00:00 1970 GMT",
                          "Jan  1 25:00:00 1970 GMT", "Jan  1 00:00:00 1970 GMT trailing"})
    EXPECT_FALSE(parse_cert_time(bad)) << bad;
}

}  // namespace
}  // namespace reach::config

namespace reach::config {
namespace {

// toml++ 3.3 reached __builtin_unreachable on these (fuzz_policy): non-ASCII text is refused
// before toml++ sees it, except in comments, which are blanked out.
TEST(Policy, NonAscii) {
  for (const char* text : {"ti\xef\xbb\x92=u\"", "t = 0\"\xc9\x8frtime000w", "name = \"caf\xc3\xa9\""}) {
    auto p = parse_policy(text, "p");
    ASSERT_FALSE(p);
    EXPECT_NE(p.error().message().find("line 1: a non-ASCII character"), std::string::npos) << p.error().message();
  }
  auto p = parse_policy("# caf\xc3\xa9\n[[flow]]\nname = \"a # b\" # \xc3\xa9 \"\nto = 'h:1' # \xc3\xa9\nexpect = \"pass\"\n", "p");
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->flows[0].name, "a # b");
  p = parse_policy("[[flow]]\nto = \"h:1\"\nx = \"\"\"\n\\\"\"\" \xc3\xa9\"\"\"\n", "p");
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().message().find("line 4: a non-ASCII"), std::string::npos) << p.error().message();
}

}  // namespace
}  // namespace reach::config
