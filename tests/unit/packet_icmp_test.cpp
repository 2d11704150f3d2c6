// ICMP echo builder/reader, ICMP error names and flags, and the datagram an error quotes.
#include <gtest/gtest.h>

#include "hex.hpp"

#include <string_view>

#include "packet/checksum.hpp"
#include "packet/icmp.hpp"
#include "packet/ip.hpp"
#include "packet/tcp.hpp"

namespace reach::packet {
namespace {

using reach::test::hex;

IpAddr ip(std::string_view s) { return *IpAddr::parse(s); }
Bytes prefix(const Buffer& b, std::size_t n) { return Bytes(b.data(), n); }

constexpr std::uint64_t kCookie = 0x0123456789abcdefULL;

// ICMP(type=8, id=0x1234, seq=7) / (cookie + bytes(i & 0xff for i in 8..55))
const Buffer kEcho4 = hex(
    "08005c9c123400070123456789abcdef08090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223"
    "2425262728292a2b2c2d2e2f3031323334353637");
// ICMPv6EchoRequest(id=0x1234, seq=7, data=same, cksum=0)
const Buffer kEcho6 = hex(
    "80000000123400070123456789abcdef08090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223"
    "2425262728292a2b2c2d2e2f3031323334353637");
// ICMP(type=8, id=0xbeef, seq=65535) / bytes(range(5))
const Buffer kEcho4Small = hex("0800330cbeefffff0001020304");
// IP(src=198.18.2.1, dst=198.19.100.7, ttl=57, id=0x4242) / ICMP echo reply of kEcho4's payload
const Buffer kEchoReply4 = hex(
    "450000544242000039014d39c6120201c61364070000649c123400070123456789abcdef08090a0b0c0d0e0f"
    "101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637");
// IP(198.18.0.254 -> 198.18.1.10) / ICMP(type=11) / first 28 bytes of
//   IP(198.18.1.10 -> 198.19.0.9, ttl=1, id=0x1111) / UDP(40000, 33434) / 32 zero bytes
const Buffer kTimeExceeded4 = hex(
    "4500003800010000fe012e97c61200fec612010a0b008272000000004500003c1111000001111b68c612010a"
    "c61300099c40829a0028538a");
// IP(198.19.0.9 -> 198.18.1.10) / ICMP(type=3, code=13) / full
//   IP(198.18.1.10 -> 198.19.0.9) / TCP(50000, 443, seq=0xdeadbeef, S)
const Buffer kFiltered4 = hex(
    "45000044000100004001ed7fc6130009c612010a030d8a460000000045000028000100004006ed96c612010a"
    "c6130009c35001bbdeadbeef0000000050022000a0000000");
// IPv6(2001:db8::fe -> 2001:db8::10) / ICMPv6TimeExceeded / full
//   IPv6(2001:db8::10 -> 2001:db8:ffff::1, hlim=1) / ICMPv6EchoRequest(id=0x77, seq=3, kEcho6 data)
const Buffer kTimeExceeded6 = hex(
    "6000000000703a4020010db80000000000000000000000fe20010db80000000000000000000000100300060e"
    "000000006000000000403a0120010db800000000000000000000001020010db8ffff00000000000000000001"
    "80009a5f007700030123456789abcdef08090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223"
    "2425262728292a2b2c2d2e2f3031323334353637");
// IPv6 / ICMPv6DestUnreach(code=4) / first 64 bytes of
//   IPv6(2001:db8::10 -> 2001:db8:ffff::1, hlim=1) / Fragment(M, id 9) / UDP(5555, 33434) / 100 zeros
const Buffer kPortUnreach6Frag = hex(
    "6000000000483a4020010db80000000000000000000000fe20010db800000000000000000000001001040"
    "4f7000000006000000000742c0120010db800000000000000000000001020010db8ffff0000000000000000"
    "0001110000010000000915b3829a006c0b460000000000000000");

TEST(PacketIcmp, BuildEchoRequestV4MatchesScapy) {
  EXPECT_EQ(build_echo_request(Family::v4, 0x1234, 7, 56, kCookie), kEcho4);
  EXPECT_EQ(build_echo_request(Family::v4, 0xbeef, 0xffff, 5, kCookie), kEcho4Small);
}

TEST(PacketIcmp, BuildEchoRequestV6MatchesScapyWithZeroChecksum) {
  EXPECT_EQ(build_echo_request(Family::v6, 0x1234, 7, 56, kCookie), kEcho6);
}

TEST(PacketIcmp, BuildEchoRequestChecksumVerifiesForAllSizes) {
  for (std::size_t size = 0; size <= 80; ++size) {
    Buffer b = build_echo_request(Family::v4, 0xa5a5, static_cast<std::uint16_t>(size), size,
                                  0xfedcba9876543210ULL);
    ASSERT_EQ(b.size(), 8 + size);
    EXPECT_TRUE(icmp4_checksum_ok(b)) << size;
    // Independent check: stored checksum equals that of the message with the field zeroed.
    const std::uint16_t stored = be16(b, 2);
    b[2] = b[3] = 0;
    EXPECT_EQ(stored, checksum(b));
    // Pattern after the cookie (or from 0 when there is no room for it).
    for (std::size_t i = size >= 8 ? 8 : 0; i < size; ++i) ASSERT_EQ(b[8 + i], i & 0xff) << size;
  }
}

TEST(PacketIcmp, EchoCookieRoundTrip) {
  auto m = parse_icmp(kEcho4);
  ASSERT_TRUE(m);
  EXPECT_EQ(echo_cookie(m->body), kCookie);
  const Buffer b = build_echo_request(Family::v6, 1, 2, 8, 42);
  EXPECT_EQ(echo_cookie(Bytes(b).subspan(8)), 42u);
  for (std::size_t n = 0; n < 8; ++n) EXPECT_FALSE(echo_cookie(prefix(kEcho4, n))) << n;
  const Buffer small = build_echo_request(Family::v4, 1, 2, 7, 42);
  EXPECT_FALSE(echo_cookie(Bytes(small).subspan(8)));
}

TEST(PacketIcmp, ParseEchoReplyInsideIp) {
  auto h = parse_ipv4(kEchoReply4);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->protocol, kProtoIcmp);
  EXPECT_TRUE(icmp4_checksum_ok(h->payload));
  auto m = parse_icmp(h->payload);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->type, kIcmp4EchoReply);
  EXPECT_EQ(m->code, 0);
  EXPECT_EQ(m->checksum, 0x649c);
  EXPECT_EQ(m->ident, 0x1234);
  EXPECT_EQ(m->seq, 7);
  EXPECT_EQ(m->body.size(), 56u);
  EXPECT_EQ(echo_cookie(m->body), kCookie);
  EXPECT_EQ(classify_icmp(Family::v4, m->type, m->code), IcmpErrorKind::not_error);
}

