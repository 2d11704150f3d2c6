// The `relay.limits:` section: defaults, every key, and one clear error per mistake with its line.
#include "config/relay_limits.hpp"

#include <gtest/gtest.h>

#include <string>

namespace reach::config {
namespace {

TEST(RelayLimitsConfig, DefaultsWithoutTheSection) {
  auto c = parse_relay_limits("relay:\n  listen: '[::]:80'\nwatch_other: 1\n", "f.yaml");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->v4.len, 32);
  EXPECT_EQ(c->v6.len, 64);
  EXPECT_EQ(c->v6_wide.len, 48);
  EXPECT_EQ(c->max_conns, 10000u);
  EXPECT_TRUE(c->blackhole);
  EXPECT_EQ(c->nft_idle, 30 * kNsPerSec);
  EXPECT_EQ(c->ban_after, 50u);
}

TEST(RelayLimitsConfig, EveryKey) {
  auto c = parse_relay_limits(R"(relay:
  limits:
    ipv4: { prefix: 24, conns: 10, rate: 5, burst: 7 }
    ipv6: { prefix: 64, conns: 11, rate: 6 }
    ipv6_wide: off
    max_conns: 500
    max_memory: 64MiB
    max_prefixes: 2000
    ban: { after: 9, window: 3s, time: 2m }
    blackhole: false
    nft_idle: 2s
    allow: [ "198.18.0.0/24", "2001:db8::1" ]
)",
                              "f.yaml");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->v4.len, 24);
  EXPECT_EQ(c->v4.max_conns, 10u);
  EXPECT_EQ(c->v4.rate, 5);
  EXPECT_EQ(c->v4.burst, 7);
  EXPECT_EQ(c->v6.max_conns, 11u);
  EXPECT_EQ(c->v6.burst, 100);  // the default kept
  EXPECT_EQ(c->v6_wide.len, 0);
  EXPECT_EQ(c->max_conns, 500u);
  EXPECT_EQ(c->max_memory, 64ull << 20);
  EXPECT_EQ(c->max_prefixes, 2000u);
  EXPECT_EQ(c->ban_after, 9u);
  EXPECT_EQ(c->ban_window, 3 * kNsPerSec);
  EXPECT_EQ(c->ban_time, 120 * kNsPerSec);
  EXPECT_FALSE(c->blackhole);
  EXPECT_EQ(c->nft_idle, 2 * kNsPerSec);
  ASSERT_EQ(c->allow.size(), 2u);
  EXPECT_EQ(c->allow[1].to_string(), "2001:db8::1/128");
  auto off = parse_relay_limits("relay:\n  limits:\n    ban: off\n", "f.yaml");
  ASSERT_TRUE(off);
  EXPECT_EQ(off->ban_after, 0u);
}

TEST(RelayLimitsConfig, ErrorsNameLineAndPath) {
  const struct {
    const char* yaml;
    const char* want;
  } cases[] = {
      {"relay:\n  limits:\n    ipv4: { prefix: 16 }\n", "f.yaml:3: relay.limits.ipv4.prefix: must be 32 or 24"},
      {"relay:\n  limits:\n    max_conns: 0\n", "f.yaml:3: relay.limits.max_conns"},
      {"relay:\n  limits:\n    max_memory: lots\n", "f.yaml:3: relay.limits.max_memory: \"lots\" is not a byte size"},
      {"relay:\n  limits:\n    allow: [ 'nope' ]\n", "f.yaml:3: relay.limits.allow[0]: \"nope\" is not a prefix like"},
      {"relay:\n  limits:\n    allow: [ '2001:db8::1/64' ]\n",
       "f.yaml:3: relay.limits.allow[0]: \"2001:db8::1/64\" has host bits set: the prefix is 2001:db8::/64"},
      {"relay:\n  limits:\n    bans: 3\n", "f.yaml:3: relay.limits"},
      {"relay:\n  limits:\n    ban: { time: 0s }\n", "f.yaml:3: relay.limits.ban.time"},
      {"relay:\n  limits:\n    ipv6_wide: on\n", "relay.limits.ipv6_wide: is a map"},
      {"relay:\n  limits:\n    nft_idle: 2d\n", "f.yaml:3: relay.limits.nft_idle"},
  };
  for (const auto& c : cases) {
    auto r = parse_relay_limits(c.yaml, "f.yaml");
    ASSERT_FALSE(r) << c.yaml;
    EXPECT_NE(r.error().message().find(c.want), std::string::npos) << r.error().message();
  }
}

}  // namespace
}  // namespace reach::config
