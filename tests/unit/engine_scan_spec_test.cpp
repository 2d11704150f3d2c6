// Target and port specifications of `reach scan`: what parses, what is refused and why, and
// the address set after merging and exclusions.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/scan_banner.hpp"
#include "engine/scan_spec.hpp"

namespace reach::engine {
namespace {

IpAddr ip(std::string_view s) { return *IpAddr::parse(s); }

TEST(ScanSpec, TargetsThatParse) {
  struct Case {
    const char* text;
    const char* first;
    std::uint64_t size;
  } cases[] = {
      {"198.18.0.7", "198.18.0.7", 1},
      {"198.18.0.0/22", "198.18.0.0", 1024},
      {"198.18.0.77/24", "198.18.0.0", 256},
      {"198.18.0.1-198.18.0.20", "198.18.0.1", 20},
      {"0.0.0.0/0", "0.0.0.0", 1ULL << 32},
      {"2001:db8::1", "2001:db8::1", 1},
      {"2001:db8::/120", "2001:db8::", 256},
      {"2001:db8::/96", "2001:db8::", 1ULL << 32},
      {"2001:db8::5-2001:db8::9", "2001:db8::5", 5},
      // IPv4-mapped: IPv4 on the wire, so scanned as IPv4 (an IPv6 socket cannot send to them).
      {"::ffff:198.18.0.7", "198.18.0.7", 1},
      {"::ffff:198.18.0.0/120", "198.18.0.0", 256},
      {"::ffff:198.18.0.1-::ffff:198.18.0.4", "198.18.0.1", 4},
  };
  for (const auto& c : cases) {
    auto t = parse_target(c.text);
    ASSERT_TRUE(t) << c.text << ": " << t.error().message();
    ASSERT_TRUE(t->range) << c.text;
    EXPECT_EQ(t->range->at(t->range->first), ip(c.first)) << c.text;
    EXPECT_EQ(t->range->size(), c.size) << c.text;
  }
}

TEST(ScanSpec, ZonesAreHandedBack) {
  const std::pair<const char*, const char*> cases[] = {
      {"fe80::1%eth0", "eth0"}, {"[fe80::1%2]", "2"}, {"fe80::%eth-s/120", "eth-s"}, {"2001:db8::1", ""}};
  for (auto [text, zone] : cases) {
    auto t = parse_target(text);
    ASSERT_TRUE(t && t->range) << text;
    EXPECT_EQ(t->zone, zone) << text;
  }
  for (const char* bad : {"198.18.0.1%eth0", "fe80::1%", "[fe80::1"}) EXPECT_FALSE(parse_target(bad)) << bad;
  AddrRange r = *parse_target("fe80::/126")->range;
  r.scope = 7;
  EXPECT_EQ(r.at(r.first + 1).scope(), 7u);  // every address of a zoned range keeps the zone
}

TEST(ScanSpec, NamesAreHandedBack) {
  auto t = parse_target("server.lab-1.example");
  ASSERT_TRUE(t);
  EXPECT_FALSE(t->range);
  EXPECT_EQ(t->name, "server.lab-1.example");
}

TEST(ScanSpec, MalformedTargetsAreRefused) {
  for (const char* bad : {"", "198.18.0.300", "198.18.0.0/33", "198.18.0.0/", "/24", "2001:db8::/95",
                          "2001:db8::g", "host name", "-p", "198.18.0.9-198.18.0.1", "2001:db8::1-2001:db9::1",
                          "a/b", "198.18.0.0/-1", "héllo", "::ffff:198.18.0.0/95"}) {
    auto t = parse_target(bad);
    EXPECT_FALSE(t) << "accepted: " << bad;
    if (!t) {
      EXPECT_FALSE(t.error().detail.empty()) << bad;
    }
  }
}

TEST(ScanSpec, ListFilesSplitOnBlanksCommasAndComments) {
  auto words = split_target_list("198.18.0.1 198.18.0.2,198.18.0.3\n# a comment 198.18.9.9\n\t2001:db8::1 # x\n");
  EXPECT_EQ(words, (std::vector<std::string>{"198.18.0.1", "198.18.0.2", "198.18.0.3", "2001:db8::1"}));
  EXPECT_TRUE(split_target_list("# only\n\n").empty());
}

TEST(ScanSpec, SetMergesOverlapsAndSubtractsExclusions) {
  TargetSet s;
  s.add(*parse_target("198.18.0.0/24")->range);
  s.add(*parse_target("198.18.0.128/25")->range);  // inside the /24: merged, not twice
  s.add(*parse_target("2001:db8::1")->range);
  s.exclude(*parse_target("198.18.0.10-198.18.0.19")->range);
  s.exclude(*parse_target("198.18.0.255")->range);
  s.exclude(*parse_target("198.18.5.0/24")->range);  // outside: no effect
  s.finalize();
  EXPECT_EQ(s.size(), 256u - 10 - 1 + 1);
  EXPECT_FALSE(s.index_of(ip("198.18.0.15")));
  EXPECT_FALSE(s.index_of(ip("198.18.0.255")));
  EXPECT_FALSE(s.index_of(ip("198.18.1.0")));
  for (std::uint64_t i = 0; i < s.size(); ++i) {
    auto a = s.at(i);
    auto back = s.index_of(a);
    ASSERT_TRUE(back) << a.to_string();
    EXPECT_EQ(*back, i);
  }
  EXPECT_EQ(s.at(0), ip("198.18.0.0"));
  EXPECT_EQ(s.at(10), ip("198.18.0.20"));
  EXPECT_EQ(s.at(s.size() - 1), ip("2001:db8::1"));
}

TEST(ScanSpec, ExcludingEverythingLeavesNothing) {
  TargetSet s;
  s.add(*parse_target("198.18.0.0/30")->range);
  s.exclude(*parse_target("198.18.0.0/29")->range);
  s.finalize();
  EXPECT_EQ(s.size(), 0u);
}

TEST(ScanSpec, Ports) {
  struct Case {
    const char* text;
    std::size_t count;
    std::uint16_t first, last;
  } cases[] = {
      {"22", 1, 22, 22},          {"22,80,8000-8100", 103, 22, 8100}, {"-", 65535, 1, 65535},
      {"1-65535", 65535, 1, 65535}, {"-1024", 1024, 1, 1024},         {"60000-", 5536, 60000, 65535},
      {"80,80,79-81", 3, 79, 81},
  };
  for (const auto& c : cases) {
    auto p = parse_ports(c.text);
    ASSERT_TRUE(p) << c.text << ": " << p.error().message();
    EXPECT_EQ(p->size(), c.count) << c.text;
    EXPECT_EQ(p->front(), c.first) << c.text;
    EXPECT_EQ(p->back(), c.last) << c.text;
    EXPECT_TRUE(std::is_sorted(p->begin(), p->end())) << c.text;
  }
  for (const char* bad : {"", ",", "22,", "0", "65536", "80-79", "a", "1--2", "22;80", "-0", "99999999999"})
    EXPECT_FALSE(parse_ports(bad)) << "accepted: " << bad;
}

TEST(ScanSpec, TopPortsAreNmapsHundred) {
  const auto& t = top_ports();
  ASSERT_EQ(t.size(), 100u);
  EXPECT_EQ(t.front(), 7);
  EXPECT_EQ(t.back(), 49157);
  EXPECT_TRUE(std::binary_search(t.begin(), t.end(), 22));
  EXPECT_TRUE(std::binary_search(t.begin(), t.end(), 443));
}

}  // namespace
}  // namespace reach::engine

namespace reach::engine {
namespace {

TEST(ScanBanner, FirstLinePrintableAndTrimmed) {
  auto b = [](std::string_view s) {
    return clean_banner(std::span(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()));
  };
  EXPECT_EQ(b("SSH-2.0-OpenSSH_9.2p1 Debian-2\r\nmore"), "SSH-2.0-OpenSSH_9.2p1 Debian-2");
  EXPECT_EQ(b("  220 mail ESMTP  \n"), "220 mail ESMTP");
  EXPECT_EQ(b(std::string_view("a\0b\x1b[2Jc\xff", 9)), "a\\x00b\\x1b[2Jc\\xff");
  EXPECT_EQ(b(""), "");
  EXPECT_EQ(b(std::string(500, 'x')).size(), kBannerMax);
}

}  // namespace
}  // namespace reach::engine
