// The `usage:` section: the issue's example as written, sources and their stable ids, cycles,
// every error with the file's own line, and the small parsers (commands, percents).
#include <gtest/gtest.h>

#include <string>

#include "config/usage_config.hpp"
#include "config/watch_config.hpp"

namespace reach::config {
namespace {

using model::BlockAllow;

const char* kExample = R"(db: /var/lib/reach/usage.db
usage:
  poll: 1s
  plans:
    - name: mobile
      interfaces: [wwan0]          # or snmp: {host: 198.18.1.1, community: public, if: 2}, or mrtg: "cmd args"
      cap: 30GB                    # GB = 10^9 bytes, GiB = 2^30
      count: both                  # rx | tx | both
      cycle: { start_day: 15 }     # 1..31, clamped to the month's last day
      thresholds: [80, 90, 100]
      notify: [hook]
notifiers:
  hook: { webhook: "http://127.0.0.1:9099/usage" }
)";

std::string errors_of(const std::string& text) {
  auto c = parse_usage_config(text, "u.yml");
  return c ? std::string("OK") : c.error().message();
}

// A file with one plan whose body is `plan` (indented under "- ").
std::string with_plan(const std::string& plan) {
  return "usage:\n  plans:\n    - name: p\n" + plan + "notifiers:\n  hook: { webhook: \"http://127.0.0.1:9/\" }\n";
}

TEST(UsageConfig, TheIssueExampleParsesAsWritten) {
  auto c = parse_usage_config(kExample, "u.yml");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->db, "/var/lib/reach/usage.db");
  EXPECT_EQ(c->poll, kNsPerSec);
  ASSERT_EQ(c->plans.size(), 1u);
  const UsagePlan& p = c->plans[0];
  EXPECT_EQ(p.name, "mobile");
  EXPECT_EQ(p.line, 5);
  ASSERT_EQ(p.sources.size(), 1u);
  EXPECT_EQ(p.sources[0].kind, UsageSource::Kind::interface);
  EXPECT_EQ(p.sources[0].interface, "wwan0");
  EXPECT_EQ(p.sources[0].id, "if:name:wwan0");
  EXPECT_EQ(p.cap, 30'000'000'000u);
  EXPECT_EQ(p.count, UsageCount::both);
  EXPECT_EQ(p.cycle.start_day, 15);
  EXPECT_EQ(p.cycle.start_hour, 0);
  EXPECT_EQ(p.cycle.tz, "UTC");
  EXPECT_EQ(p.cycle.every_days, 0);
  EXPECT_EQ(p.thresholds, (std::vector<int>{80, 90, 100}));
  EXPECT_EQ(p.notify, std::vector<std::string>{"hook"});
  EXPECT_TRUE(p.on_cap_exec.empty());
  EXPECT_EQ(p.notify_lines, std::vector<int>{11});
  ASSERT_EQ(c->notifiers.size(), 1u);
  EXPECT_EQ(std::get<WebhookNotifier>(c->notifiers[0].kind).url, "http://127.0.0.1:9099/usage");
  EXPECT_EQ(c->find_plan("mobile"), &c->plans[0]);
  EXPECT_EQ(c->find_plan("x"), nullptr);
}

TEST(UsageConfig, TheWatchParserAcceptsTheSameFile) {
  auto w = parse_watch_config(kExample, "u.yml");
  ASSERT_TRUE(w) << w.error().message();
  ASSERT_TRUE(w->usage);
  EXPECT_EQ(w->usage->line, 2);
}

TEST(UsageConfig, DefaultsWhenOnlyTheNecessaryIsGiven) {
  auto c = parse_usage_config("usage:\n  plans:\n    - {name: a, interfaces: eth0, cap: 1GiB}\n", "u.yml");
  ASSERT_TRUE(c) << c.error().message();
  const UsagePlan& p = c->plans[0];
  EXPECT_EQ(p.cap, 1u << 30);
  EXPECT_EQ(p.count, UsageCount::both);
  EXPECT_EQ(p.cycle.start_day, 1);
  EXPECT_EQ(p.thresholds, (std::vector<int>{80, 90, 100}));
  EXPECT_FALSE(c->db);
  EXPECT_TRUE(c->notifiers.empty());
}

TEST(UsageConfig, SourcesAndTheirStableIds) {
  auto c = parse_usage_config(with_plan(R"(      cap: 5GB
      interfaces:
        - wwan0
        - { name: ppp0, label: uplink }
        - { mac: "02:00:5E:10:00:0A" }
        - { name: eth1, mac: 02-00-5e-10-00-0b }
      snmp:
        - { host: 198.18.1.1, community: secret, if: 2 }
        - { host: "[2001:db8::1]:1161", version: 3, user: mon, auth_protocol: sha-256,
            auth_password: "long enough", priv_protocol: aes, priv_password: "also long", if: eth0,
            timeout: 2s, retries: 3 }
      mrtg: "/usr/local/bin/cw2mrtg --region 'eu west' i-123"
)"),
                               "u.yml");
  ASSERT_TRUE(c) << c.error().message();
  const auto& s = c->plans[0].sources;
  ASSERT_EQ(s.size(), 7u);
  EXPECT_EQ(s[0].id, "if:name:wwan0");
  EXPECT_EQ(s[1].id, "if:label:uplink");
  EXPECT_EQ(s[1].interface, "ppp0");
  EXPECT_EQ(s[2].id, "if:mac:02:00:5e:10:00:0a");
  EXPECT_EQ(s[2].interface, "");
  EXPECT_EQ(s[3].id, "if:mac:02:00:5e:10:00:0b");
  EXPECT_EQ(s[3].interface, "eth1");
  EXPECT_EQ(s[4].kind, UsageSource::Kind::snmp);
  EXPECT_EQ(s[4].id, "snmp:198.18.1.1:2");
  EXPECT_EQ(s[4].snmp.version, 2);
  EXPECT_EQ(s[4].snmp.community, "secret");
  EXPECT_EQ(s[4].snmp.if_index, 2);
  EXPECT_EQ(s[5].id, "snmp:[2001:db8::1]:1161:name:eth0");
  EXPECT_EQ(s[5].snmp.version, 3);
  EXPECT_EQ(s[5].snmp.auth_protocol, "SHA-256");
  EXPECT_EQ(s[5].snmp.priv_protocol, "AES");
  EXPECT_EQ(s[5].snmp.timeout, 2 * kNsPerSec);
  EXPECT_EQ(s[5].snmp.retries, 3);
  EXPECT_EQ(s[6].kind, UsageSource::Kind::mrtg);
  EXPECT_EQ(s[6].mrtg_argv, (std::vector<std::string>{"/usr/local/bin/cw2mrtg", "--region", "eu west", "i-123"}));
  EXPECT_EQ(s[6].id, "mrtg:/usr/local/bin/cw2mrtg --region eu west i-123");
  EXPECT_EQ(s[6].line, 15);
}

TEST(UsageConfig, Cycles) {
  auto c = parse_usage_config(with_plan(R"(      interfaces: [eth0]
      cap: 1GB
      cycle: { start_day: 31, start_hour: 6, tz: Europe/Berlin }
)"),
                               "u.yml");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->plans[0].cycle.start_day, 31);
  EXPECT_EQ(c->plans[0].cycle.start_hour, 6);
  EXPECT_EQ(c->plans[0].cycle.tz, "Europe/Berlin");
  c = parse_usage_config(with_plan(R"(      interfaces: [eth0]
      cap: 1GB
      cycle: { every_days: 30, anchor: "2026-11-15T00:00:00+01:00", tz: Europe/Berlin }
)"),
                         "u.yml");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->plans[0].cycle.every_days, 30);
  EXPECT_EQ(c->plans[0].cycle.anchor, 1794697200);
}