TEST(PacketIcmp, ChecksumDetectsCorruption) {
  Buffer b = kEcho4;
  EXPECT_TRUE(icmp4_checksum_ok(b));
  for (std::size_t i = 0; i < b.size(); ++i) {
    Buffer c = b;
    c[i] ^= 0x10;
    EXPECT_FALSE(icmp4_checksum_ok(c)) << i;
  }
  EXPECT_FALSE(icmp4_checksum_ok({}));
}

TEST(PacketIcmp, ParseIcmpEveryPrefix) {
  for (std::size_t n = 0; n <= kEcho4.size(); ++n) {
    auto m = parse_icmp(prefix(kEcho4, n));
    EXPECT_EQ(m.has_value(), n >= 8) << n;
    if (m) {
      EXPECT_EQ(m->body.size(), n - 8);
    }
  }
}

TEST(PacketIcmp, QuotedUdpInV4TimeExceeded) {
  auto outer = parse_ipv4(kTimeExceeded4);
  ASSERT_TRUE(outer);
  EXPECT_EQ(outer->src, ip("198.18.0.254"));
  EXPECT_TRUE(icmp4_checksum_ok(outer->payload));
  auto m = parse_icmp(outer->payload);
  ASSERT_TRUE(m);
  EXPECT_EQ(classify_icmp(Family::v4, m->type, m->code), IcmpErrorKind::time_exceeded);
  auto q = parse_quoted(Family::v4, m->body);
  ASSERT_TRUE(q);
  EXPECT_EQ(q->ip.src, ip("198.18.1.10"));
  EXPECT_EQ(q->ip.dst, ip("198.19.0.9"));
  EXPECT_EQ(q->ip.ttl, 1);
  EXPECT_EQ(q->ip.id, 0x1111);
  EXPECT_EQ(q->ip.protocol, kProtoUdp);
  EXPECT_EQ(q->ip.total_len, 60u);   // claims more than was quoted: normal
  EXPECT_EQ(q->ip.payload.size(), 8u);
  auto p = parse_l4_ports(q->ip.payload);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->sport, 40000);
  EXPECT_EQ(p->dport, 33434);
}

