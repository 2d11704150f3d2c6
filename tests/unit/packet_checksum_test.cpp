// Internet checksum and pseudo-header sums against RFC 1071 and scapy-built packets.
#include <gtest/gtest.h>

#include "hex.hpp"

#include <string_view>

#include "packet/checksum.hpp"

namespace reach::packet {
namespace {

using reach::test::hex;

IpAddr ip(std::string_view s) { return *IpAddr::parse(s); }

// Independent reference: RFC 1071 as written, byte pairs summed into a wide accumulator.
std::uint16_t reference_checksum(const Buffer& b) {
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < b.size(); i += 2) {
    std::uint32_t hi = b[i];
    std::uint32_t lo = i + 1 < b.size() ? b[i + 1] : 0;
    sum += (hi << 8) | lo;
  }
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

TEST(PacketChecksum, Rfc1071Example) {
  // RFC 1071 section 3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2.
  const Buffer b = hex("0001f203f4f5f6f7");
  EXPECT_EQ(sum16(b), 0xddf2u);
  EXPECT_EQ(checksum(b), 0x220d);
}

TEST(PacketChecksum, OddLengthPadsLastByteHigh) {
  EXPECT_EQ(sum16(hex("01")), 0x0100u);
  EXPECT_EQ(sum16(hex("0001f2")), 0xf201u);
  EXPECT_EQ(checksum(hex("0001f2")), static_cast<std::uint16_t>(~0xf201));
}

TEST(PacketChecksum, EmptyAndInitial) {
  EXPECT_EQ(sum16({}), 0u);
  EXPECT_EQ(checksum({}), 0xffff);
  // An unfolded initial sum is folded with the data.
  // 0x1fffe + 1 = 0x1ffff -> 0xffff + 1 = 0x10000 -> 1.
  EXPECT_EQ(sum16(hex("0001"), 0x1fffe), 1u);
}

TEST(PacketChecksum, CarriesFoldRepeatedly) {
  Buffer b(2000, 0xff);
  EXPECT_EQ(sum16(b), 0xffffu);
  EXPECT_EQ(checksum(b), 0);
  for (std::size_t n : {1u, 2u, 3u, 17u, 1001u, 1999u}) {
    Buffer p(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(n));
    for (std::size_t i = 0; i < p.size(); ++i) p[i] = static_cast<std::uint8_t>(i * 37 + 11);
    EXPECT_EQ(checksum(p), reference_checksum(p)) << n;
  }
}

TEST(PacketChecksum, Ipv4HeaderVerifiesToZero) {
  // Classic example header with checksum b861.
  const Buffer h = hex("450000730000400040110000c0a80001c0a800c7");
  EXPECT_EQ(checksum(h), 0xb861);
  Buffer with = h;
  with[10] = 0xb8;
  with[11] = 0x61;
  EXPECT_EQ(checksum(with), 0);
}

TEST(PacketChecksum, PseudoHeaderV4MatchesHandSum) {
  // 198.18.1.10 -> 198.19.0.9, UDP, 19 bytes.
  const std::uint32_t expect = 0xc612 + 0x010a + 0xc613 + 0x0009 + 17 + 19;
  EXPECT_EQ(pseudo_header_sum(ip("198.18.1.10"), ip("198.19.0.9"), 17, 19), expect);
  // scapy: UDP(sport=40000,dport=33434)/"reach-probe" between those addresses.
  const Buffer udp = hex("9c40829a0013d2e872656163682d70726f6265");
  EXPECT_EQ(checksum(udp, pseudo_header_sum(ip("198.18.1.10"), ip("198.19.0.9"), 17,
                                            static_cast<std::uint32_t>(udp.size()))),
            0);
}

TEST(PacketChecksum, PseudoHeaderV6MatchesHandSum) {
  const IpAddr s = ip("2001:db8::10"), d = ip("2001:db8:ffff::1");
  const std::uint32_t expect = 0x2001 + 0x0db8 + 0x10 + 0x2001 + 0x0db8 + 0xffff + 0x1 +
                               0x0001 + 0x0002 + 58;  // length 0x10002 as two words
  EXPECT_EQ(pseudo_header_sum(s, d, 58, 0x10002), expect);
  // scapy: IPv6 UDP(sport=40000,dport=33434)/"reach-probe6".
  const Buffer udp = hex("9c40829a0014046772656163682d70726f626536");
  EXPECT_EQ(checksum(udp, pseudo_header_sum(s, d, 17, static_cast<std::uint32_t>(udp.size()))), 0);
  // A wrong address must break it.
  EXPECT_NE(checksum(udp, pseudo_header_sum(s, ip("2001:db8:ffff::2"), 17,
                                            static_cast<std::uint32_t>(udp.size()))),
            0);
}

}  // namespace
}  // namespace reach::packet