TEST(UsageConfig, CountsThresholdsAndActions) {
  auto c = parse_usage_config(with_plan(R"(      interfaces: [eth0]
      cap: "1.5GB"
      count: rx
      thresholds: [50, 100, 120]
      notify: hook
      on_cap: { exec: "/usr/local/bin/sms 'over cap'", block: false }
)"),
                               "u.yml");
  ASSERT_TRUE(c) << c.error().message();
  const UsagePlan& p = c->plans[0];
  EXPECT_EQ(p.cap, 1'500'000'000u);
  EXPECT_EQ(p.count, UsageCount::rx);
  EXPECT_EQ(p.thresholds, (std::vector<int>{50, 100, 120}));
  EXPECT_EQ(p.notify, std::vector<std::string>{"hook"});
  EXPECT_EQ(p.on_cap_exec, (std::vector<std::string>{"/usr/local/bin/sms", "over cap"}));
  c = parse_usage_config(with_plan("      interfaces: [eth0]\n      cap: 1GB\n      thresholds: []\n"), "u.yml");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_TRUE(c->plans[0].thresholds.empty());
}

struct BadCase {
  std::string plan;      // the plan's body
  std::string expected;  // the whole error text
};

TEST(UsageConfig, EveryErrorNamesItsLine) {
  const BadCase cases[] = {
      {"      interfaces: [eth0]\n      cap: 0\n",
       "u.yml:5: usage.plans[0].cap: must be a byte size above 0 like 30GB (GB = 10^9 bytes) or 30GiB (2^30)"},
      {"      interfaces: [eth0]\n      cap: 30 gigs\n",
       "u.yml:5: usage.plans[0].cap: must be a byte size above 0 like 30GB (GB = 10^9 bytes) or 30GiB (2^30)"},
      {"      interfaces: [eth0]\n", "u.yml:3: usage.plans[0].cap: is required (30GB, 500GiB, ...)"},
      {"      cap: 1GB\n", "u.yml:3: usage.plans[0]: needs a source: interfaces, snmp or mrtg"},
      {"      interfaces: [eth0]\n      cap: 1GB\n      cycle: { start_day: 32 }\n",
       "u.yml:6: usage.plans[0].cycle.start_day: must be a whole number from 1 to 31, not '32'"},
      {"      interfaces: [eth0]\n      cap: 1GB\n      cycle: { start_day: 0 }\n",
       "u.yml:6: usage.plans[0].cycle.start_day: must be a whole number from 1 to 31, not '0'"},
      {"      interfaces: [eth0]\n      cap: 1GB\n      cycle: { start_hour: 24 }\n",
       "u.yml:6: usage.plans[0].cycle.start_hour: must be a whole number from 0 to 23, not '24'"},
      {"      interfaces: [eth0]\n      cap: 1GB\n      cycle: { every_days: 30, start_day: 3, anchor: \"2026-01-01T00:00:00Z\" }\n",
       "u.yml:6: usage.plans[0].cycle: every_days cycles start at anchor: start_day and start_hour are for monthly cycles"},
      {"      interfaces: [eth0]\n      cap: 1GB\n      cycle: { every_days: 30 }\n",
       "u.yml:6: usage.plans[0].cycle.anchor: is required with every_days (the start of one cycle)"},
      {"      interfaces: [eth0]\n      cap: 1GB\n      cycle: { every_days: 0, anchor: \"2026-01-01T00:00:00Z\" }\n",
       "u.yml:6: usage.plans[0].cycle.every_days: must be a whole number from 1 to 3660, not '0'"},
      {"      interfaces: [eth0]\n      cap: 1GB\n      cycle: { anchor: \"2026-01-01T00:00:00Z\" }\n",
       "u.yml:6: usage.plans[0].cycle.anchor: is only for every_days cycles"},
      {"      interfaces: [eth0]\n      cap: 1GB\n      cycle: { every_days: 7, anchor: \"2026-01-01\" }\n",
       "u.yml:6: usage.plans[0].cycle.anchor: must be an RFC 3339 time of one cycle's start (2026-11-15T00:00:00+01:00)"},
      {"      interfaces: [eth0]\n      cap: 1GB\n      cycle: { tz: ../etc/passwd }\n",
       "u.yml:6: usage.plans[0].cycle.tz: must be a time zone name like Europe/Berlin or UTC"},
      {"      interfaces: [eth0]\n      cap: 1GB\n      cycle: 15\n",
       "u.yml:6: usage.plans[0].cycle: must be a map of keys, not a single value"},
      {"      interfaces: [eth0]\n      cap: 1GB\n      count: in\n",
       "u.yml:6: usage.plans[0].count: must be rx (received), tx (sent) or both"},
      {"      interfaces: [eth0]\n      cap: 1GB\n      thresholds: [90, 80]\n",
       "u.yml:6: usage.plans[0].thresholds: must be ascending, each percent once ([80, 90, 100])"},
      {"      interfaces: [eth0]\n      cap: 1GB\n      thresholds: [0]\n",
       "u.yml:6: usage.plans[0].thresholds[0]: must be a whole number from 1 to 1000, not '0'"},
      {"      interfaces: [eth0]\n      cap: 1GB\n      notify: [pager]\n",
       "u.yml:6: usage.plans[0].notify[0]: no notifier 'pager' under notifiers:"},
      // The error points at the name, not at the plan (it was reported at the plan's line).
      {"      interfaces: [eth0]\n      cap: 1GB\n      notify:\n        - hook\n        - pager\n",
       "u.yml:8: usage.plans[0].notify[1]: no notifier 'pager' under notifiers:"},
      {"      interfaces: [eth0]\n      cap: 1GB\n      notify: pager\n",
       "u.yml:6: usage.plans[0].notify[0]: no notifier 'pager' under notifiers:"},
      // on_cap.block and its allow list.
      {"      interfaces: [eth0]\n      cap: 1GB\n      on_cap:\n        block: true\n        allow: [udp/53, \"tcp/0\"]\n",
       "u.yml:8: usage.plans[0].on_cap.allow[1]: must be udp/PORT, tcp/PORT, udp/LO-HI (ports 1..65535) or a prefix "
       "like 198.18.0.0/24 (host bits zero)"},
      {"      interfaces: [eth0]\n      cap: 1GB\n      on_cap: { block: true, allow: [\"198.18.0.1/24\"] }\n",
       "u.yml:6: usage.plans[0].on_cap.allow[0]: \"198.18.0.1/24\" has host bits set: the prefix is 198.18.0.0/24"},
      {"      interfaces: [eth0]\n      cap: 1GB\n      on_cap: { block: true, allow: [\"198.18.0.1\"] }\n",
       "u.yml:6: usage.plans[0].on_cap.allow[0]: must be udp/PORT, tcp/PORT, udp/LO-HI (ports 1..65535) or a prefix "
       "like 198.18.0.0/24 (host bits zero)"},
      {"      interfaces: [eth0]\n      cap: 1GB\n      on_cap: { block: true, allow: udp/53 }\n",
       "u.yml:6: usage.plans[0].on_cap.allow: must be a list ([\"udp/53\", \"tcp/22\", \"198.18.0.0/24\"])"},
      {"      interfaces: [eth0]\n      cap: 1GB\n      on_cap: { allow: [udp/53] }\n",
       "u.yml:6: usage.plans[0].on_cap.allow: is only for block: true"},
      {"      interfaces: [lo]\n      cap: 1GB\n      on_cap: { block: true }\n",
       "u.yml:4: usage.plans[0].on_cap.block: would block lo: loopback is never blocked"},
      {"      mrtg: cmd\n      cap: 1GB\n      on_cap: { block: true }\n",
       "u.yml:6: usage.plans[0].on_cap.block: needs an interface of this host named in interfaces: (snmp and mrtg "
       "sources cannot be blocked here)"},
      {"      interfaces: [eth0, eth0]\n      cap: 1GB\n",
       "u.yml:4: usage.plans[0]: if:name:eth0 is counted twice in this plan (also at line 4)"},
      {"      interfaces: [\"eth0/1\"]\n      cap: 1GB\n",
       "u.yml:4: usage.plans[0].interfaces[0]: must be an interface name (1..15 characters, no / : or blanks)"},
      {"      interfaces: [averyveryverylongname]\n      cap: 1GB\n",
       "u.yml:4: usage.plans[0].interfaces[0]: must be an interface name (1..15 characters, no / : or blanks)"},
      {"      interfaces: [{label: x}]\n      cap: 1GB\n",
       "u.yml:4: usage.plans[0].interfaces[0]: needs name or mac (the permanent MAC address) to find the interface"},
      {"      interfaces: [{mac: \"02:00:5e:10:00\"}]\n      cap: 1GB\n",
       "u.yml:4: usage.plans[0].interfaces[0].mac: must be a MAC address like 02:00:5e:10:00:01"},
      {"      interfaces: [eth0]\n      cap: 1GB\n      speed: 10\n", "u.yml:6: usage.plans[0].speed: unknown key (known: name, interfaces, snmp, mrtg, cap, count, cycle, "
       "thresholds, notify, on_cap)"},
      {"      snmp: { host: 198.18.1.1 }\n      cap: 1GB\n",
       "u.yml:4: usage.plans[0].snmp.if: is required (the ifIndex or the interface's name)"},
      {"      snmp: { if: 2 }\n      cap: 1GB\n", "u.yml:4: usage.plans[0].snmp.host: is required"},
      {"      snmp: { host: h, if: 2, user: u }\n      cap: 1GB\n",
       "u.yml:4: usage.plans[0].snmp: user, auth_* and priv_* are for version 3"},
      {"      snmp: { host: h, if: 2, version: 3 }\n      cap: 1GB\n",
       "u.yml:4: usage.plans[0].snmp.user: is required for version 3"},
      {"      snmp: { host: h, if: 2, version: 1 }\n      cap: 1GB\n",
       "u.yml:4: usage.plans[0].snmp.version: must be 2c (or 2) or 3"},
      {"      snmp: { host: h, if: 2, version: 3, user: u, auth_protocol: SHA, auth_password: short }\n      cap: 1GB\n",
       "u.yml:4: usage.plans[0].snmp.auth_password: must be at least 8 characters (SNMPv3 refuses shorter pass phrases)"},
      {"      snmp: { host: h, if: 2, version: 3, user: u, priv_protocol: AES, priv_password: longenough }\n      cap: 1GB\n",
       "u.yml:4: usage.plans[0].snmp: privacy needs authentication too (auth_protocol, auth_password)"},
      {"      snmp: { host: h, if: 2, version: 3, user: u, auth_protocol: SHA1, auth_password: longenough }\n      cap: 1GB\n",
       "u.yml:4: usage.plans[0].snmp.auth_protocol: must be MD5, SHA, SHA-224, SHA-256, SHA-384 or SHA-512"},
      {"      mrtg: \"cmd | tee x\"\n      cap: 1GB\n",
       "u.yml:4: usage.plans[0].mrtg: '|' would need a shell, and none runs the command: quote it, or run a script"},
      {"      mrtg: \"cmd 'open\"\n      cap: 1GB\n", "u.yml:4: usage.plans[0].mrtg: a ' is not closed"},
      {"      mrtg: []\n      cap: 1GB\n",
       "u.yml:4: usage.plans[0].mrtg: must name the command to run (\"cmd args\" or [cmd, arg, ...])"},
      {"      interfaces: [eth0]\n      cap: 1GB\n      on_cap: { block: maybe }\n",
       "u.yml:6: usage.plans[0].on_cap.block: must be true or false, not 'maybe'"},
  };
  for (const auto& c : cases) EXPECT_EQ(errors_of(with_plan(c.plan)), c.expected) << c.plan;
}

TEST(UsageConfig, BlockAllowList) {
  const struct {
    const char* text;
    bool ok;
    BlockAllow::Kind kind;
    const char* proto;
    int lo, hi;
    const char* prefix;
  } cases[] = {
      {"udp/53", true, BlockAllow::Kind::port, "udp", 53, 53, ""},
      {"tcp/6000-6010", true, BlockAllow::Kind::port, "tcp", 6000, 6010, ""},
      {"198.18.0.0/24", true, BlockAllow::Kind::prefix, "", 0, 0, "198.18.0.0/24"},
      {"2001:db8::/32", true, BlockAllow::Kind::prefix, "", 0, 0, "2001:db8::/32"},
      {"udp/0", false, {}, "", 0, 0, ""},        {"udp/65536", false, {}, "", 0, 0, ""},
      {"tcp/10-5", false, {}, "", 0, 0, ""},     {"tcp/5-", false, {}, "", 0, 0, ""},
      {"sctp/53", false, {}, "", 0, 0, ""},      {"53", false, {}, "", 0, 0, ""},
      {"198.18.0.1", false, {}, "", 0, 0, ""},   {"198.18.0.1/24", false, {}, "", 0, 0, ""},
      {"udp/53 ", false, {}, "", 0, 0, ""},      {"", false, {}, "", 0, 0, ""},
  };
  for (const auto& c : cases) {
    std::string why;
    auto a = parse_block_allow(c.text, why);
    ASSERT_EQ(a.has_value(), c.ok) << c.text;
    if (!c.ok) {
      EXPECT_FALSE(why.empty()) << c.text;
      continue;
    }
    EXPECT_EQ(a->kind, c.kind) << c.text;
    if (c.kind == BlockAllow::Kind::port) {
      EXPECT_EQ(a->proto, c.proto);
      EXPECT_EQ(a->port_lo, c.lo);
      EXPECT_EQ(a->port_hi, c.hi);
    } else {
      EXPECT_EQ(a->prefix.to_string(), c.prefix);
    }
  }
}

TEST(UsageConfig, BlockDefaultsAndOneAllowListPerFile) {
  auto c = parse_usage_config(with_plan("      interfaces: [eth0]\n      cap: 1GB\n      on_cap: { block: true }\n"), "u.yml");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_TRUE(c->plans[0].on_cap_block);
  EXPECT_EQ(c->plans[0].on_cap_allow, default_block_allow());
  EXPECT_EQ(default_block_allow().size(), 4u);  // udp/53, tcp/53, udp/67-68, udp/123
  const std::string two = "usage:\n  plans:\n"
                          "    - { name: a, interfaces: [eth0], cap: 1GB, on_cap: { block: true } }\n"
                          "    - { name: b, interfaces: [eth1], cap: 1GB, on_cap: { block: true, allow: [tcp/22] } }\n";
  EXPECT_EQ(errors_of(two), "u.yml:4: usage.plans[1].on_cap.allow: differs from the allow list of plan 'a' at line 3: "
                            "every blocking plan has the same one");
}

TEST(UsageConfig, FileLevelErrors) {
  // An empty db: would open SQLite's private temporary database: every count lost at exit.
  EXPECT_EQ(errors_of("db: \"\"\nusage:\n  plans: [{name: a, interfaces: eth0, cap: 1GB}]\n"),
            "u.yml:1: db: must not be empty");
  EXPECT_EQ(errors_of("db: x\n"), "u.yml: no usage: section");
  EXPECT_EQ(errors_of(""), "u.yml: no usage: section");
  EXPECT_EQ(errors_of("- a\n"), "u.yml:1: the file must be a map of keys (db:, usage:, notifiers:, ...)");
  EXPECT_EQ(errors_of("usage:\n"), "u.yml:1: usage.plans: needs at least one plan ({name: ..., interfaces: [...], cap: ...})");
  EXPECT_EQ(errors_of("usage:\n  plans: []\n"),
            "u.yml:2: usage.plans: needs at least one plan ({name: ..., interfaces: [...], cap: ...})");
  EXPECT_EQ(errors_of("usage:\n  poll: 10ms\n  plans: [{name: a, interfaces: eth0, cap: 1GB}]\n"),
            "u.yml:2: usage.poll: must be from 100ms to 1h");
  EXPECT_EQ(errors_of("usage:\n  plans: [{name: a, interfaces: eth0, cap: 1GB}]\nusgae: 1\n"),
            "u.yml:3: usgae: unknown key (known: listen, db, modules, defaults, targets, alerts, notifiers, history, "
            "user, peers, usage, guard, relay)");
  EXPECT_EQ(errors_of("usage:\n  plans:\n    - {name: a, interfaces: eth0, cap: 1GB}\n    - {name: a, interfaces: eth1, cap: 1GB}\n"),
            "u.yml:4: usage.plans[1].name: 'a' is already the name of the plan at line 3");
  EXPECT_EQ(errors_of("usage:\n  plans: [{name: a, interfaces: eth0, cap: 1GB}]\nnotifiers:\n  n: {webhook: ftp://x}\n"),
            "u.yml:4: notifiers.n.webhook: must be an http:// or https:// URL with a host");
  // Every problem at once, in line order.
  EXPECT_EQ(errors_of("usage:\n  plans:\n    - {name: 'a b', interfaces: eth0, cap: 0}\n"),
            "u.yml:3: usage.plans[0].name: must be 1..128 of the characters A-Z a-z 0-9 _ . : -\n"
            "u.yml:3: usage.plans[0].cap: must be a byte size above 0 like 30GB (GB = 10^9 bytes) or 30GiB (2^30)");
  EXPECT_NE(errors_of("usage: [\n").find("u.yml:2: YAML:"), std::string::npos) << errors_of("usage: [\n");
}

TEST(UsageConfig, SameSourceInTwoPlansIsFine) {
  auto c = parse_usage_config(
      "usage:\n  plans:\n    - {name: month, interfaces: eth0, cap: 30GB}\n"
      "    - {name: day, interfaces: eth0, cap: 2GB, cycle: {every_days: 1, anchor: \"2026-01-01T00:00:00Z\"}}\n",
      "u.yml");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->plans[0].sources[0].id, c->plans[1].sources[0].id);
}