TEST(PacketIcmp, QuotedTcpInV4Filtered) {
  auto outer = parse_ipv4(kFiltered4);
  ASSERT_TRUE(outer);
  auto m = parse_icmp(outer->payload);
  ASSERT_TRUE(m);
  EXPECT_EQ(classify_icmp(Family::v4, m->type, m->code), IcmpErrorKind::admin_prohibited);
  EXPECT_EQ(icmp_error_flag(Family::v4, m->type, m->code), "!X");
  auto q = parse_quoted(Family::v4, m->body);
  ASSERT_TRUE(q);
  EXPECT_EQ(q->ip.protocol, kProtoTcp);
  ASSERT_EQ(q->ip.payload.size(), 20u);
  auto p = parse_l4_ports(q->ip.payload);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->sport, 50000);
  EXPECT_EQ(p->dport, 443);
  EXPECT_EQ(p->seq, 0xdeadbeefu);
}

TEST(PacketIcmp, QuotedV4WithRfc4884Extension) {
  // A 28-byte probe padded to 128 bytes, then an extension structure (version 2, one object).
  Buffer orig = hex("4500001c0001000001110000c6120001c6120002" "9c40829a00080000");
  Buffer body = orig;
  body.resize(128, 0);
  const Buffer ext = hex("20000000" "000801010a000063");
  body.insert(body.end(), ext.begin(), ext.end());
  auto q = parse_quoted(Family::v4, body);
  ASSERT_TRUE(q);
  EXPECT_EQ(q->ip.payload.size(), 8u);  // clipped to the quoted total length, not the padding
  EXPECT_EQ(q->ip.dst, ip("198.18.0.2"));
}

TEST(PacketIcmp, QuotedV4ToleratesBogusTotalLength) {
  Buffer body = hex("4500001c0001000001110000c6120001c6120002" "9c40829a00080000");
  body[2] = 0;
  body[3] = 8;  // below the header length: some stacks rewrite the quoted length
  EXPECT_FALSE(parse_ipv4(body));
  auto q = parse_quoted(Family::v4, body);
  ASSERT_TRUE(q);
  EXPECT_EQ(q->ip.payload.size(), 8u);
}

TEST(PacketIcmp, QuotedEchoInV6TimeExceeded) {
  auto outer = parse_ipv6(kTimeExceeded6);
  ASSERT_TRUE(outer);
  EXPECT_EQ(outer->protocol, kProtoIcmpV6);
  auto m = parse_icmp(outer->payload);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->type, kIcmp6TimeExceeded);
  EXPECT_EQ(classify_icmp(Family::v6, m->type, m->code), IcmpErrorKind::time_exceeded);
  EXPECT_EQ(icmp_error_flag(Family::v6, m->type, m->code), "");
  auto q = parse_quoted(Family::v6, m->body);
  ASSERT_TRUE(q);
  EXPECT_EQ(q->ip.src, ip("2001:db8::10"));
  EXPECT_EQ(q->ip.dst, ip("2001:db8:ffff::1"));
  EXPECT_EQ(q->ip.ttl, 1);
  EXPECT_EQ(q->ip.protocol, kProtoIcmpV6);
  auto inner = parse_icmp(q->ip.payload);
  ASSERT_TRUE(inner);
  EXPECT_EQ(inner->type, kIcmp6EchoRequest);
  EXPECT_EQ(inner->ident, 0x77);
  EXPECT_EQ(inner->seq, 3);
  EXPECT_EQ(echo_cookie(inner->body), kCookie);
  EXPECT_FALSE(parse_quoted(Family::v4, m->body));  // family must match
}

