// SNMP answers to interface counters: what agents send (64- and 32-bit, exceptions, garbage),
// through net-snmp's own variable lists and its BER parser.
#include <gtest/gtest.h>
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include "io/snmp.hpp"
#include "io/snmp_decode.hpp"

namespace reach::io {
namespace {

SnmpVarbind num(SnmpOid o, std::uint8_t type, std::uint64_t v) {
  SnmpVarbind b;
  b.oid = std::move(o);
  b.type = type;
  b.number = v;
  return b;
}
SnmpVarbind none(SnmpOid o, std::uint8_t type = kNoSuchInstance) { return num(std::move(o), type, 0); }

// A full answer for ifIndex 3, in the order of if_counter_oids.
std::vector<SnmpVarbind> answer(int i = 3) {
  auto o = if_counter_oids(i);
  return {num(o[0], kAsnTimeTicks, 12345),       num(o[1], kAsnCounter64, 5'000'000'000ULL),
          num(o[2], kAsnCounter64, 7'000'000'000ULL), num(o[3], kAsnCounter32, 705'032'704),
          num(o[4], kAsnCounter32, 2'705'032'704U), num(o[5], kAsnTimeTicks, 0),
          num(o[6], kAsnGauge32, 1000),           num(o[7], kAsnGauge32, 1'000'000'000),
          num(o[8], kAsnInteger, 1)};
}

TEST(IoSnmpDecode, FullAnswer) {
  auto vbs = answer();
  std::reverse(vbs.begin(), vbs.end());  // matched by OID, not position
  auto c = decode_if_counters(vbs, 3, "198.18.0.1");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->if_index, 3);
  EXPECT_EQ(c->sys_uptime, 12345u);
  EXPECT_EQ(c->hc_in, 5'000'000'000ULL);
  EXPECT_EQ(c->hc_out, 7'000'000'000ULL);
  EXPECT_TRUE(c->has32);
  EXPECT_EQ(c->in32, 705'032'704u);
  EXPECT_EQ(c->discontinuity, 0u);
  EXPECT_EQ(c->speed, 1'000'000'000ULL);  // ifHighSpeed 1000 Mbit/s wins over ifSpeed
  EXPECT_EQ(c->oper_status, 1);
}

TEST(IoSnmpDecode, OnlyThirtyTwoBitAgent) {
  auto vbs = answer();
  vbs[1] = none(vbs[1].oid, kNoSuchObject);
  vbs[2] = none(vbs[2].oid, kNoSuchObject);
  vbs[5] = none(vbs[5].oid, kNoSuchObject);
  vbs[6] = none(vbs[6].oid, kNoSuchObject);
  auto c = decode_if_counters(vbs, 3, "h");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_FALSE(c->hc_in);
  EXPECT_FALSE(c->discontinuity);
  EXPECT_TRUE(c->has32);
  EXPECT_EQ(c->out32, 2'705'032'704u);
  EXPECT_EQ(c->speed, 1'000'000'000ULL);  // from ifSpeed
  // ifSpeed's "higher than it can say" (2^32-1) is no speed.
  vbs[7].number = 4294967295U;
  EXPECT_FALSE(decode_if_counters(vbs, 3, "h")->speed);
}

TEST(IoSnmpDecode, OneHcCounterAloneIsNotUsed) {
  auto vbs = answer();
  vbs[2] = none(vbs[2].oid);
  auto c = decode_if_counters(vbs, 3, "h");
  ASSERT_TRUE(c);
  EXPECT_FALSE(c->hc_in);
  EXPECT_TRUE(c->has32);
}

TEST(IoSnmpDecode, Errors) {
  struct Case {
    const char* name;
    std::function<void(std::vector<SnmpVarbind>&)> change;
    const char* says;
  } cases[] = {
      {"no such interface",
       [](auto& v) {
         for (int k : {1, 2, 3, 4}) v[static_cast<std::size_t>(k)].type = kNoSuchInstance;
       },
       "no such interface"},
      {"no uptime", [](auto& v) { v.erase(v.begin()); }, "no sysUpTime.0"},
      {"uptime is a string", [](auto& v) { v[0].type = kAsnOctets; },
       "sysUpTime.0: expected TimeTicks, got OCTET STRING"},
      {"counter is a gauge", [](auto& v) { v[3].type = kAsnGauge32; },
       "ifInOctets.3: expected Counter32, got Gauge32"},
      {"32-bit counter over 32 bits", [](auto& v) { v[4].number = 1ULL << 32; }, "ifOutOctets.3: value out of range"},
      {"malformed value", [](auto& v) { v[1].type = kAsnNull; }, "ifHCInOctets.3: expected Counter64, got NULL"},
  };
  for (const auto& c : cases) {
    auto vbs = answer();
    c.change(vbs);
    auto r = decode_if_counters(vbs, 3, "198.18.0.1");
    ASSERT_FALSE(r) << c.name;
    EXPECT_EQ(r.error().op, "snmp get") << c.name;
    EXPECT_EQ(r.error().addr, "198.18.0.1") << c.name;
    EXPECT_NE(r.error().detail.find(c.says), std::string::npos) << c.name << ": " << r.error().detail;
  }
}

TEST(IoSnmpDecode, FromNetSnmpVariables) {
  // The same answer as net-snmp hands it over, built with its own API.
  netsnmp_pdu* pdu = snmp_pdu_create(SNMP_MSG_RESPONSE);
  auto o = if_counter_oids(7);
  auto add = [&](const SnmpOid& id, u_char type, const void* v, std::size_t n) {
    std::vector<oid> name(id.begin(), id.end());
    snmp_pdu_add_variable(pdu, name.data(), name.size(), type, v, n);
  };
  const u_long up = 4242, in32 = 10, out32 = 20;
  counter64 hc_in{1, 2}, hc_out{0, 99};
  add(o[0], ASN_TIMETICKS, &up, sizeof up);
  add(o[1], ASN_COUNTER64, &hc_in, sizeof hc_in);
  add(o[2], ASN_COUNTER64, &hc_out, sizeof hc_out);
  add(o[3], ASN_COUNTER, &in32, sizeof in32);
  add(o[4], ASN_COUNTER, &out32, sizeof out32);
  add(o[5], SNMP_NOSUCHINSTANCE, nullptr, 0);
  auto vbs = varbinds_from(pdu->variables);
  snmp_free_pdu(pdu);
  ASSERT_EQ(vbs.size(), 6u);
  EXPECT_EQ(oid_string(vbs[0].oid), "1.3.6.1.2.1.1.3.0");
  auto c = decode_if_counters(vbs, 7, "h");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->sys_uptime, 4242u);
  EXPECT_EQ(c->hc_in, (1ULL << 32) + 2);
  EXPECT_EQ(c->hc_out, 99u);
  EXPECT_EQ(c->in32, 10u);
  EXPECT_FALSE(c->discontinuity);
}

TEST(IoSnmpDecode, FromBer) {
  // GetResponse (0xa2), request-id 1, no error, varbinds: sysUpTime.0 = TimeTicks 300,
  // ifHCInOctets.2 = Counter64 2^32+1 (as an agent encodes them).
  const std::vector<std::uint8_t> pdu = {
      0xa2, 0x31, 0x02, 0x01, 0x01, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00, 0x30, 0x26,
      0x30, 0x0e, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x01, 0x03, 0x00, 0x43, 0x02, 0x01, 0x2c,
      0x30, 0x14, 0x06, 0x0b, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x1f, 0x01, 0x01, 0x01, 0x06, 0x02,
      0x46, 0x05, 0x01, 0x00, 0x00, 0x00, 0x01};
  auto vbs = varbinds_from_ber(pdu);
  ASSERT_TRUE(vbs);
  ASSERT_EQ(vbs->size(), 2u);
  EXPECT_EQ(oid_string((*vbs)[0].oid), "1.3.6.1.2.1.1.3.0");
  EXPECT_EQ((*vbs)[0].type, kAsnTimeTicks);
  EXPECT_EQ((*vbs)[0].number, 300u);
  EXPECT_EQ(oid_string((*vbs)[1].oid), "1.3.6.1.2.1.31.1.1.1.6.2");
  EXPECT_EQ((*vbs)[1].type, kAsnCounter64);
  EXPECT_EQ((*vbs)[1].number, (1ULL << 32) + 1);
  // Cut anywhere: rejected or shorter, never a crash.
  for (std::size_t n = 0; n < pdu.size(); ++n) (void)varbinds_from_ber(std::span(pdu).first(n));
}

TEST(IoSnmp, PeerNames) {
  EXPECT_EQ(snmp_peer_name("198.18.1.1"), "udp:198.18.1.1:161");
  EXPECT_EQ(snmp_peer_name("198.18.1.1:1161"), "udp:198.18.1.1:1161");
  EXPECT_EQ(snmp_peer_name("router.lan"), "udp:router.lan:161");
  EXPECT_EQ(snmp_peer_name("2001:db8::1"), "udp6:[2001:db8::1]:161");
  EXPECT_EQ(snmp_peer_name("[2001:db8::1]"), "udp6:[2001:db8::1]:161");
  EXPECT_EQ(snmp_peer_name("[2001:db8::1]:1161"), "udp6:[2001:db8::1]:1161");
}

TEST(IoSnmp, BadV3SettingsAreClearErrors) {
  config::SnmpSource s;
  s.host = "198.18.0.1";
  s.version = 3;
  s.user = "u";
  s.auth_password = "short";
  auto r = SnmpSession::open(s);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().detail.find("at least 8"), std::string::npos);
  s.auth_password = "longenough";
  s.auth_protocol = "sha3";
  r = SnmpSession::open(s);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().detail.find("unknown auth_protocol"), std::string::npos);
  s.version = 1;
  r = SnmpSession::open(s);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().detail.find("version 1"), std::string::npos);
}

}  // namespace
}  // namespace reach::io
