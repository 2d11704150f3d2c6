// ICMP extension structures: RFC 4884 quote length (v4 words, v6 double words, old-style 128),
// RFC 4950 MPLS label stacks, RFC 5837 interface information, and what is refused.
#include <gtest/gtest.h>

#include "hex.hpp"

#include <string_view>

#include "packet/icmp.hpp"
#include "packet/icmp_ext.hpp"

namespace reach::packet {
namespace {

using reach::test::hex;

IpAddr ip(std::string_view s) { return *IpAddr::parse(s); }

// Vectors computed by a short independent Python script (struct + ipaddress, own checksum): the
// quote is IP(198.18.0.2 -> 198.18.9.2, ttl=1)/UDP(40000 -> 33434) (v6: 2001:db8::2 ->
// 2001:db8:9::2) zero-padded to 128 bytes, then the extension structure.
// kMpls4: time exceeded, length=32 words, MPLS {16000 tc0 s0 ttl1, 24001 tc5 s1 ttl1}.
// kMpls4OldStyle: the same without the length field (pre-RFC 4884 router).
// kMpls6: ICMPv6 time exceeded, length=16 double words, MPLS {299792 tc7 s1 ttl254}.
// kIface4: port unreachable, RFC 5837 object (incoming, ifindex 7, 198.18.3.1, "ge-0/0/1",
//   MTU 1500) then MPLS {17 s1 ttl64}.
// kBadSum4: kMpls4 with the extension checksum broken.
// kPlain4: a 28-byte quote and no extension.  kOldNoExt4: 128 bytes then 12 bytes of junk.
// kLenPastEnd4: length=40 words, longer than the body.  kTruncObj4: valid structure whose
//   single object claims 40 bytes.
const Buffer kMpls4 = hex(
    "0b00c3c8002000004500001c1111000001111398c6120002c61209029c40829a00081234000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000000000000000002000ba2c000c0101"
    "03e8000105dc1b01"
);
const Buffer kMpls4OldStyle = hex(
    "0b00c3e8000000004500001c1111000001111398c6120002c61209029c40829a00081234000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000000000000000002000ba2c000c0101"
    "03e8000105dc1b01"
);
const Buffer kMpls6 = hex(
    "0300000010000000600000000008110120010db800000000000000000000000220010db8000900000000000000000002"
    "9c40829a0008123400000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "00000000000000000000000000000000000000000000000000000000000000000000000000000000200085c700080101"
    "49310ffe"
);
const Buffer kIface4 = hex(
    "0303cbc5002000004500001c1111000001111398c6120002c61209029c40829a00081234000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000000000000000002000f99b0020020f"
    "0000000700010000c61203010c67652d302f302f31000000000005dc0008010100011140"
);
const Buffer kBadSum4 = hex(
    "0b00c321002000004500001c1111000001111398c6120002c61209029c40829a00081234000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000000000000000002000bad3000c0101"
    "03e8000105dc1b01"
);
const Buffer kPlain4 = hex(
    "0b00c3e8000000004500001c1111000001111398c6120002c61209029c40829a00081234"
);
const Buffer kOldNoExt4 = hex(
    "0b00a5c4000000004500001c1111000001111398c6120002c61209029c40829a00081234000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000000000000000000001020304050607"
    "08090a0b"
);
const Buffer kLenPastEnd4 = hex(
    "0b00c3c0002800004500001c1111000001111398c6120002c61209029c40829a00081234000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000000000000000002000ba2c000c0101"
    "03e8000105dc1b01"
);
const Buffer kTruncObj4 = hex(
    "0b00c3c8002000004500001c1111000001111398c6120002c61209029c40829a00081234000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000000000000000002000ddd400280101"
    "00010101"
);

TEST(IcmpExt, Rfc4884MplsV4) {
  const auto e = parse_icmp_extensions(Family::v4, kMpls4);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->quote_len, 128u);
  EXPECT_TRUE(e->has_extensions);
  ASSERT_EQ(e->mpls.size(), 2u);
  EXPECT_EQ(e->mpls[0].label, 16000u);
  EXPECT_EQ(e->mpls[0].tc, 0);
  EXPECT_FALSE(e->mpls[0].bottom);
  EXPECT_EQ(e->mpls[0].ttl, 1);
  EXPECT_EQ(e->mpls[1].label, 24001u);
  EXPECT_EQ(e->mpls[1].tc, 5);
  EXPECT_TRUE(e->mpls[1].bottom);
  EXPECT_TRUE(e->interfaces.empty());
  // The quote the matcher sees still parses as our probe.
  const auto q = parse_quoted(Family::v4, Bytes(kMpls4).subspan(8, e->quote_len));
  ASSERT_TRUE(q);
  EXPECT_EQ(q->ip.dst, ip("198.18.9.2"));
}

TEST(IcmpExt, OldStyleRouterWithoutLength) {
  const auto e = parse_icmp_extensions(Family::v4, kMpls4OldStyle);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->quote_len, 128u);
  EXPECT_TRUE(e->has_extensions);
  ASSERT_EQ(e->mpls.size(), 2u);
  EXPECT_EQ(e->mpls[1].label, 24001u);
}

