// IpPrefix: CIDR parsing, membership (with IPv4-mapped peers) and the prefix that holds an address.
#include <gtest/gtest.h>

#include "base/ip_prefix.hpp"

namespace reach {
namespace {

IpAddr ip(const char* s) { return *IpAddr::parse(s); }

// A new-user test allowed ::ffff:198.18.5.7 in guard and saw 198.18.5.7 banned: the mapped form
// of an IPv4 prefix is that IPv4 prefix.
TEST(IpPrefix, MappedFormIsTheIpv4Prefix) {
  struct Case {
    const char* text;
    const char* want;
  } cases[] = {
      {"::ffff:198.18.5.7", "198.18.5.7/32"},
      {"::ffff:198.18.5.0/120", "198.18.5.0/24"},
      {"::ffff:0.0.0.0/96", "0.0.0.0/0"},
      {"::fffe:0:0/95", "::fffe:0:0/95"},  // wider than the mapped block: stays IPv6
      {"2001:db8::/32", "2001:db8::/32"},
  };
  for (const auto& c : cases) {
    auto p = parse_prefix(c.text);
    ASSERT_TRUE(p) << c.text;
    EXPECT_EQ(p->to_string(), c.want) << c.text;
  }
  EXPECT_TRUE(parse_prefix("::ffff:198.18.5.0/120")->contains(ip("198.18.5.9")));
}

TEST(IpPrefix, ParseAndContains) {
  auto c = parse_prefix("198.18.0.0/15");
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->contains(ip("198.18.0.1")));
  EXPECT_TRUE(c->contains(ip("198.19.255.255")));
  EXPECT_FALSE(c->contains(ip("198.20.0.0")));
  EXPECT_FALSE(c->contains(ip("2001:db8::1")));
  EXPECT_TRUE(c->contains(ip("::ffff:198.18.3.4"))) << "dual-stack sockets show v4 peers mapped";
  auto c6 = parse_prefix("2001:db8::/32");
  ASSERT_TRUE(c6);
  EXPECT_TRUE(c6->contains(ip("2001:db8:ffff::1")));
  EXPECT_FALSE(c6->contains(ip("2001:db9::1")));
  EXPECT_FALSE(c6->contains(ip("198.18.0.1")));
  auto host = parse_prefix("198.18.0.2");
  ASSERT_TRUE(host);
  EXPECT_EQ(host->len, 32);
  EXPECT_TRUE(host->contains(ip("198.18.0.2")));
  EXPECT_FALSE(host->contains(ip("198.18.0.3")));
  auto zero = parse_prefix("0.0.0.0/0");
  ASSERT_TRUE(zero);
  EXPECT_TRUE(zero->contains(ip("198.19.255.1")));
  auto odd = parse_prefix("2001:db8::/33");
  ASSERT_TRUE(odd);
  EXPECT_TRUE(odd->contains(ip("2001:db8:7fff::1")));
  EXPECT_FALSE(odd->contains(ip("2001:db8:8000::1")));
  for (const char* bad : {"198.18.0.1/33", "198.18.0.0/", "198.18.0.0/x", "198.18.1.0/15", "nope", "",
                          "2001:db8::/129", "198.18.0.0/-1", "198.18.0.0/15/1", "198.19.0.1/8"})
    EXPECT_FALSE(parse_prefix(bad)) << bad;
}

TEST(IpPrefix, PrefixOfClearsHostBits) {
  struct Case {
    const char* addr;
    int len;
    const char* want;
  } cases[] = {
      {"198.18.7.9", 24, "198.18.7.0/24"},
      {"198.18.7.9", 32, "198.18.7.9/32"},
      {"198.18.7.9", 40, "198.18.7.9/32"},  // clamped to the family's width
      {"::ffff:198.18.7.9", 24, "198.18.7.0/24"},  // a dual-stack socket's v4 peer counts as v4
      {"2001:db8:1:2:3:4:5:6", 64, "2001:db8:1:2::/64"},
      {"2001:db8:1:2:3:4:5:6", 48, "2001:db8:1::/48"},
      {"2001:db8:1:2:3:4:5:6", 0, "::/0"},
      {"2001:db8:1:2:3:4:5:6", 63, "2001:db8:1:2::/63"},
      {"2001:db8:1:3:3:4:5:6", 63, "2001:db8:1:2::/63"},
  };
  for (const auto& c : cases) {
    const IpPrefix p = prefix_of(ip(c.addr), c.len);
    EXPECT_EQ(p.to_string(), c.want) << c.addr << "/" << c.len;
    EXPECT_TRUE(p.contains(ip(c.addr))) << c.addr;
  }
  EXPECT_EQ(prefix_of(ip("2001:db8::1"), 64), prefix_of(ip("2001:db8::ffff:1"), 64));
  EXPECT_FALSE(prefix_of(ip("2001:db8::1"), 64) == prefix_of(ip("2001:db8:0:1::1"), 64));
  EXPECT_EQ(unmap_v4(ip("::ffff:198.18.0.1")).to_string(), "198.18.0.1");
  EXPECT_EQ(unmap_v4(ip("2001:db8::1")).to_string(), "2001:db8::1");
}

// Every prefix argument and config value of reach says why it was refused with these words:
// host bits set names the prefix meant (`reach guard --ban 2001:db8::1/64` said only "not an
// address or prefix").
TEST(IpPrefix, ErrorSaysWhyAndNamesThePrefixMeant) {
  const struct {
    const char* text;
    const char* want;
  } cases[] = {
      {"2001:db8::1/64", "\"2001:db8::1/64\" has host bits set: the prefix is 2001:db8::/64"},
      {"198.18.0.1/24", "\"198.18.0.1/24\" has host bits set: the prefix is 198.18.0.0/24"},
      {"198.18.0.0/33", "\"198.18.0.0/33\": the length after '/' must be 0 to 32"},
      {"2001:db8::/129", "\"2001:db8::/129\": the length after '/' must be 0 to 128"},
      {"198.18.0.0/", "\"198.18.0.0/\": the length after '/' must be 0 to 32"},
      {"nowhere", "\"nowhere\" is not a prefix like 198.18.0.0/15 or 2001:db8::/32"},
      {"nowhere/24", "\"nowhere/24\" is not a prefix like 198.18.0.0/15 or 2001:db8::/32"},
  };
  for (const auto& c : cases) {
    EXPECT_FALSE(parse_prefix(c.text)) << c.text;
    EXPECT_EQ(prefix_error(c.text), c.want);
  }
}

}  // namespace
}  // namespace reach
