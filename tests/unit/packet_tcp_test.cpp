// TCP reader, SYN builder and hping flag letters, against scapy-built segments.
#include <gtest/gtest.h>

#include "hex.hpp"

#include <string_view>

#include "packet/checksum.hpp"
#include "packet/ip.hpp"
#include "packet/tcp.hpp"

namespace reach::packet {
namespace {

using reach::test::hex;

IpAddr ip(std::string_view s) { return *IpAddr::parse(s); }
Bytes prefix(Bytes b, std::size_t n) { return b.first(n); }

// IP(198.19.0.9 -> 198.18.1.10) / TCP(443 -> 50000, seq=1000, ack=0xdeadbef0, SA,
//   window=65160, options MSS 1460, SAckOK, Timestamp(1,2), NOP, WScale 7)
const Buffer kSynAck4 = hex(
    "4500003c000100004006ed82c6130009c612010a01bbc350000003e8deadbef0a012fe8855990000020405b4"
    "0402080a000000010000000201030307");
// IP(198.19.0.9 -> 198.18.1.10) / TCP(80 -> 1234, seq=1, ack=2, RA, window=0) / "payload!"
const Buffer kRst4 = hex(
    "45000030000100004006ed8ec6130009c612010a005004d2000000010000000250140000601a00007061796c"
    "6f616421");
// TCP layer of IP(198.18.1.10 -> 198.19.0.9) / TCP(50000 -> 443, seq=0xdeadbeef, S,
//   window=64240, options MSS 1460)
const Buffer kSyn4 = hex("c35001bbdeadbeef000000006002faf0ad530000020405b4");
// TCP layer of IPv6(2001:db8::10 -> 2001:db8:ffff::1) / TCP(1234 -> 22, seq=42, S,
//   window=1024, options MSS 1460) / 10 zero bytes
const Buffer kSyn6 = hex("04d200160000002a000000006002040033880000020405b400000000000000000000");

TEST(PacketTcp, ParseSynAckWithOptions) {
  auto h = parse_ipv4(kSynAck4);
  ASSERT_TRUE(h);
  ASSERT_EQ(h->protocol, kProtoTcp);
  auto t = parse_tcp(h->payload);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->sport, 443);
  EXPECT_EQ(t->dport, 50000);
  EXPECT_EQ(t->seq, 1000u);
  EXPECT_EQ(t->ack, 0xdeadbef0u);
  EXPECT_EQ(t->header_len, 40);
  EXPECT_EQ(t->flags, kTcpSyn | kTcpAck);
  EXPECT_EQ(t->window, 65160);
  EXPECT_EQ(t->checksum, 0x5599);
  EXPECT_TRUE(t->payload.empty());
  EXPECT_EQ(tcp_flags_string(t->flags), "SA");
  EXPECT_TRUE(tcp_checksum_ok(h->src, h->dst, h->payload));
  EXPECT_FALSE(tcp_checksum_ok(h->src, ip("198.18.1.11"), h->payload));
}

TEST(PacketTcp, ParseRstWithPayload) {
  auto h = parse_ipv4(kRst4);
  ASSERT_TRUE(h);
  auto t = parse_tcp(h->payload);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->header_len, 20);
  EXPECT_EQ(t->flags, kTcpRst | kTcpAck);
  EXPECT_EQ(tcp_flags_string(t->flags), "RA");
  EXPECT_EQ(std::string(t->payload.begin(), t->payload.end()), "payload!");
  EXPECT_TRUE(tcp_checksum_ok(h->src, h->dst, h->payload));
}

TEST(PacketTcp, EveryPrefix) {
  const Bytes seg = Bytes(kSynAck4).subspan(20);
  for (std::size_t n = 0; n <= seg.size(); ++n) {
    auto t = parse_tcp(prefix(seg, n));
    EXPECT_EQ(t.has_value(), n >= 40) << n;  // data offset says 40 bytes of header
    auto p = parse_l4_ports(prefix(seg, n));
    ASSERT_EQ(p.has_value(), n >= 8) << n;
    if (p) {
      EXPECT_EQ(p->sport, 443);
      EXPECT_EQ(p->dport, 50000);
      EXPECT_EQ(p->seq, 1000u);
    }
  }
}