TEST(PacketIcmp, QuotedV6WithFragmentHeader) {
  auto outer = parse_ipv6(kPortUnreach6Frag);
  ASSERT_TRUE(outer);
  auto m = parse_icmp(outer->payload);
  ASSERT_TRUE(m);
  EXPECT_EQ(classify_icmp(Family::v6, m->type, m->code), IcmpErrorKind::port_unreachable);
  auto q = parse_quoted(Family::v6, m->body);
  ASSERT_TRUE(q);
  EXPECT_EQ(q->ip.header_len, 48);
  EXPECT_EQ(q->ip.protocol, kProtoUdp);
  EXPECT_TRUE(q->ip.more_fragments);
  EXPECT_EQ(q->ip.payload.size(), 16u);
  auto p = parse_l4_ports(q->ip.payload);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->sport, 5555);
  EXPECT_EQ(p->dport, 33434);
}

TEST(PacketIcmp, QuotedEveryPrefix) {
  struct Case {
    Family f;
    const Buffer* pkt;
    std::size_t outer_hdr;
    std::size_t quoted_hdr;
  } cases[] = {{Family::v4, &kTimeExceeded4, 20, 20},
               {Family::v4, &kFiltered4, 20, 20},
               {Family::v6, &kTimeExceeded6, 40, 40},
               {Family::v6, &kPortUnreach6Frag, 40, 48}};
  for (const auto& c : cases) {
    const Bytes body = Bytes(*c.pkt).subspan(c.outer_hdr + 8);
    for (std::size_t n = 0; n <= body.size(); ++n) {
      auto q = parse_quoted(c.f, body.first(n));
      if (n < c.quoted_hdr) {
        EXPECT_FALSE(q) << n;
      } else {
        ASSERT_TRUE(q) << n;
        EXPECT_EQ(q->ip.payload.size(), n - c.quoted_hdr);
        EXPECT_EQ(parse_l4_ports(q->ip.payload).has_value(), n - c.quoted_hdr >= 8);
      }
    }
  }
}

struct Expect {
  Family f;
  std::uint8_t type, code;
  IcmpErrorKind kind;
  const char* name;
  const char* flag;
};

