// IPv4/IPv6 header readers against scapy-built packets, truncated at every length.
#include <gtest/gtest.h>

#include "hex.hpp"

#include <string_view>

#include "packet/ip.hpp"

namespace reach::packet {
namespace {

using reach::test::hex;

IpAddr ip(std::string_view s) { return *IpAddr::parse(s); }
Bytes prefix(const Buffer& b, std::size_t n) { return Bytes(b.data(), n); }
std::string str(Bytes b) { return std::string(b.begin(), b.end()); }

// IP(src="198.18.2.3", dst="198.18.5.6", ttl=33, id=0xabcd, tos=0xb8, options=[NOP]*4)
//   / UDP(sport=4000, dport=53) / "hello"
const Buffer kIp4OptsUdp =
    hex("46b80025abcd000021115713c6120203c6120506010101010fa00035000d18ff68656c6c6f");
// IP(src="198.18.2.3", dst="198.18.5.6", flags="MF", frag=185, proto=17) / "x"*16
const Buffer kIp4Frag =
    hex("45000024000120b94011c6e1c6120203c612050678787878787878787878787878787878");
// IPv6(src="2001:db8::1", dst="2001:db8::2", hlim=61, tc=0x2e) / UDP(33434, 33435) / "abcdef"
const Buffer kIp6Udp = hex(
    "62e00000000e113d20010db800000000000000000000000120010db8000000000000000000000002829a829b000e"
    "74fa616263646566");
// IPv6(hlim=5) / HopByHop / DestOpt(PadN 10) / Routing(1 address) / Fragment(offset 0, M, id 7)
//   / UDP(1, 2) / "ZZZZ"
const Buffer kIp6Ext = hex(
    "600000000044000520010db800000000000000000000000120010db80000000000000000000000023c0001040000"
    "00002b01010a0000000000000000000001002c0200010000000020010db800000000000000000000009911000001"
    "0000000700010002000cef125a5a5a5a");
// IPv6 / Fragment(offset=100, M=0, nh=0) / 16 bytes of data: a later fragment.
const Buffer kIp6FragLater = hex(
    "6000000000182c4020010db800000000000000000000000120010db8000000000000000000000002000003200000"
    "000711007171717171717171717171717171");

TEST(PacketIp, Ipv4WithOptions) {
  auto h = parse_ipv4(kIp4OptsUdp);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->family, Family::v4);
  EXPECT_EQ(h->header_len, 24);
  EXPECT_EQ(h->total_len, 37u);
  EXPECT_EQ(h->id, 0xabcd);
  EXPECT_EQ(h->ttl, 33);
  EXPECT_EQ(h->tos, 0xb8);
  EXPECT_EQ(h->protocol, kProtoUdp);
  EXPECT_FALSE(h->more_fragments);
  EXPECT_EQ(h->frag_offset, 0);
  EXPECT_EQ(h->src, ip("198.18.2.3"));
  EXPECT_EQ(h->dst, ip("198.18.5.6"));
  ASSERT_EQ(h->payload.size(), 13u);
  EXPECT_EQ(h->payload.data(), kIp4OptsUdp.data() + 24);
  EXPECT_EQ(str(h->payload.subspan(8)), "hello");
  // parse_ip dispatches to the same reader.
  auto d = parse_ip(kIp4OptsUdp);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->header_len, 24);
}

TEST(PacketIp, Ipv4Fragment) {
  auto h = parse_ipv4(kIp4Frag);
  ASSERT_TRUE(h);
  EXPECT_TRUE(h->more_fragments);
  EXPECT_EQ(h->frag_offset, 185 * 8);
  EXPECT_EQ(h->id, 1);
  EXPECT_EQ(h->payload.size(), 16u);
}

TEST(PacketIp, Ipv4DontFragmentBit) {
  Buffer df = kIp4Frag;
  df[6] = 0x40;  // DF, offset 0
  df[7] = 0x00;
  auto h = parse_ipv4(df);
  ASSERT_TRUE(h);
  EXPECT_TRUE(h->dont_fragment);
  EXPECT_FALSE(h->more_fragments);
  EXPECT_EQ(h->frag_offset, 0);
  auto f = parse_ipv4(kIp4Frag);
  ASSERT_TRUE(f);
  EXPECT_FALSE(f->dont_fragment);
}

TEST(PacketIp, Ipv4PaddingIsClippedToTotalLength) {
  Buffer padded = kIp4OptsUdp;
  padded.resize(60, 0);  // Ethernet minimum frame padding
  auto h = parse_ipv4(padded);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->payload.size(), 13u);
}

TEST(PacketIp, Ipv4EveryPrefix) {
  for (std::size_t n = 0; n <= kIp4OptsUdp.size(); ++n) {
    auto h = parse_ipv4(prefix(kIp4OptsUdp, n));
    if (n < 24) {
      EXPECT_FALSE(h) << n;
    } else {
      ASSERT_TRUE(h) << n;
      EXPECT_EQ(h->payload.size(), n - 24) << n;  // truncated capture: payload is what is there
      EXPECT_EQ(h->total_len, 37u);
    }
    EXPECT_EQ(parse_ip(prefix(kIp4OptsUdp, n)).has_value(), n >= 24) << n;
  }
}

