// The usage sources' readings and bases, and what the counter engine makes of them in the
// events the issue names: a re-created interface, a reboot, snmpd restarted, a router rebooted.
#include <gtest/gtest.h>

#include "tools/usage/sources.hpp"

namespace reach::tools::usage {
namespace {

constexpr TimeNs kT0 = 1'700'000'000 * kNsPerSec;

sys::LinkStats link(int index, std::string name, std::string mac, std::string perm, std::uint64_t rx, std::uint64_t tx) {
  sys::LinkStats l;
  l.ifindex = index;
  l.name = std::move(name);
  l.mac = std::move(mac);
  l.perm_mac = std::move(perm);
  l.rx_bytes = rx;
  l.tx_bytes = tx;
  return l;
}

config::UsageSource iface(std::string name, std::string mac = "") {
  config::UsageSource s;
  s.kind = config::UsageSource::Kind::interface;
  s.interface = std::move(name);
  s.mac = std::move(mac);
  s.id = "if:test";
  return s;
}

const std::vector<sys::LinkStats> kLinks = {
    link(1, "lo", "", "", 5, 5),
    link(2, "eth0", "52:54:00:00:00:01", "52:54:00:00:00:01", 100, 200),
    link(3, "eth0.10", "52:54:00:00:00:01", "", 10, 20),       // a VLAN wears its parent's MAC
    link(4, "bond0", "52:54:00:00:00:09", "", 1000, 2000),
    link(5, "eth1", "52:54:00:00:00:09", "52:54:00:00:00:05", 300, 400),  // enslaved: MAC of the bond
    link(7, "wwan0", "02:00:00:00:00:07", "", 7000, 8000),
};

TEST(UsageSources, InterfaceByNameAndBase) {
  auto s = interface_sample(iface("wwan0"), kLinks, "BOOT", kT0);
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(s->rx.value, 7000u);
  EXPECT_EQ(s->tx.value, 8000u);
  EXPECT_EQ(s->rx.base, "BOOT/7");
  EXPECT_EQ(s->rx.bits, 64);
  EXPECT_EQ(s->rx.wall, kT0);
  EXPECT_EQ(s->display, "wwan0");
}

TEST(UsageSources, InterfaceByMac) {
  // The permanent MAC wins: eth1 is found although bond0 wears the same current MAC.
  auto s = interface_sample(iface("", "52:54:00:00:00:05"), kLinks, "B", kT0);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->display, "eth1");
  // Upper case in the file is fine.
  s = interface_sample(iface("", "02:00:00:00:00:07"), kLinks, "B", kT0);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->display, "wwan0");
  // The current MAC when no permanent one matches; the name tells a VLAN from its parent.
  s = interface_sample(iface("eth0.10", "52:54:00:00:00:01"), kLinks, "B", kT0);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->display, "eth0");  // eth0's permanent MAC matches: it is the one
  s = interface_sample(iface("bond0", "52:54:00:00:00:09"), kLinks, "B", kT0);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->display, "bond0");
  // A renamed interface is still found by its MAC.
  auto renamed = kLinks;
  renamed[5].name = "wwan9";
  s = interface_sample(iface("wwan0", "02:00:00:00:00:07"), renamed, "B", kT0);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->display, "wwan9");
  EXPECT_EQ(s->rx.base, "B/7");
}

TEST(UsageSources, InterfaceErrors) {
  auto s = interface_sample(iface("ppp0"), kLinks, "B", kT0);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message(), "usage source if:test: no interface named ppp0");
  s = interface_sample(iface("", "52:54:00:00:00:09"), kLinks, "B", kT0);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().detail.find("2 interfaces have MAC 52:54:00:00:00:09"), std::string::npos);
  s = interface_sample(iface("eth7", "52:54:00:00:00:09"), kLinks, "B", kT0);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().detail.find("2 interfaces have MAC 52:54:00:00:00:09 and none is named eth7"), std::string::npos);
  s = interface_sample(iface("", "02:00:00:00:00:99"), kLinks, "B", kT0);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().detail.find("no interface with MAC"), std::string::npos);
}

// A deleted and re-created interface between two polls: a new ifindex, the counter near 0.
TEST(UsageSources, RecreatedInterfaceCountsOnlyItsNewBytes) {
  engine::CounterState rx;
  auto a = interface_sample(iface("wwan0"), kLinks, "B", kT0);
  engine::advance(rx, a->rx, a->max_rate);
  auto again = kLinks;
  again[5] = link(12, "wwan0", "02:00:00:00:00:0c", "", 1500, 1600);
  auto b = interface_sample(iface("wwan0"), again, "B", kT0 + kNsPerSec);
  auto step = engine::advance(rx, b->rx, b->max_rate);
  EXPECT_EQ(step.kind, engine::StepKind::new_base);
  EXPECT_EQ(step.bytes, 1500u);
}

