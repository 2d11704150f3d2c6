// The watch YAML file: the issue's example as written, every error with its line, defaults,
// CLI overrides and the reload diff.
#include <gtest/gtest.h>

#include <string>

#include "config/watch_config.hpp"

namespace reach::config {
namespace {

const char* kExample = R"(listen: "127.0.0.1:9798"          # /metrics, /probe, /api/v1, /-/reload, /-/healthy
db: /var/lib/reach/watch.db        # history; created if missing
modules: blackbox.yml              # optional: a blackbox_exporter modules file, read as is
defaults: { interval: 1s, timeout: 1s }
targets:
  - { name: web1, probe: icmp, host: 198.18.1.2, packets: 5 }   # 5 pings per round
  - { name: web1-80, probe: tcp, host: 198.18.1.2, port: 80 }
  - { name: site, probe: http, url: "http://198.18.1.2/", expect_status: "200-399" }
alerts:
  - { name: down, failures: 3, successes: 2, notify: [hook] }   # consecutive rounds
notifiers:
  hook: { webhook: "http://127.0.0.1:9099/alert" }
)";

std::string errors_of(const std::string& text) {
  auto c = parse_watch_config(text, "watch.yml");
  return c ? std::string("OK") : c.error().message();
}

TEST(WatchConfig, TheIssueExampleParsesAsWritten) {
  auto c = parse_watch_config(kExample, "watch.yml");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->listen, "127.0.0.1:9798");
  EXPECT_EQ(c->db, "/var/lib/reach/watch.db");
  EXPECT_EQ(c->modules, "blackbox.yml");
  ASSERT_EQ(c->targets.size(), 3u);
  const auto& web1 = c->targets[0];
  EXPECT_EQ(web1.name, "web1");
  EXPECT_EQ(web1.probe, model::WatchProbe::icmp);
  EXPECT_EQ(web1.packets, 5);
  EXPECT_EQ(web1.interval, kNsPerSec);
  EXPECT_EQ(web1.timeout, kNsPerSec);
  EXPECT_EQ(web1.line, 6);
  EXPECT_EQ(c->targets[1].probe, model::WatchProbe::tcp);
  EXPECT_EQ(c->targets[1].port, 80);
  EXPECT_EQ(c->targets[2].probe, model::WatchProbe::http);
  EXPECT_TRUE(c->targets[2].expect_status.contains(302));
  EXPECT_FALSE(c->targets[2].expect_status.contains(404));
  ASSERT_EQ(c->alerts.size(), 1u);
  EXPECT_EQ(c->alerts[0].failures, 3);
  EXPECT_EQ(c->alerts[0].successes, 2);
  EXPECT_TRUE(c->alerts[0].flap.enabled);
  EXPECT_EQ(c->alerts[0].flap.window, 21);
  ASSERT_EQ(c->alerts[0].notify, std::vector<std::string>{"hook"});
  ASSERT_NE(c->find_notifier("hook"), nullptr);
  EXPECT_EQ(std::get<WebhookNotifier>(c->find_notifier("hook")->kind).url, "http://127.0.0.1:9099/alert");
  ASSERT_NE(c->find_target("site"), nullptr);
  EXPECT_EQ(c->find_target("nope"), nullptr);
}

TEST(WatchConfig, EmptyFileIsAConfigWithNothing) {
  EXPECT_EQ(errors_of(""), "OK");
  EXPECT_EQ(errors_of("{}"), "OK");
}

