// PROXY protocol v1/v2 against HAProxy: golden bytes captured from HAProxy 2.6.12 (Debian 12,
// mode tcp, `server ... send-proxy-v2`, docs/RELAY.md) and the examples of proxy-protocol.txt.
#include <gtest/gtest.h>

#include "hex.hpp"

#include <string>
#include <string_view>

#include "packet/proxy_protocol.hpp"

namespace reach::packet::proxy {
namespace {

// Hex with spaces between fields, for reading.
Buffer hex(std::string s) {
  std::erase(s, ' ');
  return reach::test::hex(s);
}
using Status = Parsed::Status;

IpAddr ip(std::string_view s) { return *IpAddr::parse(s); }
Buffer text(std::string_view s) { return Buffer(s.begin(), s.end()); }
std::string str(const Buffer& b) { return std::string(b.begin(), b.end()); }

// HAProxy 2.6.12, client [::1]:48810 -> frontend [::1]:18401, send-proxy-v2.
const Buffer kHaproxyV6 = hex(
    "0d0a0d0a000d0a515549540a21210024"
    "00000000000000000000000000000001"
    "00000000000000000000000000000001"
    "beaa47e1");
// HAProxy 2.6.12, client 127.0.0.1:48826 -> frontend 127.0.0.1:18401.
const Buffer kHaproxyV4 = hex("0d0a0d0a000d0a515549540a2111000c7f0000017f000001beba47e1");

TEST(ProxyProtocol, V2ByteIdenticalToHaproxy) {
  EXPECT_EQ(build_v2(header_endpoints(ip("::1"), 48810, ip("::1"), 18401)), kHaproxyV6);
  EXPECT_EQ(build_v2(header_endpoints(ip("127.0.0.1"), 48826, ip("127.0.0.1"), 18401)), kHaproxyV4);
}

struct FamilyCase {
  const char* client;
  const char* local;
  const char* v1;
};
// The family rule: the client's family, the destination promoted to it.
const FamilyCase kFamilies[] = {
    {"2001:db8::5", "2001:db8::1", "PROXY TCP6 2001:db8::5 2001:db8::1 41234 80\r\n"},
    {"2001:db8::5", "198.18.0.1", "PROXY TCP6 2001:db8::5 ::ffff:198.18.0.1 41234 80\r\n"},
    {"::ffff:198.18.0.7", "::ffff:198.18.0.1", "PROXY TCP4 198.18.0.7 198.18.0.1 41234 80\r\n"},
    {"::ffff:198.18.0.7", "198.18.0.1", "PROXY TCP4 198.18.0.7 198.18.0.1 41234 80\r\n"},
    {"198.18.0.7", "2001:db8::1", "PROXY TCP6 ::ffff:198.18.0.7 2001:db8::1 41234 80\r\n"},
    {"198.18.0.7", "198.18.0.1", "PROXY TCP4 198.18.0.7 198.18.0.1 41234 80\r\n"},
};

TEST(ProxyProtocol, FamilyRuleV1AndV2RoundTrip) {
  for (const auto& c : kFamilies) {
    SCOPED_TRACE(c.v1);
    const Endpoints e = header_endpoints(ip(c.client), 41234, ip(c.local), 80);
    EXPECT_EQ(str(build_v1(e)), c.v1);
    for (const Buffer& wire : {build_v1(e), build_v2(e)}) {
      Parsed p = parse(wire);
      ASSERT_EQ(p.status, Status::complete) << p.error;
      EXPECT_TRUE(p.header.has_endpoints);
      EXPECT_EQ(p.header.length, wire.size());
      EXPECT_EQ(p.header.endpoints.src, e.src);
      EXPECT_EQ(p.header.endpoints.dst, e.dst);
      EXPECT_EQ(p.header.endpoints.src_port, 41234);
      EXPECT_EQ(p.header.endpoints.dst_port, 80);
    }
  }
}

TEST(ProxyProtocol, V2MixedFamilyIsTcp6WithMappedDestination) {
  const Buffer b = build_v2(header_endpoints(ip("2001:db8::5"), 41234, ip("198.18.0.1"), 80));
  EXPECT_EQ(b, hex("0d0a0d0a000d0a515549540a21210024"
                   "20010db8000000000000000000000005"
                   "00000000000000000000ffffc6120001"
                   "a1120050"));
}

TEST(ProxyProtocol, V2TlvsBuiltAndParsed) {
  const Tlv tlvs[] = {{kTypeAlpn, {'h', '2'}}, {kTypeNoop, {0, 0, 0}}, {0xE0, {}}};
  const Buffer b = build_v2(header_endpoints(ip("198.18.0.7"), 1, ip("198.18.0.1"), 2), tlvs);
  EXPECT_EQ(b, hex("0d0a0d0a000d0a515549540a2111001a c6120007c6120001 00010002"
                   "010002 6832 040003 000000 e00000"));
  Parsed p = parse(b);
  ASSERT_EQ(p.status, Status::complete);
  EXPECT_EQ(p.header.tlvs, std::vector<Tlv>(std::begin(tlvs), std::end(tlvs)));
}

TEST(ProxyProtocol, V2LocalAndUnspec) {
  EXPECT_EQ(build_v2_local(), hex("0d0a0d0a000d0a515549540a20000000"));
  Parsed p = parse(build_v2_local());
  ASSERT_EQ(p.status, Status::complete);
  EXPECT_TRUE(p.header.local);
  EXPECT_FALSE(p.header.has_endpoints);
  // LOCAL with an INET block (HAProxy's health checks may send one): addresses are not used.
  p = parse(hex("0d0a0d0a000d0a515549540a2011000c7f0000017f000001beba47e1"));
  ASSERT_EQ(p.status, Status::complete);
  EXPECT_FALSE(p.header.has_endpoints);
  // UNSPEC with bytes after it: skipped whole.
  p = parse(hex("0d0a0d0a000d0a515549540a21000003 aabbcc 47"));
  ASSERT_EQ(p.status, Status::complete);
  EXPECT_EQ(p.header.length, 19u);
  EXPECT_FALSE(p.header.has_endpoints);
}

TEST(ProxyProtocol, StopsAtTheHeaderLeavingPayload) {
  Buffer wire = kHaproxyV4;
  wire.insert(wire.end(), {'h', 'i'});
  Parsed p = parse(wire);
  ASSERT_EQ(p.status, Status::complete);
  EXPECT_EQ(p.header.length, kHaproxyV4.size());
  wire = text("PROXY TCP4 198.18.0.7 198.18.0.1 1 2\r\nGET / HTTP/1.1\r\n");
  p = parse(wire);
  ASSERT_EQ(p.status, Status::complete);
  EXPECT_EQ(p.header.length, 38u);
}

TEST(ProxyProtocol, IncompleteUntilWhole) {
  for (const Buffer& whole : {kHaproxyV6, text("PROXY TCP6 2001:db8::5 2001:db8::1 41234 80\r\n")}) {
    for (std::size_t n = 0; n < whole.size(); ++n) {
      SCOPED_TRACE(n);
      EXPECT_EQ(parse(Bytes(whole.data(), n)).status, Status::incomplete);
    }
    EXPECT_EQ(parse(whole).status, Status::complete);
  }
}

TEST(ProxyProtocol, UnknownV1) {
  for (const char* s : {"PROXY UNKNOWN\r\n", "PROXY UNKNOWN ffff:f::f ffff:f::f 65535 65535\r\n"}) {
    Parsed p = parse(text(s));
    ASSERT_EQ(p.status, Status::complete) << s;
    EXPECT_FALSE(p.header.has_endpoints);
    EXPECT_EQ(p.header.length, std::string_view(s).size());
  }
  EXPECT_EQ(str(build_v1_unknown()), "PROXY UNKNOWN\r\n");
}

TEST(ProxyProtocol, InvalidInputs) {
  const char* bad[] = {
      "GET / HTTP/1.1\r\n",
      "PROXY TCP4 198.18.0.07 198.18.0.1 1 2\r\n",     // heading zero in an address
      "PROXY TCP4 198.18.0.7 198.18.0.1 01 2\r\n",     // heading zero in a port
      "PROXY TCP4 198.18.0.7 198.18.0.1 1 65536\r\n",  // port out of range
      "PROXY TCP4 2001:db8::1 198.18.0.1 1 2\r\n",     // family mismatch
      "PROXY TCP6 198.18.0.7 2001:db8::1 1 2\r\n",
      "PROXY TCP4 198.18.0.7  198.18.0.1 1 2\r\n",     // two spaces
      "PROXY TCP4 198.18.0.7 198.18.0.1 1 2 3\r\n",    // six fields
      "PROXY TCP4 198.18.0.7 198.18.0.1 1\r\n",
      "PROXY UDP4 198.18.0.7 198.18.0.1 1 2\r\n",
      "PROXY TCP6 fe80::1%eth0 2001:db8::1 1 2\r\n",   // zone
      "PROXY TCP4 198.18.0.7 198.18.0.1 1 2\n",        // LF without CR
      "PROXY TCP4 198.18.0.7 198.18.0.1 +1 2\r\n",
  };
  for (const char* s : bad) EXPECT_EQ(parse(text(s)).status, Status::invalid) << s;
  EXPECT_EQ(parse(Buffer(kV1MaxLine, 'P')).status, Status::invalid);
  Buffer longline = text("PROXY UNKNOWN ");
  longline.resize(kV1MaxLine, 'x');
  EXPECT_EQ(parse(longline).status, Status::invalid);

  const char* bad2[] = {
      "0d0a0d0a000d0a515549540a11110000",                         // version 1 in binary
      "0d0a0d0a000d0a515549540a22110000",                         // command 2
      "0d0a0d0a000d0a515549540a21410000",                         // family 4
      "0d0a0d0a000d0a515549540a21130000",                         // transport 3
      "0d0a0d0a000d0a515549540a21110008 7f0000017f000001",        // INET block short
      "0d0a0d0a000d0a515549540a2111000e 7f0000017f000001beba47e1 0100",  // TLV header cut
      "0d0a0d0a000d0a515549540a2111000f 7f0000017f000001beba47e1 010005",  // TLV too long
  };
  for (const char* h : bad2) EXPECT_EQ(parse(hex(h)).status, Status::invalid) << h;
}

}  // namespace
}  // namespace reach::packet::proxy
