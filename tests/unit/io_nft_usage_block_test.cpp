// The pure parts of io::NftUsageBlock: the element timeout from the cycle end, the interface
// names it accepts, and the exact ruleset script. The kernel side: tests/integration/test_usage.py.
#include "io/nft_usage_block.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "config/usage_config.hpp"

namespace reach::io {
namespace {

TEST(NftUsageBlock, TimeoutIsTheTimeLeftInTheCycleAtLeastOneSecond) {
  const struct {
    std::int64_t end, now;
    TimeNs want;
  } cases[] = {
      {1'000'000, 1'000'000 - 3600, 3600 * kNsPerSec},
      {1'000'000, 999'999, kNsPerSec},
      {1'000'000, 1'000'000, kNsPerSec},   // at or past the end: the shortest block, not none
      {1'000'000, 1'000'100, kNsPerSec},
      {1'000'000 + 31 * 86400, 1'000'000, 31 * 86400 * kNsPerSec},
  };
  for (const auto& c : cases) EXPECT_EQ(block_timeout(c.end, c.now), c.want) << c.end << " " << c.now;
}

TEST(NftUsageBlock, BlockableNames) {
  for (const char* ok : {"eth0", "wwan0", "veth.1", "br-lan", "u0@x", "abcdefghijklmno"}) EXPECT_TRUE(blockable_ifname(ok)) << ok;
  for (const char* bad : {"", "lo", "abcdefghijklmnop", "a b", "a\"b", "a}b"}) EXPECT_FALSE(blockable_ifname(bad)) << bad;
}

TEST(NftUsageBlock, EnsureScriptIsExactlyTheDocumentedRules) {
  std::string why;
  std::vector<BlockAllow> allow = config::default_block_allow();
  allow.push_back(*config::parse_block_allow("198.18.0.0/24", why));
  allow.push_back(*config::parse_block_allow("2001:db8::/32", why));
  EXPECT_EQ(block_ensure_script("reach", allow),
            "add table inet reach\n"
            "add set inet reach usage_block { type ifname; flags timeout; }\n"
            "add chain inet reach usage_essential\n"
            "flush chain inet reach usage_essential\n"
            "add rule inet reach usage_essential udp dport 53 accept\n"
            "add rule inet reach usage_essential udp sport 53 accept\n"
            "add rule inet reach usage_essential tcp dport 53 accept\n"
            "add rule inet reach usage_essential tcp sport 53 accept\n"
            "add rule inet reach usage_essential udp dport 67-68 accept\n"
            "add rule inet reach usage_essential udp sport 67-68 accept\n"
            "add rule inet reach usage_essential udp dport 123 accept\n"
            "add rule inet reach usage_essential udp sport 123 accept\n"
            "add rule inet reach usage_essential ip daddr 198.18.0.0/24 accept\n"
            "add rule inet reach usage_essential ip saddr 198.18.0.0/24 accept\n"
            "add rule inet reach usage_essential ip6 daddr 2001:db8::/32 accept\n"
            "add rule inet reach usage_essential ip6 saddr 2001:db8::/32 accept\n"
            "add rule inet reach usage_essential icmpv6 type { nd-router-solicit, nd-router-advert, nd-neighbor-solicit, "
            "nd-neighbor-advert, nd-redirect, packet-too-big } accept\n"
            "add rule inet reach usage_essential icmp type destination-unreachable accept\n"
            "add rule inet reach usage_essential counter drop\n"
            "add chain inet reach usage_input { type filter hook input priority filter; policy accept; }\n"
            "flush chain inet reach usage_input\n"
            "add rule inet reach usage_input iifname @usage_block jump usage_essential\n"
            "add chain inet reach usage_forward { type filter hook forward priority filter; policy accept; }\n"
            "flush chain inet reach usage_forward\n"
            "add rule inet reach usage_forward iifname @usage_block jump usage_essential\n"
            "add rule inet reach usage_forward oifname @usage_block jump usage_essential\n"
            "add chain inet reach usage_output { type filter hook output priority filter; policy accept; }\n"
            "flush chain inet reach usage_output\n"
            "add rule inet reach usage_output oifname @usage_block jump usage_essential\n");
}

}  // namespace
}  // namespace reach::io

namespace reach::io {
namespace {

// nft 1.0.6 refuses "2678400000ms" (a 31-day cycle's block) with "value too large": timeouts are
// written in days, hours, minutes, seconds and milliseconds as nft prints them (CI failure on 1 December).
TEST(NftTimeoutText, DaysDownToMillisecondsRoundedUp) {
  struct Case {
    TimeNs t;
    const char* want;
  } cases[] = {
      {0, "1s"},
      {1, "1s"},
      {kNsPerSec, "1s"},
      {kNsPerSec + 1, "1s1ms"},
      {1500 * kNsPerMs, "1s500ms"},
      {60 * kNsPerSec, "1m"},
      {3600 * kNsPerSec, "1h"},
      {31LL * 86400 * kNsPerSec, "31d"},
      {(86400LL + 7200 + 180 + 4) * kNsPerSec, "1d2h3m4s"},
      {100000LL * 86400 * kNsPerSec, "36500d"},
  };
  for (const auto& c : cases) EXPECT_EQ(nft_timeout_text(c.t), c.want) << c.t;
}

}  // namespace
}  // namespace reach::io