TEST(IcmpExt, V6LengthInDoubleWords) {
  const auto e = parse_icmp_extensions(Family::v6, kMpls6);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->quote_len, 128u);
  ASSERT_EQ(e->mpls.size(), 1u);
  EXPECT_EQ(e->mpls[0].label, 299792u);
  EXPECT_EQ(e->mpls[0].tc, 7);
  EXPECT_TRUE(e->mpls[0].bottom);
  EXPECT_EQ(e->mpls[0].ttl, 254);
  // ICMPv6 parameter problem has no length field (RFC 4884 §4.6): refused.
  Buffer pp = kMpls6;
  pp[0] = kIcmp6ParamProblem;
  EXPECT_FALSE(parse_icmp_extensions(Family::v6, pp));
}

TEST(IcmpExt, InterfaceInformation) {
  const auto e = parse_icmp_extensions(Family::v4, kIface4);
  ASSERT_TRUE(e);
  ASSERT_EQ(e->interfaces.size(), 1u);
  const auto& i = e->interfaces[0];
  EXPECT_EQ(i.role, InterfaceRole::incoming);
  EXPECT_EQ(i.ifindex, 7u);
  ASSERT_TRUE(i.addr);
  EXPECT_EQ(*i.addr, ip("198.18.3.1"));
  EXPECT_EQ(i.name, "ge-0/0/1");
  EXPECT_EQ(i.mtu, 1500u);
  ASSERT_EQ(e->mpls.size(), 1u);  // the object after it is still read
  EXPECT_EQ(e->mpls[0].label, 17u);
  EXPECT_EQ(e->mpls[0].ttl, 64);
}

TEST(IcmpExt, BadChecksumIgnoresStructureKeepsLength) {
  const auto e = parse_icmp_extensions(Family::v4, kBadSum4);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->quote_len, 128u);
  EXPECT_FALSE(e->has_extensions);
  EXPECT_TRUE(e->mpls.empty());
}

TEST(IcmpExt, NoExtensionWholeBodyIsQuote) {
  auto e = parse_icmp_extensions(Family::v4, kPlain4);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->quote_len, 28u);
  EXPECT_FALSE(e->has_extensions);
  e = parse_icmp_extensions(Family::v4, kOldNoExt4);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->quote_len, 140u);
  EXPECT_FALSE(e->has_extensions);
  e = parse_icmp_extensions(Family::v4, kLenPastEnd4);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->quote_len, kLenPastEnd4.size() - 8);
  EXPECT_FALSE(e->has_extensions);
}