TEST(WatchConfig, EveryErrorHasItsLineAndPath) {
  struct Case {
    const char* text;
    const char* error;
  } cases[] = {
      {"targets:\n  - {name: a, host: 198.18.1.2}\n  - {name: b, probe: tcp, host: h, port: 70000}\n",
       "watch.yml:3: targets[1].port: must be a whole number from 1 to 65535, not '70000'"},
      {"listen: nowhere\n", "watch.yml:1: listen: must be host:port, [v6]:port or :port (port 1..65535)"},
      {"lisen: x\n", "watch.yml:1: lisen: unknown key (known: listen, db, modules, defaults, targets, alerts, "
                     "notifiers, history, user, peers, usage, guard, relay)"},
      {"peers: {urls: ['http://198.18.2.1:9798']}\nalerts:\n  - {name: d, quorum: 3}\n",
       "watch.yml:3: alerts[0].quorum: 3 agents cannot be reached with 1 peers (this agent and its peers: at most 2)"},
      {"peers: {urls: ['198.18.2.1:9798']}\n",
       "watch.yml:1: peers.urls[0]: must be an http:// or https:// URL with a host (another agent's listen)"},
      {"peers: {urls: [], interval: 1s, timeout: 2s}\n", "watch.yml:1: peers.timeout: must not be above peers.interval"},
      {"peers: {urls: [], interval: 5s, stale: 2s}\n", "watch.yml:1: peers.stale: must not be below peers.interval"},
      {"alerts:\n  - {name: d, quorum: 0}\n", "watch.yml:2: alerts[0].quorum: must be a whole number from 1 to 1000, not '0'"},
      {"targets:\n  - {name: a, probe: tcp, host: h}\n",
       "watch.yml:2: targets[0].port: is required for probes tcp, syn and udp"},
      // A new-user test: these passed --validate and stayed down for ever.
      {"targets:\n  - {name: a, probe: tcp, host: '::1:18500', port: 1}\n  - {name: b, host: '::1%lo'}\n"
       "  - {name: c, host: '[::1]'}\n  - {name: d, host: '2001:db8::1'}\n  - {name: e, host: '[::1]:80'}\n",
       "watch.yml:2: targets[0].host: \"::1:18500\" is not an IPv6 address (no port or zone here; the port goes "
       "under port:)\n"
       "watch.yml:3: targets[1].host: \"::1%lo\" is not an IPv6 address (no port or zone here; the port goes under "
       "port:)\n"
       "watch.yml:6: targets[4].host: \"[::1]:80\" is not an IPv6 address (no port or zone here; the port goes under "
       "port:)"},
      {"targets:\n  - {name: a, probe: http, host: h}\n",
       "watch.yml:2: targets[0].host: probe http takes url (host and port are in it)\n"
       "watch.yml:2: targets[0].url: is required for probe http"},
      {"targets:\n  - {name: a, host: h}\n  - {name: a, host: g}\n",
       "watch.yml:3: targets[1].name: 'a' is already the name of the target at line 2"},
      {"targets:\n  - {name: a, host: h, interval: 1s, timeout: 2s}\n",
       "watch.yml:2: targets[0].timeout: 2s is longer than the interval 1s"},
      {"targets:\n  - {name: a, host: h, interval: 0}\n",
       "watch.yml:2: targets[0].interval: must be from 10ms to 1d"},
      {"targets:\n  - {name: a, host: h, interval: 1.5s}\n",
       "watch.yml:2: targets[0].interval: '1.5s' is not a duration like 1s, 500ms, 1m30s (units y w d h m s ms)"},
      {"alerts:\n  - {name: down, notify: [pager]}\n",
       "watch.yml:2: alerts[0].notify[0]: no notifier 'pager' under notifiers:"},
      {"targets:\n  - {name: a, host: h}\nalerts:\n  - {name: d, targets: [a, b, 'web*']}\n",
       "watch.yml:4: alerts[0].targets[1]: no target named 'b'"},
      {"alerts:\n  - {name: d, flap: {low: 40, high: 30}}\n", "watch.yml:2: alerts[0].flap: low must not be above high"},
      {"notifiers:\n  m: {smtp: 'smtp://h:25', to: [a@b]}\n", "watch.yml:2: notifiers.m.from: is required for smtp"},
      {"notifiers:\n  s: {syslog: 'udp://h:99999'}\n",
       "watch.yml:2: notifiers.s.syslog: must be udp://host[:port], tcp://host[:port] or local"},
      {"notifiers:\n  x: {exec: []}\n", "watch.yml:2: notifiers.x.exec: must name the command to run ([/path/cmd, arg...])"},
      {"notifiers:\n  x: {webhook: 'http://h/', exec: [a]}\n",
       "watch.yml:2: notifiers.x: needs exactly one of webhook, smtp, syslog, exec"},
      {"targets: [ {name: a\n", "watch.yml:2: YAML: end of map flow not found"},
      {"targets:\n  - {name: a, host: h, labels: {__x: 1, target: 2}}\n",
       "watch.yml:2: targets[0].labels.__x: label names are [a-zA-Z_][a-zA-Z0-9_]*, not starting with __, and not "
       "target, probe or module\nwatch.yml:2: targets[0].labels.target: label names are [a-zA-Z_][a-zA-Z0-9_]*, not "
       "starting with __, and not target, probe or module"},
      {"alerts:\n  - name: m\n    maintenance:\n      - {from: '2026-12-24T22:00:00Z', to: '2026-12-24T21:00:00Z'}\n",
       "watch.yml:4: alerts[0].maintenance[0]: from must be before to"},
      {"alerts:\n  - name: m\n    maintenance:\n      - {days: [sat, sunday, blursday], from: '02:00', to: '04:00'}\n",
       "watch.yml:4: alerts[0].maintenance[0].days: 'blursday' is not a day (mon..sun, or a range like mon-fri)"},
      {"history: {raw: 10s}\n", "watch.yml:1: history.raw: must be from 1m to 100y"},
      {"targets:\n  - {name: a, probe: dns, host: h}\n", "watch.yml:2: targets[0].dns.name: is required"},
      {"- a\n- b\n", "watch.yml:1: the file must be a map of keys (listen:, targets:, ...)"},
      {"targets:\n  - {name: a, host: h, host: g}\n", "watch.yml:2: targets[0].host: given twice"},
  };
  for (const auto& c : cases) EXPECT_EQ(errors_of(c.text), c.error) << c.text;
}