TEST(UsageConfig, SplitCommand) {
  struct Case {
    const char* in;
    std::vector<std::string> words;
    const char* error;
  };
  const Case cases[] = {
      {"a b  c", {"a", "b", "c"}, ""},
      {"a 'b c' \"d e\"", {"a", "b c", "d e"}, ""},
      {"a\\ b", {"a b"}, ""},
      {"a'b'\"c\"", {"abc"}, ""},
      {"x \"q\\\"uote\"", {"x", "q\"uote"}, ""},
      {"x ''", {"x", ""}, ""},
      {"x 'a|b'", {"x", "a|b"}, ""},
      {"", {}, "names no command"},
      {"   ", {}, "names no command"},
      {"x \"$HOME\"", {}, "$ and ` inside \"...\" would need a shell; use '...'"},
      {"x;y", {}, "';' would need a shell, and none runs the command: quote it, or run a script"},
      {"x \\", {}, "ends with a lone \\"},
      {"x \"a", {}, "a \" is not closed"},
  };
  for (const auto& c : cases) {
    auto w = split_command(c.in);
    EXPECT_EQ(w.error, c.error) << c.in;
    if (!*c.error) {
      EXPECT_EQ(w.words, c.words) << c.in;
    }
  }
}

TEST(UsageConfig, Percent) {
  EXPECT_EQ(parse_percent("80%"), 80.0);
  EXPECT_EQ(parse_percent("80"), 80.0);
  EXPECT_EQ(parse_percent("99.5%"), 99.5);
  EXPECT_EQ(parse_percent("1000"), 1000.0);
  for (const char* bad : {"", "%", "0", "0%", "-5%", "1001", "80%%", "8 0", "nan", "inf", "80GB"})
    EXPECT_FALSE(parse_percent(bad)) << bad;
  EXPECT_STREQ(usage_count_word(UsageCount::rx), "rx");
  EXPECT_STREQ(usage_count_word(UsageCount::both), "both");
}

}  // namespace
}  // namespace reach::config
