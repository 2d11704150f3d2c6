// The `guard:` section: the issue's example as written, every key a fail2ban/sshguard user looks
// for, and each error with the file's own line and the key's path.
#include <gtest/gtest.h>

#include <string>

#include "config/guard_config.hpp"

namespace reach::config {
namespace {

const char* kIssueExample = R"(guard:
  sources: [ { file: /var/log/auth.log, rules: [sshd] } ]   # or { journal: ssh.service, rules: [sshd] }
  threshold: { failures: 5, window: 10m }
  ban: { time: 1h, ipv6_prefix: 64 }
  allow: [ "198.18.0.0/24" ]
)";

std::string errors_of(const std::string& text) {
  auto c = parse_guard_config(text, "g.yml");
  return c ? std::string("OK") : c.error().message();
}

TEST(GuardConfig, TheIssueExampleParsesAsWritten) {
  auto c = parse_guard_config(kIssueExample, "g.yml");
  ASSERT_TRUE(c) << c.error().message();
  ASSERT_EQ(c->sources.size(), 1u);
  EXPECT_EQ(c->sources[0].kind, GuardSource::Kind::file);
  EXPECT_EQ(c->sources[0].path, "/var/log/auth.log");
  EXPECT_EQ(c->sources[0].rules, std::vector<std::string>{"sshd"});
  EXPECT_EQ(c->sources[0].line, 2);
  EXPECT_EQ(c->threshold.failures, 5);
  EXPECT_EQ(c->threshold.window, 600 * kNsPerSec);
  EXPECT_EQ(c->ban.time, 3600 * kNsPerSec);
  EXPECT_EQ(c->ban.ipv6_prefix, 64);
  EXPECT_EQ(c->ban.ipv4_prefix, 32);
  EXPECT_EQ(c->ban.max_time, 7 * 86400 * kNsPerSec);
  EXPECT_DOUBLE_EQ(c->ban.factor, 2.0);
  EXPECT_EQ(c->ban.ipv6_escalate_prefix, 48);
  EXPECT_EQ(c->ban.ipv6_escalate_after, 3);
  ASSERT_EQ(c->allow.size(), 1u);
  EXPECT_EQ(c->allow[0].to_string(), "198.18.0.0/24");
  EXPECT_EQ(c->allow_lines, std::vector<int>{5});
  EXPECT_TRUE(c->allow_ssh_client);
  EXPECT_EQ(c->max_line, 8192u);
  EXPECT_EQ(c->nft_idle, 30 * kNsPerSec);
}

TEST(GuardConfig, JournalSourcesUserRulesNotifiersAndEscalation) {
  auto c = parse_guard_config(R"(db: /var/lib/reach/watch.db
guard:
  sources:
    - { journal: ssh.service, rules: [sshd] }
    - file: /var/log/myapp.log
      rules: myapp
  threshold: { failures: 3, window: 1h, max_sources: 50000 }
  ban:
    time: 10m
    max_time: 4w
    factor: 3
    forget: 2d
    ipv4_prefix: 32
    ipv6_prefix: 56
    ipv6_escalate: { prefix: 40, after: 5 }
  allow: [ 198.18.0.7, "2001:db8:1::/48" ]
  allow_ssh_client: false
  state: /var/lib/reach/guard.bans
  max_line: 4KiB
  nft_idle: 0s
  notify: [hook]
  rules:
    myapp:
      program: myapp
      weight: 2
      patterns:
        - '^login failed for .* from <HOST>$'
        - '^bad token from (?P<host>\S+)$'
      ignore: ['from 198\.18\.0\.']
notifiers:
  hook: { webhook: "http://127.0.0.1:9099/guard" }
)",
                             "g.yml");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->db, "/var/lib/reach/watch.db");
  ASSERT_EQ(c->sources.size(), 2u);
  EXPECT_EQ(c->sources[0].kind, GuardSource::Kind::journal);
  EXPECT_EQ(c->sources[0].unit, "ssh.service");
  EXPECT_EQ(c->sources[1].rules, std::vector<std::string>{"myapp"});
  EXPECT_EQ(c->threshold.failures, 3);
  EXPECT_EQ(c->threshold.max_sources, 50000u);
  EXPECT_EQ(c->ban.time, 600 * kNsPerSec);
  EXPECT_EQ(c->ban.max_time, 28 * 86400 * kNsPerSec);
  EXPECT_DOUBLE_EQ(c->ban.factor, 3.0);
  EXPECT_EQ(c->ban.forget, 2 * 86400 * kNsPerSec);
  EXPECT_EQ(c->ban.ipv6_prefix, 56);
  EXPECT_EQ(c->ban.ipv6_escalate_prefix, 40);
  EXPECT_EQ(c->ban.ipv6_escalate_after, 5);
  ASSERT_EQ(c->allow.size(), 2u);
  EXPECT_EQ(c->allow[0].to_string(), "198.18.0.7/32");
  EXPECT_FALSE(c->allow_ssh_client);
  EXPECT_EQ(c->state, "/var/lib/reach/guard.bans");
  EXPECT_EQ(c->max_line, 4096u);
  EXPECT_EQ(c->nft_idle, 0);
  EXPECT_EQ(c->notify, std::vector<std::string>{"hook"});
  ASSERT_EQ(c->notifiers.size(), 1u);
  const GuardRuleDef* r = c->find_rule("myapp");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->programs, std::vector<std::string>{"myapp"});
  EXPECT_EQ(r->weight, 2);
  ASSERT_EQ(r->patterns.size(), 2u);
  EXPECT_EQ(r->pattern_lines, (std::vector<int>{27, 28}));
  EXPECT_EQ(r->ignore.size(), 1u);
}