// An IPv6 target is named as it is written with its port ([::1]:8080, RFC 5952 §6), and a dns
// target's server from host and port is bracketed the same way (base/address join_host_port).
// An http body is read to 1 MiB by default (a 200 that streams for ever was a timeout, and a
// 1 s interval pulled hundreds of MB a round); defaults.body_size_limit and the target's own
// key change it, 0 lifts it.
TEST(WatchConfig, HttpBodySizeLimitDefaultsToOneMebibyte) {
  auto c = parse_watch_config(R"(
targets:
  - { name: a, url: "http://198.18.1.2/" }
  - { name: b, url: "http://198.18.1.2/", body_size_limit: 64KiB }
  - { name: c, url: "http://198.18.1.2/", body_size_limit: 0 }
)", "watch.yml");
  ASSERT_TRUE(c.has_value()) << c.error().message();
  EXPECT_EQ(c->targets[0].body_size_limit, 1048576u);
  EXPECT_EQ(c->targets[1].body_size_limit, 65536u);
  EXPECT_EQ(c->targets[2].body_size_limit, 0u);
  auto d = parse_watch_config(R"(
targets:
  - { name: a, url: "http://198.18.1.2/" }
  - { name: b, url: "http://198.18.1.2/", body_size_limit: 2MB }
defaults: { body_size_limit: 10MiB }
)", "watch.yml");
  ASSERT_TRUE(d.has_value()) << d.error().message();
  EXPECT_EQ(d->targets[0].body_size_limit, 10485760u);
  EXPECT_EQ(d->targets[1].body_size_limit, 2000000u);
  // A changed limit is a changed verdict for a reload.
  auto e = parse_watch_config("targets:\n  - { name: a, url: \"http://198.18.1.2/\", body_size_limit: 1KiB }\n", "w");
  ASSERT_TRUE(e.has_value());
  auto changed = diff(*c, *e).changed;
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_TRUE(changed[0].name == "a" && changed[0].verdict && !changed[0].probe);
  const std::string bad = errors_of("targets:\n  - { name: a, url: \"http://h/\", body_size_limit: 1mb }\n");
  EXPECT_TRUE(bad.starts_with("watch.yml:2: targets[0].body_size_limit: '1mb'") && bad.ends_with("(0 = no limit)")) << bad;
  EXPECT_EQ(errors_of("targets:\n  - { name: a, host: h, port: 80, body_size_limit: 1KiB }\n"),
            "watch.yml:2: targets[0].body_size_limit: only for probe http");
}

TEST(WatchConfig, TargetNamesMayHoldTheBracketsOfAnIpv6Address) {
  auto c = parse_watch_config(R"(
targets:
  - {name: "[2001:db8::1]:80", probe: tcp, host: "2001:db8::1", port: 80}
  - {name: "[2001:db8::53]_example.org", host: "2001:db8::53", port: 5353, dns: {name: example.org}}
  - {name: "198.18.0.53_example.org", host: 198.18.0.53, port: 53, dns: {name: example.org}}
)", "w.yml");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->targets[0].name, "[2001:db8::1]:80");
  EXPECT_NE(c->find_target("[2001:db8::1]:80"), nullptr);
  EXPECT_EQ(c->targets[1].dns.server, "[2001:db8::53]:5353");
  EXPECT_EQ(c->targets[2].dns.server, "198.18.0.53:53");
  EXPECT_EQ(errors_of("targets:\n  - {name: a/b, host: h}\n"),
            "watch.yml:2: targets[0].name: must be 1..128 of the characters A-Z a-z 0-9 _ . : - [ ]");
}