TEST(PacketIp, Ipv4Rejects) {
  struct Case {
    const char* what;
    std::size_t off;
    std::uint8_t value;
  } cases[] = {
      {"version 5", 0, 0x56},
      {"version 6", 0, 0x66},
      {"ihl 4", 0, 0x44},
      {"ihl 0", 0, 0x40},
      {"ihl 15 past buffer", 0, 0x4f},
      {"total_len 23 < ihl", 3, 23},
  };
  for (const auto& c : cases) {
    Buffer b = kIp4OptsUdp;
    b[c.off] = c.value;
    if (c.off == 3) b[2] = 0;
    EXPECT_FALSE(parse_ipv4(b)) << c.what;
  }
  // total_len == header length: valid, empty payload.
  Buffer b = kIp4OptsUdp;
  b[2] = 0;
  b[3] = 24;
  auto h = parse_ipv4(b);
  ASSERT_TRUE(h);
  EXPECT_TRUE(h->payload.empty());
}

TEST(PacketIp, Ipv6Plain) {
  auto h = parse_ipv6(kIp6Udp);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->family, Family::v6);
  EXPECT_EQ(h->header_len, 40);
  EXPECT_EQ(h->total_len, 54u);
  EXPECT_EQ(h->ttl, 61);
  EXPECT_EQ(h->tos, 0x2e);
  EXPECT_EQ(h->protocol, kProtoUdp);
  EXPECT_EQ(h->src, ip("2001:db8::1"));
  EXPECT_EQ(h->dst, ip("2001:db8::2"));
  ASSERT_EQ(h->payload.size(), 14u);
  EXPECT_EQ(str(h->payload.subspan(8)), "abcdef");
  EXPECT_TRUE(parse_ip(kIp6Udp));
  EXPECT_FALSE(parse_ipv4(kIp6Udp));
  EXPECT_FALSE(parse_ipv6(kIp4OptsUdp));
}

TEST(PacketIp, Ipv6SkipsExtensionHeaders) {
  auto h = parse_ipv6(kIp6Ext);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->header_len, 40 + 8 + 16 + 24 + 8);
  EXPECT_EQ(h->total_len, 40u + 0x44);
  EXPECT_EQ(h->protocol, kProtoUdp);
  EXPECT_EQ(h->ttl, 5);
  EXPECT_TRUE(h->more_fragments);
  EXPECT_EQ(h->frag_offset, 0);
  ASSERT_EQ(h->payload.size(), 12u);
  EXPECT_EQ(h->payload[1], 1);  // UDP source port 1
  EXPECT_EQ(h->payload[3], 2);
  EXPECT_EQ(str(h->payload.subspan(8)), "ZZZZ");
}

TEST(PacketIp, Ipv6LaterFragmentStopsAtFragmentHeader) {
  // Its next header says hop-by-hop (0), but the bytes after a non-first fragment are data.
  auto h = parse_ipv6(kIp6FragLater);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->header_len, 48);
  EXPECT_EQ(h->frag_offset, 800);
  EXPECT_FALSE(h->more_fragments);
  EXPECT_EQ(h->protocol, 0);
  EXPECT_EQ(h->payload.size(), 16u);
}

TEST(PacketIp, Ipv6EveryPrefix) {
  for (const Buffer* pkt : {&kIp6Udp, &kIp6Ext, &kIp6FragLater}) {
    auto full = parse_ipv6(*pkt);
    ASSERT_TRUE(full);
    for (std::size_t n = 0; n <= pkt->size(); ++n) {
      auto h = parse_ipv6(prefix(*pkt, n));
      if (n < full->header_len) {
        EXPECT_FALSE(h) << n;  // extension chain cut short
      } else {
        ASSERT_TRUE(h) << n;
        EXPECT_EQ(h->header_len, full->header_len);
        EXPECT_EQ(h->protocol, full->protocol);
        EXPECT_EQ(h->payload.size(), n - full->header_len) << n;
      }
    }
  }
}

TEST(PacketIp, Ipv6ExtensionHeadersOverrunningPayloadLength) {
  Buffer b = kIp6Ext;
  b[5] = 40;  // payload length 40 < 56 bytes of extension headers
  EXPECT_FALSE(parse_ipv6(b));
  b[5] = 56;  // exactly the headers: empty payload
  auto h = parse_ipv6(b);
  ASSERT_TRUE(h);
  EXPECT_TRUE(h->payload.empty());
}

TEST(PacketIp, Ipv6PayloadLengthClipsPadding) {
  Buffer b = kIp6Udp;
  b.resize(b.size() + 10, 0xee);
  auto h = parse_ipv6(b);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->payload.size(), 14u);
}

TEST(PacketIp, Ipv6LargeTotalLengthDoesNotWrap) {
  Buffer b = kIp6Udp;
  b[4] = 0xff;
  b[5] = 0xff;
  auto h = parse_ipv6(b);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->total_len, 40u + 0xffff);
  EXPECT_EQ(h->payload.size(), 14u);  // what is present
}

TEST(PacketIp, ParseIpRejectsOtherVersions) {
  EXPECT_FALSE(parse_ip({}));
  for (int v = 0; v < 16; ++v) {
    if (v == 4 || v == 6) continue;
    Buffer b = kIp6Udp;
    b[0] = static_cast<std::uint8_t>((v << 4) | 5);
    EXPECT_FALSE(parse_ip(b)) << v;
  }
}

}  // namespace
}  // namespace reach::packet