TEST(GuardConfig, ShortBanTimeRaisesTheDefaultCapButNotAGivenOne) {
  auto c = parse_guard_config("guard:\n  sources: [{file: /l}]\n  ban: {time: 30d}\n", "g.yml");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->ban.max_time, c->ban.time);
  EXPECT_EQ(c->sources[0].rules, std::vector<std::string>{"sshd"});  // sshd when no rules are named
  EXPECT_EQ(errors_of("guard:\n  sources: [{file: /l}]\n  ban: {time: 2h, max_time: 1h}\n"),
            "g.yml:3: guard.ban.max_time: must not be shorter than ban.time");
}

struct Bad {
  const char* name;
  std::string body;  // under "guard:\n"
  std::string error;
};

TEST(GuardConfig, ErrorsNameTheKeyAndTheLine) {
  const std::string src = "  sources: [{file: /var/log/auth.log}]\n";
  const Bad cases[] = {
      {"unknown key", src + "  thresold: {failures: 5}\n", "g.yml:3: guard.thresold: unknown key"},
      {"relative file", "  sources: [{file: auth.log}]\n", "g.yml:2: guard.sources[0].file: must be an absolute path"},
      {"both kinds", "  sources: [{file: /a, journal: ssh.service}]\n", "g.yml:2: guard.sources[0]: has both file and journal"},
      {"no kind", "  sources: [{rules: [sshd]}]\n", "g.yml:2: guard.sources[0]: needs file: PATH or journal: UNIT"},
      {"unknown rule", "  sources: [{file: /a, rules: [sshd, nope]}]\n", "g.yml:2: guard.sources[0].rules[1]: no rule 'nope'"},
      {"no sources", "  threshold: {failures: 5}\n", "g.yml:1: guard.sources: needs at least one source"},
      {"failures range", src + "  threshold: {failures: 0}\n", "g.yml:3: guard.threshold.failures: must be"},
      {"window", src + "  threshold: {window: 10 minutes}\n", "g.yml:3: guard.threshold.window:"},
      {"prefix with host bits", src + "  allow: [198.18.0.1/24]\n", "g.yml:3: guard.allow[0]: \"198.18.0.1/24\" has host bits set: the prefix is 198.18.0.0/24"},
      {"v6 prefix range", src + "  ban: {ipv6_prefix: 128}\n", "g.yml:3: guard.ban.ipv6_prefix: must be"},
      {"escalation not wider", src + "  ban: {ipv6_prefix: 48}\n", "g.yml:3: guard.ban.ipv6_escalate.prefix: must be shorter than ipv6_prefix (48)"},
      {"builtin name", src + "  rules: {sshd: {patterns: ['<HOST>']}}\n", "g.yml:3: guard.rules.sshd: 'sshd' is a built-in rule"},
      {"no host field", src + "  rules:\n    app:\n      patterns: ['failed from \\S+']\n",
       "g.yml:5: guard.rules.app.patterns[0]: no host field (<HOST> or (?P<host>...))"},
      {"no patterns", src + "  rules:\n    app: {program: app}\n", "g.yml:4: guard.rules.app.patterns: is required"},
      {"missing notifier", src + "  notify: [pager]\n", "g.yml:1: guard.notify[0]: no notifier 'pager' under notifiers:"},
      {"max_line", src + "  max_line: 10\n", "g.yml:3: guard.max_line: must be a size from 256 to 1MiB"},
      {"same file twice", "  sources: [{file: /a}, {file: /a}]\n", "g.yml:2: guard.sources: file /a is read twice"},
  };
  for (const auto& c : cases) {
    auto got = errors_of("guard:\n" + c.body);
    EXPECT_NE(got.find(c.error), std::string::npos) << c.name << "\n got: " << got << "\nwant: " << c.error;
  }
}