TEST(WatchConfig, ProbeIsInferredAndPacketsFollowTheInterval) {
  auto c = parse_watch_config(R"(
defaults: {interval: 5s}
targets:
  - {name: a, host: 198.18.1.2}
  - {name: b, host: 198.18.1.2, port: 22}
  - {name: c, url: "https://198.18.1.2/", cert_days: 14}
  - {name: d, dns: {server: 198.18.0.53, name: example.org, type: aaaa}}
  - {name: e, host: 198.18.1.2, interval: 5m}
  - {name: f, host: 198.18.1.2, interval: 500ms}
)", "w.yml");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->targets[0].probe, model::WatchProbe::icmp);
  EXPECT_EQ(c->targets[0].packets, 5);
  EXPECT_EQ(c->targets[0].timeout, kNsPerSec);
  EXPECT_EQ(c->targets[1].probe, model::WatchProbe::tcp);
  EXPECT_EQ(c->targets[1].packets, 1);
  EXPECT_EQ(c->targets[2].probe, model::WatchProbe::http);
  EXPECT_EQ(c->targets[2].cert_days, 14);
  EXPECT_EQ(c->targets[3].probe, model::WatchProbe::dns);
  EXPECT_EQ(c->targets[3].dns.type, "AAAA");
  EXPECT_EQ(c->targets[4].packets, 20);
  EXPECT_EQ(c->targets[5].packets, 1);
  EXPECT_EQ(c->targets[5].timeout, 500 * kNsPerMs);  // the default's 1 s, clamped to the interval
}

TEST(WatchConfig, AlertsNotifiersAndMaintenance) {
  auto c = parse_watch_config(R"(
targets:
  - {name: web1, host: 198.18.1.2}
  - {name: db1, host: 198.18.1.3}
alerts:
  - name: down
    failures: 5
    successes: 1
    flap: {window: 30, low: 10, high: 25}
    reminder: 4h
    notify: [hook, mail, log, run]
    targets: ["web*"]
    maintenance:
      - {from: "2026-12-24T22:00:00+01:00", to: "2026-12-25T06:00:00Z"}
      - {days: [sat, sun, mon-tue], from: "22:00", to: "02:00", tz: Europe/Paris}
  - {name: quiet, flap: false}
notifiers:
  hook: {webhook: "https://198.18.0.9/alert", timeout: 5s, headers: {Authorization: "Bearer x"}}
  mail: {smtp: "smtp://198.18.0.25:25", from: reach@example.org, to: [ops@example.org], starttls: false}
  log: {syslog: "udp://[2001:db8::1]:5514", facility: local3, app_name: reach-watch}
  run: {exec: [/usr/local/bin/sms, "+33600000000"], timeout: 3s}
history: {raw: 24h, minute: 7d, hour: 1y}
user: reach
usage:
  poll: 1s
  plans: []
guard: {threshold: {failures: 5}}
)", "w.yml");
  ASSERT_TRUE(c) << c.error().message();
  const auto& a = c->alerts[0];
  EXPECT_EQ(a.failures, 5);
  EXPECT_EQ(a.flap.window, 30);
  EXPECT_EQ(a.reminder, 4 * 3600 * kNsPerSec);
  EXPECT_TRUE(a.applies_to("web1"));
  EXPECT_FALSE(a.applies_to("db1"));
  EXPECT_TRUE(c->alerts[1].applies_to("db1"));
  EXPECT_FALSE(c->alerts[1].flap.enabled);
  ASSERT_EQ(a.maintenance.size(), 1u);
  EXPECT_EQ(a.maintenance[0].from, 1798146000);  // 2026-12-24T21:00:00Z
  EXPECT_EQ(a.maintenance[0].to, 1798178400);
  ASSERT_EQ(a.weekly.size(), 1u);
  EXPECT_EQ(a.weekly[0].days, 0b1100011);
  EXPECT_EQ(a.weekly[0].from_minute, 22 * 60);
  EXPECT_EQ(a.weekly[0].to_minute, 2 * 60);
  EXPECT_EQ(a.weekly[0].tz, "Europe/Paris");
  auto& log = std::get<SyslogNotifier>(c->find_notifier("log")->kind);
  EXPECT_EQ(log.transport, SyslogNotifier::Transport::udp);
  EXPECT_EQ(log.host, "2001:db8::1");
  EXPECT_EQ(log.port, 5514);
  EXPECT_EQ(log.facility, 19);
  EXPECT_FALSE(std::get<EmailNotifier>(c->find_notifier("mail")->kind).starttls);
  EXPECT_EQ(std::get<ExecNotifier>(c->find_notifier("run")->kind).argv.size(), 2u);
  EXPECT_EQ(c->history.minute, 7 * 86400 * kNsPerSec);
  EXPECT_EQ(c->user, "reach");
  ASSERT_TRUE(c->usage);
  EXPECT_EQ(c->usage->line, 24);
  EXPECT_EQ(c->usage->yaml, "usage:\n  poll: 1s\n  plans: []\n");
  ASSERT_TRUE(c->guard);
  EXPECT_EQ(c->guard->yaml, "guard: {threshold: {failures: 5}}\n");
  EXPECT_FALSE(c->relay);
}