io::SnmpIfCounters snmp(std::uint32_t uptime, std::optional<std::uint64_t> hc_in, std::uint32_t in32) {
  io::SnmpIfCounters c;
  c.if_index = 2;
  c.sys_uptime = uptime;
  c.hc_in = hc_in;
  c.hc_out = hc_in ? std::optional<std::uint64_t>(*hc_in * 2) : std::nullopt;
  c.has32 = true;
  c.in32 = in32;
  c.out32 = in32 * 2;
  return c;
}

TEST(UsageSources, SnmpReadings) {
  auto c = snmp(6000, 5'000'000'000ULL, 705'032'704);  // agent up 60 s
  c.speed = 1'000'000'000;
  auto s = snmp_readings("198.18.0.1", c, kT0);
  EXPECT_EQ(s.rx.base, "snmp:198.18.0.1/2");
  EXPECT_EQ(s.rx.bits, 64);
  EXPECT_EQ(s.rx.value, 5'000'000'000ULL);
  EXPECT_EQ(s.tx.value, 10'000'000'000ULL);
  EXPECT_EQ(s.rx.restarted, kT0 - 60 * kNsPerSec);
  EXPECT_DOUBLE_EQ(s.max_rate, 125e6);
  // Without the HC pair: the 32-bit counters.
  c.hc_in.reset();
  s = snmp_readings("198.18.0.1", c, kT0);
  EXPECT_EQ(s.rx.bits, 32);
  EXPECT_EQ(s.rx.value, 705'032'704u);
  // A discontinuity 50 s into the agent's life is the later restart.
  c.discontinuity = 5000;
  s = snmp_readings("198.18.0.1", c, kT0);
  EXPECT_EQ(s.rx.restarted, kT0 - 10 * kNsPerSec);
  // One claimed after "now" is ignored.
  c.discontinuity = 7000;
  EXPECT_EQ(snmp_readings("h", c, kT0).rx.restarted, kT0 - 60 * kNsPerSec);
}

// snmpd restarted while the kernel's counters went on: sysUpTime back to ~0, counters higher.
TEST(UsageSources, AgentRestartWithCountersGoingOnIsNotTraffic) {
  engine::CounterState rx;
  auto a = snmp_readings("h", snmp(360000, std::nullopt, 1'000'000), kT0);
  engine::advance(rx, a.rx, a.max_rate);
  auto b = snmp_readings("h", snmp(100, std::nullopt, 1'000'300), kT0 + 5 * kNsPerSec);
  auto step = engine::advance(rx, b.rx, b.max_rate);
  EXPECT_EQ(step.kind, engine::StepKind::normal);
  EXPECT_EQ(step.bytes, 300u);
}

// A router rebooted: its 32-bit counters dropped. Over a minute a wrap would fit the rate,
// but the agent's restart says reset: count the bytes since, never ~4 GiB.
TEST(UsageSources, RouterRebootIsAResetNotAWrap) {
  engine::CounterState rx;
  auto a = snmp_readings("h", snmp(360000, std::nullopt, 3'000'000'000U), kT0);
  engine::advance(rx, a.rx, a.max_rate);
  auto b = snmp_readings("h", snmp(2000, std::nullopt, 50'000), kT0 + 60 * kNsPerSec);
  auto step = engine::advance(rx, b.rx, b.max_rate);
  EXPECT_EQ(step.kind, engine::StepKind::reset);
  EXPECT_EQ(step.bytes, 50'000u);
  // While the same agent stays up, a real 32-bit wrap is still a wrap.
  auto c = snmp_readings("h", snmp(8000, std::nullopt, 4'294'967'000U), kT0 + 120 * kNsPerSec);
  engine::advance(rx, c.rx, c.max_rate);
  auto d = snmp_readings("h", snmp(8100, std::nullopt, 704), kT0 + 121 * kNsPerSec);
  step = engine::advance(rx, d.rx, d.max_rate);
  EXPECT_EQ(step.kind, engine::StepKind::wrap);
  EXPECT_EQ(step.bytes, 1000u);
}

TEST(UsageSources, MrtgReadings) {
  auto s = mrtg_readings("1000\n2000\n5 days\ncloudwatch-eni\n", kT0);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->rx.value, 1000u);
  EXPECT_EQ(s->tx.value, 2000u);
  EXPECT_EQ(s->rx.base, "");
  EXPECT_EQ(s->rx.bits, 64);
  EXPECT_EQ(s->display, "cloudwatch-eni");
  EXPECT_FALSE(mrtg_readings("UNKNOWN\n1\n", kT0));
}

}  // namespace
}  // namespace reach::tools::usage