// One mistake, one error: a source after a dropped one keeps its own index, a rule that is
// defined wrongly is not also "no rule" for its source, sources that are all wrong are not also
// "needs at least one source", and an empty pattern list is said.
TEST(GuardConfig, OneMistakeIsOneErrorAtItsOwnPlace) {
  struct Case {
    const char* name;
    std::string body;
    std::string errors;
  };
  const Case cases[] = {
      {"index after a dropped source", "  sources:\n    - {file: rel}\n    - {journal: ssh.service, rules: [sshd, nope]}\n",
       "g.yml:3: guard.sources[0].file: must be an absolute path (/var/log/auth.log)\n"
       "g.yml:4: guard.sources[1].rules[1]: no rule 'nope' (built-in: sshd, relay; or define it under guard.rules)"},
      {"rule defined wrongly", "  sources: [{file: /a, rules: [app]}]\n  rules: {app: 5}\n",
       "g.yml:3: guard.rules.app: must be a map ({patterns: [...]})"},
      {"every source wrong", "  sources: [{file: rel}]\n",
       "g.yml:2: guard.sources[0].file: must be an absolute path (/var/log/auth.log)"},
      {"empty patterns", "  sources: [{file: /a, rules: [app]}]\n  rules: {app: {patterns: []}}\n",
       "g.yml:3: guard.rules.app.patterns: needs at least one pattern with <HOST>"},
  };
  for (const auto& c : cases) EXPECT_EQ(errors_of("guard:\n" + c.body), c.errors) << c.name;
}

// The pattern check the engine passes in (RE2) reports with the pattern's own line, beside the
// other errors; without it patterns are only shape-checked.
TEST(GuardConfig, PatternCheckJoinsTheOtherErrors) {
  const std::string text = "guard:\n  sources: [{file: rel, rules: [app]}]\n  rules:\n    app:\n      patterns: ['a <HOST>', 'b <HOST>']\n"
                           "      ignore: ['c']\n";
  auto check = [](std::string_view p, bool host) { return p == "b <HOST>" && host ? "bad b" : p == "c" && !host ? "bad c" : ""; };
  auto c = parse_guard_config(text, "g.yml", check);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message(),
            "g.yml:2: guard.sources[0].file: must be an absolute path (/var/log/auth.log)\n"
            "g.yml:5: guard.rules.app.patterns[1]: bad b\n"
            "g.yml:6: guard.rules.app.ignore[0]: bad c");
}

TEST(GuardConfig, NoGuardSectionAndNonMapsAreErrorsNotCrashes) {
  EXPECT_EQ(errors_of("db: /x\n"), "g.yml: no guard: section");
  EXPECT_NE(errors_of("guard: [1, 2]\n").find("g.yml:1: guard:"), std::string::npos);
  EXPECT_NE(errors_of("- a\n").find("must be a map"), std::string::npos);
  EXPECT_NE(errors_of("guard: {sources: [{file: /a}]\n").find("g.yml"), std::string::npos);  // YAML syntax
}

TEST(GuardConfig, OtherSectionsKeysAreLeftToTheirParsers) {
  auto c = parse_guard_config(std::string("listen: 127.0.0.1:9798\ntargets: [{name: a, host: 198.18.0.1}]\n") +
                                  kIssueExample,
                              "g.yml");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->sources[0].line, 4);
}

}  // namespace
}  // namespace reach::config
