// The rtnetlink link dump against the kernel's own sysfs counters of loopback (present in every
// namespace, ifindex 1). Counters only grow, so sysfs before <= netlink <= sysfs after.
#include "sys/link_stats.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

namespace reach::sys {
namespace {

std::uint64_t sysfs(const std::string& name, const char* what) {
  std::ifstream f("/sys/class/net/" + name + "/statistics/" + what);
  std::uint64_t v = 0;
  f >> v;
  return v;
}

TEST(SysLinkStats, LoopbackAgreesWithSysfs) {
  const std::uint64_t rx0 = sysfs("lo", "rx_bytes"), tx0 = sysfs("lo", "tx_bytes");
  auto links = read_link_stats();
  ASSERT_TRUE(links) << links.error().message();
  const std::uint64_t rx1 = sysfs("lo", "rx_bytes"), tx1 = sysfs("lo", "tx_bytes");
  const LinkStats* lo = nullptr;
  for (const auto& l : *links)
    if (l.name == "lo") lo = &l;
  ASSERT_NE(lo, nullptr);
  EXPECT_EQ(lo->ifindex, 1);
  EXPECT_EQ(lo->bits, 64);
  EXPECT_EQ(lo->mac, "");  // all zero: no identity
  EXPECT_GE(lo->rx_bytes, rx0);
  EXPECT_LE(lo->rx_bytes, rx1);
  EXPECT_GE(lo->tx_bytes, tx0);
  EXPECT_LE(lo->tx_bytes, tx1);
}

TEST(SysLinkStats, BootIdIsAUuid) {
  auto id = boot_id();
  ASSERT_TRUE(id) << id.error().message();
  EXPECT_EQ(id->size(), 36u);
  EXPECT_EQ(id->find('\n'), std::string::npos);
  EXPECT_EQ(*boot_id(), *id);
}

}  // namespace
}  // namespace reach::sys