TEST(PacketIcmp, ClassifyNameFlagTable) {
  using K = IcmpErrorKind;
  const Family v4 = Family::v4, v6 = Family::v6;
  const Expect table[] = {
      {v4, 0, 0, K::not_error, "Echo Reply", ""},
      {v4, 8, 0, K::not_error, "Echo Request", ""},
      {v4, 3, 0, K::net_unreachable, "Destination Net Unreachable", "!N"},
      {v4, 3, 1, K::host_unreachable, "Destination Host Unreachable", "!H"},
      {v4, 3, 2, K::protocol_unreachable, "Destination Protocol Unreachable", "!P"},
      {v4, 3, 3, K::port_unreachable, "Destination Port Unreachable", ""},
      {v4, 3, 4, K::frag_needed, "Frag needed and DF set", "!F"},
      {v4, 3, 5, K::other_unreachable, "Source Route Failed", "!S"},
      {v4, 3, 6, K::net_unreachable, "Destination Net Unknown", "!N"},
      {v4, 3, 7, K::host_unreachable, "Destination Host Unknown", "!H"},
      {v4, 3, 8, K::other_unreachable, "Source Host Isolated", "!N"},
      {v4, 3, 9, K::admin_prohibited, "Destination Net Administratively Prohibited", "!X"},
      {v4, 3, 10, K::admin_prohibited, "Destination Host Administratively Prohibited", "!X"},
      {v4, 3, 11, K::net_unreachable, "Destination Net Unreachable for Type of Service", "!N"},
      {v4, 3, 12, K::host_unreachable, "Destination Host Unreachable for Type of Service", "!H"},
      {v4, 3, 13, K::admin_prohibited, "Communication Administratively Prohibited", "!X"},
      {v4, 3, 14, K::other_unreachable, "Host Precedence Violation", "!V"},
      {v4, 3, 15, K::other_unreachable, "Precedence Cutoff", "!C"},
      {v4, 3, 16, K::other_unreachable, "Dest Unreachable, Bad Code: 16", "!<16>"},
      {v4, 11, 0, K::time_exceeded, "Time to live exceeded", ""},
      {v4, 11, 1, K::reassembly_time_exceeded, "Frag reassembly time exceeded", ""},
      {v4, 12, 0, K::param_problem, "Parameter problem", "!<12-0>"},
      {v4, 42, 0, K::not_error, "Bad ICMP type: 42", ""},
      {v6, 129, 0, K::not_error, "Echo reply", ""},
      {v6, 128, 0, K::not_error, "Echo request", ""},
      {v6, 1, 0, K::net_unreachable, "Destination unreachable: No route", "!N"},
      {v6, 1, 1, K::admin_prohibited, "Destination unreachable: Administratively Prohibited",
       "!X"},
      {v6, 1, 2, K::host_unreachable, "Destination unreachable: Beyond scope of source address",
       "!H"},
      {v6, 1, 3, K::host_unreachable, "Destination unreachable: Address unreachable", "!H"},
      {v6, 1, 4, K::port_unreachable, "Destination unreachable: Port unreachable", ""},
      {v6, 1, 5, K::admin_prohibited,
       "Destination unreachable: Administratively Prohibited (source address failed "
       "ingress/egress policy)",
       "!<5>"},
      {v6, 1, 6, K::admin_prohibited,
       "Destination unreachable: Administratively Prohibited (reject route to destination)",
       "!<6>"},
      {v6, 1, 7, K::other_unreachable, "Destination unreachable: Unknown code 7", "!<7>"},
      {v6, 2, 0, K::frag_needed, "Packet too big", "!F"},
      {v6, 3, 0, K::time_exceeded, "Time exceeded: Hop limit", ""},
      {v6, 3, 1, K::reassembly_time_exceeded, "Time exceeded: Defragmentation failure", ""},
      {v6, 4, 1, K::param_problem, "Parameter problem: Unknown header", "!<4-1>"},
      {v6, 135, 0, K::not_error, "Unknown ICMP type: 135", ""},
  };
  for (const auto& e : table) {
    SCOPED_TRACE(testing::Message() << (e.f == v4 ? "v4" : "v6") << " type " << int(e.type)
                                    << " code " << int(e.code));
    EXPECT_EQ(classify_icmp(e.f, e.type, e.code), e.kind);
    EXPECT_EQ(icmp_error_name(e.f, e.type, e.code), e.name);
    EXPECT_EQ(icmp_error_flag(e.f, e.type, e.code), e.flag);
  }
}

TEST(PacketIcmp, EveryAdminProhibitedNameSaysSo) {
  for (Family f : {Family::v4, Family::v6}) {
    for (int type = 0; type < 256; ++type) {
      for (int code = 0; code < 256; ++code) {
        const auto t = static_cast<std::uint8_t>(type), c = static_cast<std::uint8_t>(code);
        const bool admin = classify_icmp(f, t, c) == IcmpErrorKind::admin_prohibited;
        const bool says = icmp_error_name(f, t, c).find("Administratively Prohibited") !=
                          std::string::npos;
        EXPECT_EQ(admin, says) << type << "/" << code;
      }
    }
  }
}

}  // namespace
}  // namespace reach::packet
