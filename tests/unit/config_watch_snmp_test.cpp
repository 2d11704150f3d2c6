// watch's snmp targets in the YAML file: the session keys, the OID list, and every error with
// its line.
#include <gtest/gtest.h>

#include <string>

#include "config/watch_config.hpp"
#include "watch_config_errors.hpp"

namespace reach::config {
namespace {

TEST(WatchSnmpConfig, TheDocumentedExampleParses) {
  auto c = parse_watch_config(R"(targets:
  - name: core1
    probe: snmp
    host: 198.18.1.2
    snmp: { version: 2c, community: public }
    oids:
      - { oid: HOST-RESOURCES-MIB::hrSystemUptime.0 }
      - { oid: 1.3.6.1.2.1.2.2.1.10.2, name: ifInOctets2, rate: true, max: 1e9 }
  - name: core1-v3
    host: 2001:db8::2
    port: 1161
    snmp: { version: 3, user: mon, auth_protocol: sha, auth_password: authpass1, priv_protocol: AES, priv_password: privpass1 }
    oids: [.1.3.6.1.2.1.1.3.0]
)", "w.yml");
  ASSERT_TRUE(c) << c.error().message();
  const WatchTarget& a = c->targets[0];
  EXPECT_EQ(a.probe, model::WatchProbe::snmp);
  EXPECT_EQ(a.snmp.session.version, 2);
  EXPECT_EQ(a.snmp.session.community, "public");
  EXPECT_EQ(a.snmp.session.retries, 0);
  ASSERT_EQ(a.snmp.oids.size(), 2u);
  EXPECT_TRUE(a.snmp.oids[0].numeric.empty());  // a MIB name: the tool resolves it
  EXPECT_EQ(a.snmp.oids[0].name, "HOST-RESOURCES-MIB::hrSystemUptime.0");
  EXPECT_EQ(a.snmp.oids[0].line, 7);
  EXPECT_EQ(a.snmp.oids[1].numeric, (std::vector<std::uint32_t>{1, 3, 6, 1, 2, 1, 2, 2, 1, 10, 2}));
  EXPECT_EQ(a.snmp.oids[1].name, "ifInOctets2");
  EXPECT_TRUE(a.snmp.oids[1].rate);
  EXPECT_EQ(a.snmp.oids[1].max, 1e9);
  const WatchTarget& b = c->targets[1];
  EXPECT_EQ(b.probe, model::WatchProbe::snmp);  // inferred from oids
  EXPECT_EQ(b.port, 1161);
  EXPECT_EQ(b.snmp.session.version, 3);
  EXPECT_EQ(b.snmp.session.auth_protocol, "SHA");
  EXPECT_EQ(b.snmp.session.priv_password, "privpass1");
  EXPECT_EQ(b.snmp.oids[0].numeric.size(), 9u);
}

TEST(WatchSnmpConfig, EveryErrorHasItsLine) {
  struct Case {
    const char* text;
    const char* error;
  } cases[] = {
      {"targets:\n  - {name: a, probe: snmp, host: h, oids: ['1.3.6.1.2.1.1.3.0.', '1.3.x']}\n",
       "w.yml:2: targets[0].oids[0]: \"1.3.6.1.2.1.1.3.0.\" is not a numeric OID (1.3.6.1..., 2..128 numbers "
       "below 2^32, the first 0, 1 or 2)\n"
       "w.yml:2: targets[0].oids[1]: \"1.3.x\" is not a numeric OID (1.3.6.1..., 2..128 numbers below 2^32, the "
       "first 0, 1 or 2)"},
      {"targets:\n  - name: a\n    probe: snmp\n    host: h\n    oids:\n      - 1.3.6.1\n      - 'IF MIB::x'\n"
       "      - '9.1'\n      - '1.4294967296'\n",
       "w.yml:7: targets[0].oids[1]: must be a numeric OID (1.3.6.1.2.1.1.3.0) or a MIB name "
       "(SNMPv2-MIB::sysUpTime.0)\n"
       "w.yml:8: targets[0].oids[2]: \"9.1\" is not a numeric OID (1.3.6.1..., 2..128 numbers below 2^32, the "
       "first 0, 1 or 2)\n"
       "w.yml:9: targets[0].oids[3]: \"1.4294967296\" is not a numeric OID (1.3.6.1..., 2..128 numbers below "
       "2^32, the first 0, 1 or 2)"},
      {"targets:\n  - {name: a, probe: snmp, host: h, snmp: {version: 3, user: u}, oids: [1.3.6]}\n",
       "w.yml:2: targets[0].snmp: version 3 needs auth_protocol and auth_password (noAuthNoPriv is not "
       "supported)"},
      {"targets:\n  - {name: a, probe: snmp, host: h, snmp: {version: 3, user: u, auth_protocol: SHA, auth_password: "
       "x, priv_protocol: AES}, oids: [1.3.6]}\n",
       "w.yml:2: targets[0].snmp.auth_password: must be at least 8 characters (SNMPv3 refuses shorter pass "
       "phrases)\n"
       "w.yml:2: targets[0].snmp: priv_protocol and priv_password go together"},
      {"targets:\n  - {name: a, probe: snmp, host: h, snmp: {version: 3, community: c, user: u, auth_protocol: SHA, "
       "auth_password: 12345678}, oids: [1.3.6]}\n",
       "w.yml:2: targets[0].snmp.community: is for version 2c; version 3 uses user"},
      {"targets:\n  - {name: a, probe: snmp, host: h, snmp: {version: 1}, oids: [1.3.6]}\n",
       "w.yml:2: targets[0].snmp.version: must be 2c (or 2) or 3"},
      {"targets:\n  - {name: a, probe: snmp, host: h}\n",
       "w.yml:2: targets[0].oids: is required for probe snmp (the OIDs to GET)"},
      {"targets:\n  - {name: a, probe: snmp, oids: [1.3.6]}\n", "w.yml:2: targets[0].host: is required for probe snmp"},
      {"targets:\n  - {name: a, host: h, snmp: {community: c}}\n", "w.yml:2: targets[0].snmp: only for probe snmp"},
      {"targets:\n  - {name: a, probe: snmp, host: h, oids: []}\n", "w.yml:2: targets[0].oids: needs at least one OID"},
      {"targets:\n  - {name: a, probe: snmp, host: h, oids: [{oid: 1.3.6, min: 5, max: 1}, {name: x}]}\n",
       "w.yml:2: targets[0].oids[0]: min is above max\nw.yml:2: targets[0].oids[1].oid: is required"},
      {"targets:\n  - {name: a, probe: snmp, host: h, labels: {oid: x}, oids: [1.3.6]}\n",
       "w.yml:2: targets[0].labels.oid: is a label of every SNMP series here; choose another name"},
      {"targets:\n  - {name: a, probe: snmp, host: h, oids: [{oid: 1.3.6, name: n}, {oid: 1.3.7, name: n}]}\n",
       "w.yml:2: targets[0].oids[1]: another OID of this target has the name \"n\" (give name:)"},
  };
  for (const auto& c : cases) EXPECT_EQ(errors_of(c.text), c.error) << c.text;
}

TEST(WatchSnmpConfig, ACredentialChangeRebuildsTheProber) {
  auto a = parse_watch_config("targets:\n  - {name: a, host: h, snmp: {community: one}, oids: [1.3.6]}\n", "w");
  auto b = parse_watch_config("targets:\n  - {name: a, host: h, snmp: {community: two}, oids: [1.3.6]}\n", "w");
  ASSERT_TRUE(a && b);
  ConfigDiff d = diff(*a, *b);
  ASSERT_EQ(d.changed.size(), 1u);
  EXPECT_TRUE(d.changed[0].probe);
}

}  // namespace
}  // namespace reach::config