TEST(WatchConfig, PeersAndQuorum) {
  auto c = parse_watch_config(R"(
peers:
  urls: ["http://198.18.2.1:9798", "https://[2001:db8::3]:9798"]
  interval: 2s
targets:
  - {name: web1, host: 198.18.1.2}
alerts:
  - {name: down, quorum: 2}
  - {name: here}
)",
                              "watch.yml");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->peers.urls, (std::vector<std::string>{"http://198.18.2.1:9798", "https://[2001:db8::3]:9798"}));
  EXPECT_EQ(c->peers.interval, 2 * kNsPerSec);
  EXPECT_EQ(c->peers.timeout, kNsPerSec);
  EXPECT_EQ(c->peers.stale, 10 * kNsPerSec);
  EXPECT_EQ(c->alerts[0].quorum, 2);
  EXPECT_EQ(c->alerts[1].quorum, 0);
  auto d = parse_watch_config("targets:\n  - {name: web1, host: 198.18.1.2}\n", "watch.yml");
  ASSERT_TRUE(d);
  EXPECT_TRUE(diff(*d, *c).peers_changed);
  EXPECT_TRUE(diff(*d, *c).alerts_changed);
  EXPECT_FALSE(diff(*c, *c).peers_changed);
}

TEST(WatchConfig, FlagsOverrideTheFileButNotWhatATargetSetItself) {
  auto c = parse_watch_config(R"(
listen: ":9798"
defaults: {interval: 10s, timeout: 2s}
targets:
  - {name: a, host: h}
  - {name: b, host: h, interval: 30s, timeout: 5s, packets: 3}
)", "w.yml");
  ASSERT_TRUE(c) << c.error().message();
  WatchOverrides f;
  f.listen = "127.0.0.1:1";
  f.interval = 2 * kNsPerSec;
  auto o = apply_overrides(*c, f);
  ASSERT_TRUE(o) << o.error().message();
  EXPECT_EQ(o->listen, "127.0.0.1:1");
  EXPECT_EQ(o->targets[0].interval, 2 * kNsPerSec);
  EXPECT_EQ(o->targets[0].timeout, 2 * kNsPerSec);
  EXPECT_EQ(o->targets[0].packets, 2);
  EXPECT_EQ(o->targets[1].interval, 30 * kNsPerSec);
  EXPECT_EQ(o->targets[1].packets, 3);
  f.interval = kNsPerSec;  // below the file's default timeout of 2 s
  auto bad = apply_overrides(*c, f);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message(), "w.yml: --interval: the timeout is longer than the interval");
  ASSERT_NE(o->find_target("b"), nullptr);  // the index survives the copy
}

TEST(WatchConfig, DiffSaysWhatAReloadKeeps) {
  auto before = parse_watch_config(R"(
targets:
  - {name: a, host: 198.18.1.2}
  - {name: b, host: 198.18.1.3}
  - {name: c, host: 198.18.1.4, port: 22}
  - {name: d, host: 198.18.1.5, labels: {site: par}}
)", "w.yml");
  auto after = parse_watch_config(R"(
targets:
  - {name: e, host: 198.18.1.6}
  - {name: d, host: 198.18.1.5, labels: {site: ams}}
  - {name: c, host: 198.18.1.4, port: 22, interval: 2s}
  - {name: a, host: 198.18.1.2}
notifiers:
  h: {webhook: "http://h/"}
)", "w.yml");
  ASSERT_TRUE(before && after);
  auto d = diff(*before, *after);
  EXPECT_EQ(d.added, std::vector<std::string>{"e"});
  EXPECT_EQ(d.removed, std::vector<std::string>{"b"});
  EXPECT_EQ(d.unchanged, std::vector<std::string>{"a"});
  ASSERT_EQ(d.changed.size(), 2u);
  EXPECT_EQ(d.changed[0].name, "c");
  EXPECT_TRUE(d.changed[0].schedule);
  EXPECT_FALSE(d.changed[0].probe);
  EXPECT_EQ(d.changed[1].name, "d");
  EXPECT_TRUE(d.changed[1].labels);
  EXPECT_TRUE(d.notifiers_changed);
  EXPECT_FALSE(d.alerts_changed);
}

}  // namespace
}  // namespace reach::config