TEST(IcmpExt, TruncatedObjectStopsParsing) {
  const auto e = parse_icmp_extensions(Family::v4, kTruncObj4);
  ASSERT_TRUE(e);
  EXPECT_TRUE(e->has_extensions);
  EXPECT_TRUE(e->mpls.empty());
}

TEST(IcmpExt, RefusesNonErrorsAndShortMessages) {
  EXPECT_FALSE(parse_icmp_extensions(Family::v4, hex("0000ffff00000000")));   // echo reply
  EXPECT_FALSE(parse_icmp_extensions(Family::v6, hex("8100000000000000")));   // v6 echo reply
  EXPECT_FALSE(parse_icmp_extensions(Family::v4, hex("0b000000002000")));     // 7 bytes
  const auto e = parse_icmp_extensions(Family::v4, hex("0b00f4ff00000000"));  // header only
  ASSERT_TRUE(e);
  EXPECT_EQ(e->quote_len, 0u);
}

TEST(IcmpExt, LengthBelow128IsQuoteOnly) {
  Buffer m = kMpls4;
  m[5] = 7;  // 28 bytes: a quote, but too short for an extension to follow (RFC 4884 §4.1)
  const auto e = parse_icmp_extensions(Family::v4, m);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->quote_len, 28u);
  EXPECT_FALSE(e->has_extensions);
}

// The builder matches the independent vectors byte for byte, and round-trips.
TEST(IcmpExtBuilder, MatchesVectors) {
  const Bytes quote = Bytes(kMpls4).subspan(8, 28);
  const MplsLabel labels[] = {{16000, 0, false, 1}, {24001, 5, true, 1}};
  const ExtensionObject objs[] = {mpls_object(labels)};
  EXPECT_EQ(build_icmp_error_with_extensions(Family::v4, 11, 0, quote, objs), kMpls4);
  EXPECT_EQ(build_icmp_error_with_extensions(Family::v4, 11, 0, quote, objs, false), kMpls4OldStyle);
  EXPECT_EQ(build_icmp_error_with_extensions(Family::v4, 11, 0, quote, {}), kPlain4);
  const MplsLabel l6[] = {{299792, 7, true, 254}};
  const ExtensionObject o6[] = {mpls_object(l6)};
  EXPECT_EQ(build_icmp_error_with_extensions(Family::v6, 3, 0, Bytes(kMpls6).subspan(8, 48), o6), kMpls6);
  InterfaceInfo info;
  info.ifindex = 7;
  info.addr = ip("198.18.3.1");
  info.name = "ge-0/0/1";
  info.mtu = 1500;
  const MplsLabel l17[] = {{17, 0, true, 64}};
  const ExtensionObject oi[] = {interface_object(info), mpls_object(l17)};
  EXPECT_EQ(build_icmp_error_with_extensions(Family::v4, 3, 3, quote, oi), kIface4);
}

TEST(IcmpExtBuilder, V6InterfaceRoundTrip) {
  InterfaceInfo info;
  info.role = InterfaceRole::outgoing;
  info.addr = ip("2001:db8:3::1");
  info.name = std::string(70, 'x');  // longer than RFC 5837 allows: cut to 63
  const ExtensionObject o[] = {interface_object(info)};
  const Buffer quote(48, 0x60);
  const auto m = build_icmp_error_with_extensions(Family::v6, 1, 4, quote, o);
  const auto e = parse_icmp_extensions(Family::v6, m);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->quote_len, 128u);
  ASSERT_EQ(e->interfaces.size(), 1u);
  EXPECT_EQ(e->interfaces[0].role, InterfaceRole::outgoing);
  EXPECT_EQ(e->interfaces[0].addr, ip("2001:db8:3::1"));
  EXPECT_EQ(e->interfaces[0].name, std::string(63, 'x'));
  EXPECT_FALSE(e->interfaces[0].ifindex);
  EXPECT_FALSE(e->interfaces[0].mtu);
}

}  // namespace
}  // namespace reach::packet
