// UDP reader and builder against scapy-built datagrams.
#include <gtest/gtest.h>

#include "hex.hpp"

#include <string_view>

#include "packet/checksum.hpp"
#include "packet/ip.hpp"
#include "packet/udp.hpp"

namespace reach::packet {
namespace {

using reach::test::hex;

IpAddr ip(std::string_view s) { return *IpAddr::parse(s); }
Bytes text(std::string_view s) {
  return Bytes(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

// UDP layer of IP(198.18.1.10 -> 198.19.0.9) / UDP(40000 -> 33434) / "reach-probe"
const Buffer kUdp4 = hex("9c40829a0013d2e872656163682d70726f6265");
// UDP layer of IPv6(2001:db8::10 -> 2001:db8:ffff::1) / UDP(40000 -> 33434) / "reach-probe6"
const Buffer kUdp6 = hex("9c40829a0014046772656163682d70726f626536");
// UDP layer of IP(198.18.2.1 -> 198.18.2.2) / UDP(1000 -> 2000) / "\x63\xfa": checksum computes
// to 0 and goes on the wire as ffff.
const Buffer kUdpZeroSum = hex("03e807d0000affff63fa");

TEST(PacketUdp, Parse) {
  auto u = parse_udp(kUdp4);
  ASSERT_TRUE(u);
  EXPECT_EQ(u->sport, 40000);
  EXPECT_EQ(u->dport, 33434);
  EXPECT_EQ(u->length, 19);
  EXPECT_EQ(u->checksum, 0xd2e8);
  EXPECT_EQ(std::string(u->payload.begin(), u->payload.end()), "reach-probe");
}

TEST(PacketUdp, EveryPrefix) {
  for (std::size_t n = 0; n <= kUdp4.size(); ++n) {
    auto u = parse_udp(Bytes(kUdp4).first(n));
    ASSERT_EQ(u.has_value(), n >= 8) << n;
    if (u) {
      EXPECT_EQ(u->payload.size(), n - 8);  // length claims 19: clipped to what is there
    }
  }
}

TEST(PacketUdp, LengthField) {
  Buffer b = kUdp4;
  b.resize(b.size() + 6, 0);  // trailing padding beyond the length field
  auto u = parse_udp(b);
  ASSERT_TRUE(u);
  EXPECT_EQ(u->payload.size(), 11u);
  for (std::uint8_t len = 0; len < 8; ++len) {
    b[5] = len;
    EXPECT_FALSE(parse_udp(b)) << int(len);
  }
  b[5] = 8;
  u = parse_udp(b);
  ASSERT_TRUE(u);
  EXPECT_TRUE(u->payload.empty());
}

TEST(PacketUdp, BuildMatchesScapy) {
  EXPECT_EQ(build_udp(ip("198.18.1.10"), ip("198.19.0.9"), 40000, 33434, text("reach-probe")),
            kUdp4);
  EXPECT_EQ(build_udp(ip("2001:db8::10"), ip("2001:db8:ffff::1"), 40000, 33434,
                      text("reach-probe6")),
            kUdp6);
}

TEST(PacketUdp, ZeroChecksumIsSentAsAllOnes) {
  const Buffer p = hex("63fa");
  EXPECT_EQ(build_udp(ip("198.18.2.1"), ip("198.18.2.2"), 1000, 2000, p), kUdpZeroSum);
}

TEST(PacketUdp, BuiltDatagramVerifies) {
  for (const auto& [s, d] : {std::pair{ip("198.18.0.1"), ip("198.18.0.2")},
                             std::pair{ip("2001:db8::1"), ip("2001:db8::2")}}) {
    for (std::size_t n : {0u, 1u, 2u, 33u, 1400u}) {
      Buffer payload(n);
      for (std::size_t i = 0; i < n; ++i) payload[i] = static_cast<std::uint8_t>(i * 7);
      const Buffer b = build_udp(s, d, 1, 65535, payload);
      auto u = parse_udp(b);
      ASSERT_TRUE(u);
      EXPECT_EQ(u->length, 8 + n);
      EXPECT_TRUE(std::equal(u->payload.begin(), u->payload.end(), payload.begin(), payload.end()));
      EXPECT_EQ(checksum(b, pseudo_header_sum(s, d, kProtoUdp, static_cast<std::uint32_t>(b.size()))),
                0);
    }
  }
}

}  // namespace
}  // namespace reach::packet
