// `path:` of the watch YAML (in `defaults:` and per target): off, protocol, port, max hops, MDA;
// every error with its line (what --validate prints).
#include <gtest/gtest.h>

#include <string>

#include "config/watch_config.hpp"
#include "watch_config_errors.hpp"

namespace reach::config {
namespace {

TEST(WatchConfigPath, DefaultIsAnIcmpTraceOfThirtyHops) {
  auto c = parse_watch_config("targets:\n  - { name: a, host: 198.18.1.2 }\n", "w.yml");
  ASSERT_TRUE(c) << c.error().message();
  const PathSettings& p = c->targets.at(0).path;
  EXPECT_TRUE(p.enabled);
  EXPECT_EQ(p.protocol, model::TraceMethod::icmp);
  EXPECT_EQ(p.port, 0);
  EXPECT_EQ(p.max_hops, 30);
  EXPECT_FALSE(p.mda);
  EXPECT_DOUBLE_EQ(p.alpha, 0.05);  // scamper's and Paris traceroute's 95 %
}

TEST(WatchConfigPath, AlphaIsMdasChanceOfMissingANextHop) {
  auto c = parse_watch_config(R"(defaults: { path: { mda: true, alpha: 0.001 } }
targets:
  - { name: a, host: 198.18.1.2 }
  - { name: b, host: 198.18.1.3, path: { alpha: 1e-6 } }
)",
                              "w.yml");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_DOUBLE_EQ(c->targets[0].path.alpha, 0.001);
  EXPECT_DOUBLE_EQ(c->targets[1].path.alpha, 1e-6);
  EXPECT_TRUE(c->targets[1].path.mda);
}

TEST(WatchConfigPath, TargetsOverrideTheDefaultsKeyByKey) {
  auto c = parse_watch_config(R"(defaults: { path: { protocol: udp, max_hops: 12, mda: true } }
targets:
  - { name: a, host: 198.18.1.2 }
  - { name: b, host: 198.18.1.3, path: off }
  - { name: c, host: 198.18.1.4, path: { max_hops: 5 } }
  - { name: d, probe: tcp, host: 198.18.1.5, port: 443, path: { protocol: tcp } }
  - { name: e, probe: syn, host: 198.18.1.6, port: 22, path: { protocol: tcp, port: 8080, mda: false } }
  - { name: f, host: 198.18.1.7, path: { protocol: tcp } }
  - { name: g, host: 198.18.1.8, path: { protocol: icmp } }
  - { name: h, probe: http, url: "http://198.18.1.9/", path: off }
)",
                              "w.yml");
  ASSERT_TRUE(c) << c.error().message();
  auto at = [&](const char* n) { return c->find_target(n)->path; };
  EXPECT_EQ(at("a").protocol, model::TraceMethod::udp);
  EXPECT_EQ(at("a").port, 33434);  // traceroute's
  EXPECT_EQ(at("a").max_hops, 12);
  EXPECT_TRUE(at("a").mda);
  EXPECT_FALSE(at("b").enabled);
  EXPECT_EQ(at("c").max_hops, 5);
  EXPECT_EQ(at("c").protocol, model::TraceMethod::udp);
  EXPECT_TRUE(at("c").mda);
  EXPECT_EQ(at("d").protocol, model::TraceMethod::tcp);
  EXPECT_EQ(at("d").port, 443);  // the target's own port
  EXPECT_EQ(at("e").port, 8080);
  EXPECT_FALSE(at("e").mda);
  EXPECT_EQ(at("f").port, 80);  // an icmp target has no port of its own
  EXPECT_EQ(at("g").protocol, model::TraceMethod::icmp);
  EXPECT_EQ(at("g").port, 0);
  EXPECT_FALSE(at("h").enabled);
}

TEST(WatchConfigPath, OnAndTrueKeepTracing) {
  auto c = parse_watch_config(R"(defaults: { path: off }
targets:
  - { name: a, host: 198.18.1.2 }
  - { name: b, host: 198.18.1.3, path: on }
  - { name: c, host: 198.18.1.4, path: { max_hops: 9 } }
)",
                              "w.yml");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_FALSE(c->targets[0].path.enabled);
  EXPECT_TRUE(c->targets[1].path.enabled);
  EXPECT_TRUE(c->targets[2].path.enabled);  // a map says how to trace: it traces
}

TEST(WatchConfigPath, BadValuesAreErrorsWithTheirLines) {
  EXPECT_EQ(errors_of(R"(targets:
  - { name: a, host: 198.18.1.2, path: { protocol: sctp } }
  - { name: b, host: 198.18.1.3, path: { max_hops: 0 } }
  - name: c
    host: 198.18.1.4
    path:
      protocol: icmp
      port: 80
  - { name: d, host: 198.18.1.5, path: sometimes }
  - { name: e, host: 198.18.1.6, path: { mda: maybe, hops: 3 } }
  - { name: f, host: 198.18.1.7, path: [icmp] }
  - { name: g, probe: http, url: "http://198.18.1.8/", path: { protocol: tcp } }
  - { name: h, host: 198.18.1.9, path: { protocol: tcp, port: 70000 } }
  - { name: i, host: 198.18.1.10, path: { mda: true, alpha: 0.9 } }
)"),
            "w.yml:2: targets[0].path.protocol: must be one of icmp, udp, tcp\n"
            "w.yml:3: targets[1].path.max_hops: must be a whole number from 1 to 255, not '0'\n"
            "w.yml:8: targets[2].path.port: only for protocol udp or tcp\n"
            "w.yml:9: targets[3].path: must be true or false, not 'sometimes'\n"
            "w.yml:10: targets[4].path.hops: unknown key (known: protocol, port, max_hops, mda, alpha)\n"
            "w.yml:10: targets[4].path.mda: must be true or false, not 'maybe'\n"
            "w.yml:11: targets[5].path: must be off, on or a map ({protocol: tcp, port: 443, max_hops: 20, mda: true, alpha: 0.01})\n"
            "w.yml:12: targets[6].path: watch traces only icmp, tcp, syn and udp targets (path: off is accepted)\n"
            "w.yml:13: targets[7].path.port: must be a whole number from 1 to 65535, not '70000'\n"
            "w.yml:14: targets[8].path.alpha: must be a number from 1e-09 to 0.5, not '0.9'");
}

TEST(WatchConfigPath, DefaultsAreCheckedToo) {
  EXPECT_EQ(errors_of("defaults:\n  path: { protocol: gre }\ntargets: []\n"),
            "w.yml:2: defaults.path.protocol: must be one of icmp, udp, tcp");
}

TEST(WatchConfigPath, AReloadSeesAChangedPath) {
  auto a = parse_watch_config("targets:\n  - { name: a, host: 198.18.1.2 }\n", "w.yml");
  auto b = parse_watch_config("targets:\n  - { name: a, host: 198.18.1.2, path: { mda: true } }\n", "w.yml");
  ASSERT_TRUE(a && b);
  auto d = diff(*a, *b);
  ASSERT_EQ(d.changed.size(), 1u);
  EXPECT_TRUE(d.changed[0].path);
  EXPECT_FALSE(d.changed[0].probe);
}

}  // namespace
}  // namespace reach::config