TEST(PacketTcp, RejectsBadDataOffset) {
  Buffer seg(kRst4.begin() + 20, kRst4.end());
  for (int off = 0; off < 16; ++off) {
    seg[12] = static_cast<std::uint8_t>(off << 4);
    const bool fits = off >= 5 && static_cast<std::size_t>(off) * 4 <= seg.size();
    auto t = parse_tcp(seg);
    EXPECT_EQ(t.has_value(), fits) << off;
    if (t) {
      EXPECT_EQ(t->payload.size(), seg.size() - static_cast<std::size_t>(off) * 4);
    }
  }
}

TEST(PacketTcp, BuildSynV4MatchesScapy) {
  const Buffer b = build_tcp_syn(ip("198.18.1.10"), ip("198.19.0.9"), 50000, 443, 0xdeadbeef,
                                 64240);
  EXPECT_EQ(b, kSyn4);
}

TEST(PacketTcp, BuildSynV6WithPayloadMatchesScapy) {
  const Buffer b = build_tcp_syn(ip("2001:db8::10"), ip("2001:db8:ffff::1"), 1234, 22, 42, 1024,
                                 10);
  EXPECT_EQ(b, kSyn6);
}

TEST(PacketTcp, BuiltSynParsesBackAndVerifies) {
  const IpAddr s4 = ip("198.18.0.1"), d4 = ip("198.18.9.7");
  const IpAddr s6 = ip("fe80::1"), d6 = ip("2001:db8::dead:beef");
  for (std::size_t payload : {0u, 1u, 7u, 100u}) {
    for (const auto& [s, d] : {std::pair{s4, d4}, std::pair{s6, d6}}) {
      const Buffer b = build_tcp_syn(s, d, 61000, 8080, 0x01020304, 29200, payload);
      ASSERT_EQ(b.size(), 24 + payload);
      auto t = parse_tcp(b);
      ASSERT_TRUE(t);
      EXPECT_EQ(t->sport, 61000);
      EXPECT_EQ(t->dport, 8080);
      EXPECT_EQ(t->seq, 0x01020304u);
      EXPECT_EQ(t->ack, 0u);
      EXPECT_EQ(t->header_len, 24);
      EXPECT_EQ(t->flags, kTcpSyn);
      EXPECT_EQ(t->window, 29200);
      EXPECT_EQ(t->payload.size(), payload);
      EXPECT_EQ(b[20], 2);  // MSS option
      EXPECT_EQ(b[21], 4);
      EXPECT_EQ(be16(b, 22), 1460);
      EXPECT_TRUE(tcp_checksum_ok(s, d, b));
      // Independent: the stored checksum equals that over pseudo header + zeroed field.
      Buffer z = b;
      z[16] = z[17] = 0;
      Buffer pseudo(s.data(), s.data() + s.size());
      pseudo.insert(pseudo.end(), d.data(), d.data() + d.size());
      if (s.is_v4()) {
        pseudo.insert(pseudo.end(), {0, kProtoTcp, 0, static_cast<std::uint8_t>(b.size())});
      } else {
        pseudo.insert(pseudo.end(), {0, 0, 0, static_cast<std::uint8_t>(b.size()), 0, 0, 0, kProtoTcp});
      }
      pseudo.insert(pseudo.end(), z.begin(), z.end());
      EXPECT_EQ(be16(b, 16), checksum(pseudo));
      EXPECT_FALSE(tcp_checksum_ok(s, ip(s.is_v4() ? "198.18.0.2" : "fe80::2"), b));
    }
  }
}

TEST(PacketTcp, FlagsInHpingOrder) {
  struct Case {
    std::uint8_t flags;
    const char* text;
  } cases[] = {
      {kTcpSyn | kTcpAck, "SA"},
      {kTcpRst | kTcpAck, "RA"},
      {kTcpRst, "R"},
      {kTcpSyn, "S"},
      {kTcpFin | kTcpPsh | kTcpAck, "AFP"},
      {kTcpSyn | kTcpAck | kTcpEce, "SAX"},
      {kTcpSyn | kTcpEce | kTcpCwr, "SXY"},
      {kTcpUrg | kTcpFin, "FU"},
      {0xff, "RSAFPUXY"},
      {0, "none"},
  };
  for (const auto& c : cases) EXPECT_EQ(tcp_flags_string(c.flags), c.text) << int(c.flags);
}

TEST(PacketTcp, ChecksumOkRejectsShortSegments) {
  EXPECT_FALSE(tcp_checksum_ok(ip("198.18.0.1"), ip("198.18.0.2"), {}));
  EXPECT_FALSE(tcp_checksum_ok(ip("198.18.0.1"), ip("198.18.0.2"), Bytes(kSyn4).first(19)));
}

}  // namespace
}  // namespace reach::packet
