// `probe: dnsbl` targets of the watch YAML: defaults, the fields it takes and refuses, and every
// error with its line (what --validate prints).
#include <gtest/gtest.h>

#include <string>

#include "config/dnsbl_zones.hpp"
#include "config/watch_config.hpp"
#include "watch_config_errors.hpp"

namespace reach::config {
namespace {

TEST(WatchConfigDnsbl, TheBriefsExampleParses) {
  auto c = parse_watch_config(R"(targets:
  - { name: mx1-dnsbl, probe: dnsbl, host: 198.18.1.2, zones: [zen.example, BL.example.], dns_server: 198.18.0.53, interval: 10m }
)",
                              "w.yml");
  ASSERT_TRUE(c) << c.error().message();
  const auto& t = c->targets.at(0);
  EXPECT_EQ(t.probe, model::WatchProbe::dnsbl);
  EXPECT_EQ(t.host, "198.18.1.2");
  EXPECT_EQ(t.zones, (std::vector<std::string>{"zen.example", "bl.example"}));  // as check writes them
  EXPECT_EQ(t.dns_server, "198.18.0.53");
  EXPECT_EQ(t.interval, 600 * kNsPerSec);
  EXPECT_EQ(t.packets, 1);
}

TEST(WatchConfigDnsbl, DefaultsAreCheckZonesAndALongInterval) {
  auto c = parse_watch_config(R"(defaults: { interval: 1s, timeout: 500ms }
targets:
  - { name: a, probe: dnsbl, host: "2001:db8::25" }
  - { name: b, zones: [z.example, z.example], host: 198.18.1.3, interval: 30s }
  - { name: c, probe: icmp, host: 198.18.1.4 }
)",
                              "w.yml");
  ASSERT_TRUE(c) << c.error().message();
  const auto& a = c->targets.at(0);
  EXPECT_EQ(a.zones, default_dnsbl_zones());
  EXPECT_EQ(a.dns_server, "");
  EXPECT_EQ(a.interval, 600 * kNsPerSec);  // not defaults.interval: blocklists rate-limit
  EXPECT_EQ(a.timeout, 5 * kNsPerSec);
  const auto& b = c->targets.at(1);
  EXPECT_EQ(b.probe, model::WatchProbe::dnsbl);  // inferred from zones
  EXPECT_EQ(b.zones, std::vector<std::string>{"z.example"});
  EXPECT_EQ(b.interval, 30 * kNsPerSec);
  EXPECT_EQ(b.timeout, 5 * kNsPerSec);
  EXPECT_EQ(c->targets.at(2).interval, kNsPerSec);  // the others keep defaults:
  // --interval and --timeout do not reach a dnsbl target either.
  WatchOverrides f;
  f.interval = 2 * kNsPerSec;
  f.timeout = kNsPerSec;
  auto o = apply_overrides(*c, f);
  ASSERT_TRUE(o) << o.error().message();
  EXPECT_EQ(o->targets.at(0).interval, 600 * kNsPerSec);
  EXPECT_EQ(o->targets.at(0).timeout, 5 * kNsPerSec);
  EXPECT_EQ(o->targets.at(2).interval, 2 * kNsPerSec);
}

TEST(WatchConfigDnsbl, ErrorsNameTheLine) {
  struct Case {
    std::string yaml, error;
  } cases[] = {
      {"targets:\n  - name: a\n    probe: dnsbl\n    host: mx1.example.org\n",
       "w.yml:4: targets[0].host: \"mx1.example.org\" is not an IP address (blocklists list addresses, not names)"},
      {"targets:\n  - name: a\n    probe: dnsbl\n    host: 198.18.1.2\n    zones: [ok.example, \"bad..zone\"]\n",
       "w.yml:5: targets[0].zones[1]: \"bad..zone\": an empty label (two dots, or a leading dot)"},
      {"targets:\n  - name: a\n    probe: dnsbl\n    host: 198.18.1.2\n    zones:\n      - ok.example\n      - \"sp ace\"\n",
       "w.yml:7: targets[0].zones[1]: \"sp ace\": a label may hold letters, digits, '-' and '_' only"},
      {"targets:\n  - name: a\n    probe: dnsbl\n    host: 198.18.1.2\n    zones: []\n",
       "w.yml:5: targets[0].zones: give at least one zone (or leave zones out)"},
      {"targets:\n  - name: a\n    probe: dnsbl\n    host: 198.18.1.2\n    dns_server: ns.example\n",
       "w.yml:5: targets[0].dns_server: must be ADDR, ADDR:PORT or [IPV6ADDR]:PORT (an address, not a name)"},
      {"targets:\n  - name: a\n    probe: dnsbl\n    host: 198.18.1.2\n    port: 25\n",
       "w.yml:5: targets[0].port: probe dnsbl has no port (the resolver's goes in dns_server)"},
      {"targets:\n  - name: a\n    probe: dnsbl\n", "w.yml:2: targets[0].host: is required for probe dnsbl"},
      {"targets:\n  - name: a\n    probe: icmp\n    host: 198.18.1.2\n    zones: [z.example]\n",
       "w.yml:5: targets[0].zones: only for probe dnsbl"},
      {"targets:\n  - name: a\n    probe: dns\n    host: 198.18.1.2\n    dns: {name: x.example}\n    dns_server: 198.18.0.53\n",
       "w.yml:6: targets[0].dns_server: only for probe dnsbl"},
      {"targets:\n  - name: a\n    probe: dnsbl\n    host: 198.18.1.2\n    packets: 3\n",
       "w.yml:2: targets[0].packets: only for probe icmp"},
      {"targets:\n  - name: a\n    probe: dnsbl\n    host: 198.18.1.2\n    labels: {zone: eu}\n",
       "w.yml:5: targets[0].labels.zone: is the label of the zone in this target's dnsbl series"},
      {"targets:\n  - name: a\n    probe: dnsbl\n    host: 198.18.1.2\n    zones: [\"" + std::string(64, 'a') + ".x\"]\n",
       "w.yml:5: targets[0].zones[0]: \"" + std::string(64, 'a') + ".x\": a label longer than 63 characters"},
  };
  for (const auto& c : cases) {
    std::string got = errors_of(c.yaml);
    EXPECT_NE(got.find(c.error), std::string::npos) << c.yaml << "\n got: " << got;
  }
}

TEST(WatchConfigDnsbl, AReloadThatChangesZonesRebuildsTheProbe) {
  auto before = parse_watch_config("targets: [{name: a, probe: dnsbl, host: 198.18.1.2, zones: [a.example]}]", "w");
  auto zones = parse_watch_config("targets: [{name: a, probe: dnsbl, host: 198.18.1.2, zones: [b.example]}]", "w");
  auto server = parse_watch_config(
      "targets: [{name: a, probe: dnsbl, host: 198.18.1.2, zones: [a.example], dns_server: '198.18.0.53:5353'}]", "w");
  ASSERT_TRUE(before && zones && server);
  ASSERT_EQ(diff(*before, *zones).changed.size(), 1u);
  EXPECT_TRUE(diff(*before, *zones).changed[0].probe);
  ASSERT_EQ(diff(*before, *server).changed.size(), 1u);
  EXPECT_TRUE(diff(*before, *server).changed[0].probe);
  EXPECT_EQ(diff(*before, *before).unchanged.size(), 1u);
}

}  // namespace
}  // namespace reach::config
