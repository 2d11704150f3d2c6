// reach usage's pure counting helpers: bytes of a poll spread over UTC hours (exact sums), and
// which link is a configured interface (by MAC, followed across renames, looked up again by
// name once gone).
#include <gtest/gtest.h>

#include "tools/usage/counting.hpp"

namespace reach::tools::usage {
namespace {

constexpr TimeNs kH = 3600 * kNsPerSec;
constexpr TimeNs kT0 = 1798149600LL * kNsPerSec;  // a whole UTC hour

std::uint64_t sum_rx(const std::vector<store::UsageBytes>& v) {
  std::uint64_t s = 0;
  for (const auto& b : v) s += b.rx;
  return s;
}

TEST(UsageSpread, InsideOneHourAllGoesToIt) {
  std::vector<store::UsageBytes> out;
  spread_hours(1000, 7, kT0 + 10 * kNsPerSec, kT0 + 11 * kNsPerSec, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].hour, kT0 / kNsPerSec);
  EXPECT_EQ(out[0].rx, 1000u);
  EXPECT_EQ(out[0].tx, 7u);
}

TEST(UsageSpread, AcrossHoursInProportionAndExact) {
  struct Case {
    std::uint64_t rx;
    TimeNs from, to;
    std::vector<std::uint64_t> want;  // per hour from from's hour
  };
  const Case cases[] = {
      {1000, kT0 + kH / 2, kT0 + kH + kH / 2, {500, 500}},
      {3, kT0 + kH / 2, kT0 + kH + kH / 2, {1, 2}},  // the last hour takes the rounding
      {2500, kT0 + kH / 2, kT0 + 3 * kH, {500, 1000, 1000}},
      {~0ULL, kT0, kT0 + 2 * kH, {~0ULL / 2, ~0ULL - ~0ULL / 2}},  // no overflow at 2^64
      {10, kT0 + kH - 1, kT0 + kH + 1, {5, 5}},
  };
  for (const Case& c : cases) {
    std::vector<store::UsageBytes> out;
    spread_hours(c.rx, 0, c.from, c.to, out);
    ASSERT_EQ(out.size(), c.want.size()) << c.rx;
    for (std::size_t i = 0; i < out.size(); ++i) {
      EXPECT_EQ(out[i].rx, c.want[i]) << c.rx << " hour " << i;
      EXPECT_EQ(out[i].hour, c.from / kH * 3600 + static_cast<std::int64_t>(i) * 3600);
    }
    EXPECT_EQ(sum_rx(out), c.rx);
  }
}

TEST(UsageSpread, NoPreviousTimeOrBackwardsGoesToTheReadingsHour) {
  for (TimeNs from : {TimeNs{0}, kT0 + 5 * kH}) {
    std::vector<store::UsageBytes> out;
    spread_hours(42, 1, from, kT0 + kH + 5, out);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].hour, kT0 / kNsPerSec + 3600);
  }
  std::vector<store::UsageBytes> none;
  spread_hours(0, 0, kT0, kT0 + 9 * kH, none);
  EXPECT_TRUE(none.empty());
}

TEST(UsageSpread, AWeekLongGapSumsExactly) {
  std::vector<store::UsageBytes> out;
  spread_hours(123456789012ULL, 987654321ULL, kT0 + 17 * kNsPerSec, kT0 + 7 * 24 * kH + 3 * kNsPerSec, out);
  EXPECT_EQ(out.size(), 7u * 24 + 1);
  std::uint64_t tx = 0;
  for (const auto& b : out) tx += b.tx;
  EXPECT_EQ(sum_rx(out), 123456789012ULL);
  EXPECT_EQ(tx, 987654321ULL);
}

sys::LinkStats link(int ifindex, std::string name, std::string mac, std::string perm = "") {
  sys::LinkStats l;
  l.ifindex = ifindex;
  l.name = std::move(name);
  l.mac = std::move(mac);
  l.perm_mac = std::move(perm);
  return l;
}

config::UsageSource by_name(std::string n) {
  config::UsageSource s;
  s.interface = std::move(n);
  return s;
}

TEST(UsageFollow, NameThenTheIfindexAcrossARenameThenTheNameAgain) {
  config::UsageSource s = by_name("wwan0");
  s.id = "if:name:wwan0";
  int followed = 0;
  std::vector<sys::LinkStats> links{link(1, "lo", ""), link(7, "wwan0", "02:00:00:00:00:07")};
  links[1].rx_bytes = 100;
  auto got = follow_interface(s, links, "boot", kT0, followed);
  ASSERT_TRUE(got) << got.error().message();
  EXPECT_EQ(got->rx.value, 100u);
  EXPECT_EQ(got->rx.base, "boot/7");
  EXPECT_EQ(followed, 7);
  links[1].name = "wwan9";  // renamed: still the same counter, shown under its new name
  got = follow_interface(s, links, "boot", kT0, followed);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->display, "wwan9");
  EXPECT_EQ(got->rx.base, "boot/7");
  links.push_back(link(8, "wwan0", "02:00:00:00:00:08"));  // a new wwan0 while 7 lives
  EXPECT_EQ(follow_interface(s, links, "boot", kT0, followed)->rx.base, "boot/7");
  links.erase(links.begin() + 1);  // 7 deleted: the configured name again, a new base
  got = follow_interface(s, links, "boot", kT0, followed);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->rx.base, "boot/8");
  EXPECT_EQ(followed, 8);
  links.pop_back();
  EXPECT_FALSE(follow_interface(s, links, "boot", kT0, followed));
  EXPECT_EQ(followed, 0);
}

TEST(UsageFollow, AMacSourceIsMatchedByMacEveryTime) {
  config::UsageSource s;
  s.id = "if:mac:02:00:00:00:00:aa";
  s.mac = "02:00:00:00:00:aa";
  int followed = 0;
  std::vector<sys::LinkStats> links{link(3, "eth0", "02:00:00:00:00:01", "02:00:00:00:00:aa")};
  ASSERT_TRUE(follow_interface(s, links, "b", kT0, followed));
  EXPECT_EQ(followed, 3);
  links = {link(3, "eth0", "02:00:00:00:00:01", "02:00:00:00:00:01"), link(4, "eth1", "02:00:00:00:00:aa")};
  auto got = follow_interface(s, links, "b", kT0, followed);  // the MAC moved: not ifindex 3
  ASSERT_TRUE(got);
  EXPECT_EQ(got->rx.base, "b/4");
}

}  // namespace
}  // namespace reach::tools::usage
