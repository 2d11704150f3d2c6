// guard's rules: every OpenSSH 9.2 failure form with the address it must yield, lines that must
// not match (successful logins, post-auth disconnects), forged addresses inside user names and
// other client text, the three syslog line shapes, hostile lines, user rules and --test-rule.
#include <gtest/gtest.h>

#include <string>

#include "config/guard_config.hpp"
#include "engine/guard_rules.hpp"

namespace reach::engine {
namespace {

struct Case {
  const char* message;  // as sshd logs it (after the syslog header)
  const char* form;     // nullptr: must not match
  const char* addr;
  int weight;
};

const Case kSshd[] = {
    {"Invalid user admin from 198.18.0.5 port 52314", "invalid-user", "198.18.0.5", 1},
    {"Invalid user  from 198.18.0.5 port 52314", "invalid-user", "198.18.0.5", 1},
    {"Failed password for invalid user admin from 198.18.0.5 port 52314 ssh2", "failed-password", "198.18.0.5", 1},
    {"Failed password for root from 2001:db8:5::7 port 52314 ssh2", "failed-password", "2001:db8:5::7", 1},
    {"Failed password for root from ::ffff:198.18.0.5 port 52314 ssh2", "failed-password", "198.18.0.5", 1},
    {"Failed publickey for root from 198.18.0.5 port 52314 ssh2: RSA SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s",
     "failed-publickey", "198.18.0.5", 1},
    {"Failed publickey for invalid user git from 198.18.0.5 port 52314 ssh2: ED25519 SHA256:abc+/=", "failed-publickey",
     "198.18.0.5", 1},
    {"Failed none for invalid user admin from 198.18.0.5 port 52314 ssh2", "failed-none", "198.18.0.5", 0},
    {"Failed keyboard-interactive/pam for invalid user admin from 198.18.0.5 port 52314 ssh2", "failed-other",
     "198.18.0.5", 1},
    {"error: maximum authentication attempts exceeded for root from 198.18.0.5 port 52314 ssh2 [preauth]",
     "max-attempts", "198.18.0.5", 1},
    {"error: maximum authentication attempts exceeded for invalid user oracle from 198.18.0.5 port 52314 ssh2 [preauth]",
     "max-attempts", "198.18.0.5", 1},
    {"Disconnecting authenticating user root 198.18.0.5 port 52314: Too many authentication failures [preauth]",
     "too-many-failures", "198.18.0.5", 0},
    {"Disconnecting invalid user oracle 198.18.0.5 port 52314: Too many authentication failures [preauth]",
     "too-many-failures", "198.18.0.5", 0},
    {"Connection closed by invalid user admin 198.18.0.5 port 52314 [preauth]", "closed-invalid-user", "198.18.0.5", 0},
    {"Connection closed by authenticating user root 198.18.0.5 port 52314 [preauth]", "closed-authenticating-user",
     "198.18.0.5", 1},
    {"Connection reset by authenticating user root 198.18.0.5 port 52314 [preauth]", "closed-authenticating-user",
     "198.18.0.5", 1},
    {"Connection closed by 198.18.0.5 port 52314 [preauth]", "closed-preauth", "198.18.0.5", 1},
    {"Connection closed by 198.18.0.5 port 52314", "closed-preauth", "198.18.0.5", 1},  // after kex_exchange_identification
    {"Connection reset by 2001:db8::9 port 52314 [preauth]", "closed-preauth", "2001:db8::9", 1},
    {"Disconnected from invalid user admin 198.18.0.5 port 52314 [preauth]", "disconnected-invalid-user", "198.18.0.5",
     0},
    {"Disconnected from authenticating user root 198.18.0.5 port 52314 [preauth]", "disconnected-authenticating-user",
     "198.18.0.5", 1},
    {"Disconnected from 198.18.0.5 port 52314 [preauth]", "disconnected-preauth", "198.18.0.5", 1},
    {"Received disconnect from 198.18.0.5 port 52314:11: Bye Bye [preauth]", "received-disconnect", "198.18.0.5", 0},
    {"error: Received disconnect from 198.18.0.5 port 52314:3: com.jcraft.jsch.JSchException: Auth fail [preauth]",
     "received-disconnect", "198.18.0.5", 0},
    {"Received disconnect from 198.18.0.5 port 52314:11:  [preauth]", "received-disconnect", "198.18.0.5", 0},
    {"banner exchange: Connection from 198.18.0.5 port 52314: invalid format", "banner-exchange", "198.18.0.5", 1},
    {"Unable to negotiate with 198.18.0.5 port 52314: no matching key exchange method found. Their offer: "
     "diffie-hellman-group1-sha1 [preauth]",
     "negotiate", "198.18.0.5", 1},
    {"Unable to negotiate with 198.18.0.5 port 52314: no matching host key type found. Their offer: ssh-rsa,ssh-dss "
     "[preauth]",
     "negotiate", "198.18.0.5", 1},
    {"fatal: Timeout before authentication for 198.18.0.5 port 52314", "timeout-before-auth", "198.18.0.5", 1},
    {"User root from 198.18.0.5 not allowed because not listed in AllowUsers", "not-allowed", "198.18.0.5", 1},
    {"ssh_dispatch_run_fatal: Connection from 198.18.0.5 port 52314: message authentication code incorrect [preauth]",
     "dispatch-fatal", "198.18.0.5", 1},
    {"ssh_dispatch_run_fatal: Connection from invalid user x 198.18.0.5 port 52314: Connection corrupted [preauth]",
     "dispatch-fatal", "198.18.0.5", 1},
    {"error: PAM: Authentication failure for illegal user admin from 198.18.0.5", "pam-failure", "198.18.0.5", 0},
    {"Did not receive identification string from 198.18.0.5 port 52314", "no-identification", "198.18.0.5", 1},
    // Not failures.
    {"error: kex_exchange_identification: Connection closed by remote host", nullptr, nullptr, 0},
    {"error: kex_exchange_identification: client sent invalid protocol identifier \"GET / HTTP/1.1\"", nullptr, nullptr, 0},
    {"Accepted publickey for alice from 198.18.0.5 port 52314 ssh2: ED25519 SHA256:abc", nullptr, nullptr, 0},
    {"Accepted password for alice from 198.18.0.5 port 52314 ssh2", nullptr, nullptr, 0},
    {"Postponed keyboard-interactive for invalid user x from 198.18.0.5 port 1 ssh2 [preauth]", nullptr, nullptr, 0},
    {"Disconnected from user alice 198.18.0.5 port 52314", nullptr, nullptr, 0},
    {"Received disconnect from 198.18.0.5 port 52314:11: disconnected by user", nullptr, nullptr, 0},
    {"Connection from 198.18.0.5 port 52314 on 198.18.0.1 port 22 rdomain \"\"", nullptr, nullptr, 0},
    {"pam_unix(sshd:session): session opened for user alice(uid=1000) by (uid=0)", nullptr, nullptr, 0},
    {"Server listening on 0.0.0.0 port 22.", nullptr, nullptr, 0},
    {"Invalid user admin from UNKNOWN port 65535", nullptr, nullptr, 0},
    {"Invalid user admin from 999.1.1.1 port 1", nullptr, nullptr, 0},
};

TEST(GuardRules, EveryOpenSsh92FormYieldsItsAddress) {
  const auto rules = GuardRules::builtin();
  for (const auto& c : kSshd) {
    const std::string line = std::string("Nov 30 21:00:01 host sshd[1234]: ") + c.message;
    auto m = rules.match(line);
    if (!c.form) {
      EXPECT_FALSE(m) << c.message << " matched as " << m->form;
      continue;
    }
    ASSERT_TRUE(m) << c.message;
    EXPECT_EQ(m->rule, "sshd");
    EXPECT_EQ(m->form, c.form) << c.message;
    EXPECT_EQ(m->addr.to_string(), c.addr) << c.message;
    EXPECT_EQ(m->weight, c.weight) << c.message;
  }
}

TEST(GuardRules, EveryBuiltInFormHasATestLine) {
  const auto rules = GuardRules::builtin();
  for (const auto& form : rules.forms(0)) {
    if (form == "timed-out" || form == "bad-protocol") continue;  // covered below
    bool found = false;
    for (const auto& c : kSshd) found = found || (c.form && form == c.form);
    EXPECT_TRUE(found) << form;
  }
  auto m = rules.match("Connection from authenticating user root 198.18.0.5 port 1 timed out [preauth]", "sshd");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->form, "timed-out");
  m = rules.match("Bad protocol version identification 'GET / HTTP/1.0' from 198.18.0.5 port 1", "sshd");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->form, "bad-protocol");
}

// A client picks its user name (and its disconnect reason, its version string, its key ID);
// an address written there must never be the one taken.
TEST(GuardRules, AnAddressInClientTextIsNeverTaken) {
  const auto rules = GuardRules::builtin();
  const char* forged[] = {
      "Invalid user root from 198.18.9.9 port 22 from 198.18.0.5 port 4444",
      "Invalid user x from 198.18.9.9 port 22 [preauth] from 198.18.0.5 port 4444",
      "Failed password for invalid user root from 198.18.9.9 port 22 ssh2 from 198.18.0.5 port 4444 ssh2",
      "Failed password for root from 198.18.9.9 port 22 ssh2 from 198.18.0.5 port 4444 ssh2",
      "Failed publickey for x from 198.18.9.9 port 22 ssh2: RSA SHA256:a from 198.18.0.5 port 4444 ssh2: RSA SHA256:b",
      "error: maximum authentication attempts exceeded for invalid user a from 198.18.9.9 port 22 ssh2 from 198.18.0.5 "
      "port 4444 ssh2 [preauth]",
      "Connection closed by invalid user root 198.18.9.9 port 22 [preauth] 198.18.0.5 port 4444 [preauth]",
      "Connection closed by authenticating user root 198.18.9.9 port 22 198.18.0.5 port 4444 [preauth]",
      "Disconnected from authenticating user x 198.18.9.9 port 22 [preauth] 198.18.0.5 port 4444 [preauth]",
      "Disconnected from invalid user 198.18.9.9 port 22 [preauth] 198.18.0.5 port 4444 [preauth]",
      "Disconnecting invalid user x 198.18.9.9 port 22: Too many authentication failures [preauth] 198.18.0.5 port "
      "4444: Too many authentication failures [preauth]",
      "Received disconnect from 198.18.0.5 port 4444:11: from 198.18.9.9 port 22 [preauth]",
      "Received disconnect from 198.18.0.5 port 4444:11: Received disconnect from 198.18.9.9 port 22:11: x [preauth]",
      "Unable to negotiate with 198.18.0.5 port 4444: no matching cipher found. Their offer: x with 198.18.9.9 port 22 "
      "[preauth]",
      "ssh_dispatch_run_fatal: Connection from invalid user a 198.18.9.9 port 22: invalid format 198.18.0.5 port "
      "4444: invalid format [preauth]",
      "User x from 198.18.9.9 not allowed because listed in DenyUsers from 198.18.0.5 not allowed because not "
      "listed in AllowUsers",
      "Bad protocol version identification 'x from 198.18.9.9 port 22' from 198.18.0.5 port 4444",
      // A whole forged syslog line inside a user name: the message still starts where sshd's does.
      "Invalid user x\nNov 30 21:00:01 host sshd[9]: Failed password for root from 198.18.9.9 port 22 ssh2 from "
      "198.18.0.5 port 4444",
  };
  for (const char* msg : forged) {
    auto m = rules.match(std::string("Nov 30 21:00:01 host sshd[1234]: ") + msg);
    if (m) {
      EXPECT_EQ(m->addr.to_string(), "198.18.0.5") << msg;
    }
    // The journal hands the MESSAGE field over as it is.
    auto j = rules.match(msg, "sshd");
    if (j) {
      EXPECT_EQ(j->addr.to_string(), "198.18.0.5") << msg;
    }
    EXPECT_TRUE(m || std::string(msg).find('\n') != std::string::npos) << msg;
  }
  // A certificate's key ID is the client's text after the address: such a line is left alone.
  EXPECT_FALSE(rules.match("Failed publickey for root from 198.18.0.5 port 1 ssh2: ED25519-CERT SHA256:abc ID x from "
                           "198.18.9.9 port 22 ssh2: ED25519 SHA256:zz (serial 1) CA ED25519 SHA256:ca",
                           "sshd"));
}

TEST(GuardRules, SyslogShapesAndTheProgramFilter) {
  const auto rules = GuardRules::builtin();
  const char* msg = "Failed password for root from 198.18.0.5 port 1 ssh2";
  const std::string lines[] = {
      std::string("Nov  3 01:02:03 host sshd[1]: ") + msg,
      std::string("2026-11-30T21:00:01.123456+01:00 host sshd[1]: ") + msg,
      std::string("<38>Nov 30 21:00:01 host sshd[1]: ") + msg,
      std::string("<38>1 2026-11-30T21:00:01Z host sshd 1234 - - ") + msg,
      std::string("<38>1 2026-11-30T21:00:01Z host sshd 1234 ID47 [ex@1 a=\"x\\\"]y\"][b@2] \xEF\xBB\xBF") + msg,
      std::string("Nov 30 21:00:01 host sshd-session[1]: ") + msg,
      std::string("Nov 30 21:00:01 host sshd: ") + msg,
      msg,  // a bare message (no header): every rule of the source applies
  };
  for (const auto& l : lines) {
    auto m = rules.match(l);
    ASSERT_TRUE(m) << l;
    EXPECT_EQ(m->addr.to_string(), "198.18.0.5") << l;
  }
  EXPECT_FALSE(rules.match(std::string("Nov 30 21:00:01 host nginx[1]: ") + msg));
  EXPECT_FALSE(rules.match(std::string("<38>1 2026-11-30T21:00:01Z host cron 1 - - ") + msg));
  EXPECT_FALSE(rules.match(msg, "cron"));
  EXPECT_TRUE(rules.match(msg, "sshd"));

  auto l = split_log_line("<38>1 2026-11-30T21:00:01Z host app - - [a b=\"]\"] hello");
  EXPECT_EQ(l.program, "app");
  EXPECT_EQ(l.message, "hello");
  l = split_log_line("Nov 30 21:00:01 host postfix/smtpd[77]: warning: x");
  EXPECT_EQ(l.program, "postfix/smtpd");
  EXPECT_EQ(l.message, "warning: x");
  l = split_log_line("just text");
  EXPECT_EQ(l.program, "");
  EXPECT_EQ(l.message, "just text");
}

TEST(GuardRules, HostileLinesNeverCrashAndNeverYieldAWrongAddress) {
  const auto rules = GuardRules::builtin();
  // Over the limit: skipped whole, however it ends.
  std::string huge(10 * 1024 * 1024, 'A');
  huge += " from 198.18.9.9 port 22";
  EXPECT_FALSE(rules.match("Invalid user " + huge));
  std::string just = "Invalid user " + std::string(8192 - 40, 'a') + " from 198.18.0.5 port 1";
  ASSERT_LE(just.size(), rules.max_line());
  EXPECT_TRUE(rules.match(just, "sshd"));
  // Escape codes before the message: it no longer starts where sshd's does.
  EXPECT_FALSE(rules.match("\x1b[31mInvalid user x from 198.18.0.5 port 1", "sshd"));
  // Invalid UTF-8 and NULs in the user name: the line is still read byte by byte.
  const char hostile[] = "Invalid user \xff\xfe\xc3\x28\0x from 198.18.0.5 port 1";
  auto m = rules.match(std::string(hostile, sizeof hostile - 1), "sshd");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->addr.to_string(), "198.18.0.5");
  EXPECT_FALSE(rules.match("", "sshd"));
  EXPECT_FALSE(rules.match("\n\n\r", "sshd"));
  EXPECT_TRUE(rules.match("Invalid user x from 198.18.0.5 port 1\r", "sshd"));  // CRLF files
  // Addresses that are not addresses, and link-local zones, give no match rather than a guess.
  EXPECT_FALSE(rules.match("Invalid user x from 198.18.0.5.7 port 1", "sshd"));
  EXPECT_FALSE(rules.match("Invalid user x from fe80::1%eth0 port 1", "sshd"));
}

config::GuardConfig config_of(const std::string& yaml) {
  auto c = config::parse_guard_config(yaml, "g.yml");
  EXPECT_TRUE(c) << c.error().message();
  return c ? *c : config::GuardConfig{};
}

TEST(GuardRules, UserRulesWithHostFieldProgramAndIgnore) {
  auto c = config_of(R"(guard:
  sources: [{file: /var/log/app.log, rules: [app, sshd]}]
  rules:
    app:
      program: app
      weight: 2
      patterns:
        - '^login failed for .* from <HOST>$'
        - '^bad token from (?P<host>\S+) \(.*\)$'
      ignore: ['for healthcheck ']
)");
  auto rules = GuardRules::build(c);
  ASSERT_TRUE(rules) << rules.error().message();
  const int app = rules->find("app");
  ASSERT_GE(app, 0);
  EXPECT_EQ(rules->forms(app), (std::vector<std::string>{"patterns[0]", "patterns[1]"}));
  auto m = rules->match("Nov 30 21:00:01 h app[9]: login failed for bob from 2001:db8::7", {app});
  ASSERT_TRUE(m);
  EXPECT_EQ(m->rule, "app");
  EXPECT_EQ(m->form, "patterns[0]");
  EXPECT_EQ(m->addr.to_string(), "2001:db8::7");
  EXPECT_EQ(m->weight, 2);
  m = rules->match("bad token from 198.18.0.9 (expired)", {app}, "app");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->form, "patterns[1]");
  EXPECT_FALSE(rules->match("bad token from example.org (x)", {app}, "app"));  // names are never resolved
  EXPECT_FALSE(rules->match("login failed for healthcheck from 198.18.0.9", {app}, "app"));
  EXPECT_FALSE(rules->match("Nov 30 21:00:01 h other[9]: login failed for bob from 198.18.0.9", {app}));
  EXPECT_FALSE(rules->match("Invalid user x from 198.18.0.5 port 1", {app}, "sshd"));
  EXPECT_TRUE(rules->match("Invalid user x from 198.18.0.5 port 1", {app, rules->find("sshd")}, "sshd"));
}

TEST(GuardRules, BadPatternsAreConfigErrorsWithTheirLine) {
  struct BadRule {
    std::string patterns;
    std::string error;
  };
  const BadRule cases[] = {
      {"['from <HOST> (']", "g.yml:6: guard.rules.app.patterns[0]: not a valid RE2 pattern: missing )"},
      {"['from (?P<host>\\S+) and (?P<host>\\S+)']", "g.yml:6: guard.rules.app.patterns[0]: more than one host field"},
      {"['a<HOST>b<HOST>']", "g.yml:6: guard.rules.app.patterns[0]: more than one host field"},
      {"['x<HOST>', '(?P<Host>.*)']", "g.yml:6: guard.rules.app.patterns[1]: no host field"},
      {"['(a\\1)<HOST>']", "g.yml:6: guard.rules.app.patterns[0]: not a valid RE2 pattern: invalid escape sequence: \\1"},
      {"['((((.{1000}){1000}){1000}){1000})<HOST>']", "g.yml:6: guard.rules.app.patterns[0]: not a valid RE2 pattern: invalid repetition size: {1000}"},
      // A pattern whose program outgrows RE2's max_mem is refused, not slow.
      {"['" + [] {
         std::string p;
         for (int i = 0; i < 580; ++i) p += ".{1000}";
         return p;
       }() + "<HOST>']",
       "g.yml:6: guard.rules.app.patterns[0]: too large: RE2 would need more than 8 MiB for it"},
  };
  for (const auto& b : cases) {
    auto c = config::parse_guard_config(
        "guard:\n  sources: [{file: /l, rules: [app]}]\n  rules:\n    app:\n      patterns:\n        " + b.patterns + "\n",
        "g.yml");
    if (!c) {
      EXPECT_NE(c.error().message().find(b.error), std::string::npos) << c.error().message();
      continue;
    }
    auto r = GuardRules::build(*c);
    ASSERT_FALSE(r) << b.patterns;
    EXPECT_NE(r.error().message().find(b.error), std::string::npos) << r.error().message() << "\nwant: " << b.error;
  }
}

TEST(GuardRules, ASinglePatternForTestRule) {
  auto r = GuardRules::from_pattern("^fail from <HOST>$");
  ASSERT_TRUE(r) << r.error().message();
  const int p = r->find("pattern");
  ASSERT_GE(p, 0);
  auto rep = test_rules(*r, "fail from 198.18.0.1\nInvalid user x from 198.18.0.2 port 1\n", {p});
  EXPECT_EQ(rep.matched, 1u);
  EXPECT_EQ(rep.hits[0].match.rule, "pattern");
  // Errors name the pattern as given, not the rule and key made for it.
  const std::pair<const char*, const char*> bad[] = {
      {"fail from nothing", "--test-rule: 'fail from nothing': no host field (<HOST> or (?P<host>...))"},
      {"^fail from <HOST> (x$", "--test-rule: '^fail from <HOST> (x$': not a valid RE2 pattern: missing )"},
      {"^<HOST> [z-a]$", "--test-rule: '^<HOST> [z-a]$': not a valid RE2 pattern: invalid character class range: z-a"},
      {"<HOST> <HOST>", "--test-rule: '<HOST> <HOST>': more than one host field: which address would be banned?"},
      // A fail2ban filter line pasted as is matched nothing, silently.
      {"^%(__prefix_line)sFailed \\S+ for .* from <HOST>",
       "--test-rule: '^%(__prefix_line)sFailed \\S+ for .* from <HOST>': %(__prefix_line)s: fail2ban's %(name)s "
       "interpolation is not supported; patterns match the message after the syslog time, host and program[pid]: "
       "(drop it)"},
  };
  for (const auto& [pattern, want] : bad) {
    auto r2 = GuardRules::from_pattern(pattern);
    ASSERT_FALSE(r2) << pattern;
    EXPECT_EQ(r2.error().message(), want);
  }
}

// `--validate` and a reload: every error of the file in one pass, each with its line, the
// patterns RE2 refuses among them, and no second error caused by the first.
TEST(GuardRules, LoadReportsEveryErrorWithItsLine) {
  const std::string yaml = R"(guard:
  sources:
    - { file: /var/log/auth.log, rules: [sshd] }
    - { file: relative.log, rules: [sshd] }
    - { journal: ssh.service, rules: [app, broken, nosuch] }
  threshold: { failures: 0, window: 10m }
  allow: [ "198.18.0.1/24" ]
  rules:
    app:
      patterns:
        - '^fail from <HOST> (unclosed$'
        - 'no host here'
      ignore: [ '[z-a]' ]
    broken:
      patterns: [ '^x <HOST> y <HOST>$' ]
)";
  auto l = load_guard(yaml, "g.yml");
  ASSERT_FALSE(l);
  EXPECT_EQ(l.error().message(),
            "g.yml:4: guard.sources[1].file: must be an absolute path (/var/log/auth.log)\n"
            "g.yml:5: guard.sources[2].rules[2]: no rule 'nosuch' (built-in: sshd, relay; or define it under guard.rules)\n"
            "g.yml:6: guard.threshold.failures: must be a whole number from 1 to 100, not '0'\n"
            "g.yml:7: guard.allow[0]: \"198.18.0.1/24\" has host bits set: the prefix is 198.18.0.0/24\n"
            "g.yml:11: guard.rules.app.patterns[0]: not a valid RE2 pattern: missing )\n"
            "g.yml:12: guard.rules.app.patterns[1]: no host field (<HOST> or (?P<host>...))\n"
            "g.yml:13: guard.rules.app.ignore[0]: not a valid RE2 pattern: invalid character class range: z-a\n"
            "g.yml:15: guard.rules.broken.patterns[0]: more than one host field: which address would be banned?");
  auto good = load_guard("guard:\n  sources: [{file: /l, rules: [app]}]\n  rules: {app: {patterns: ['^x <HOST>$']}}\n", "g.yml");
  ASSERT_TRUE(good) << good.error().message();
  EXPECT_GE(good->rules.find("app"), 0);
  EXPECT_EQ(good->config.sources.size(), 1u);
}

TEST(GuardRules, TestRuleReportsEveryLine) {
  const auto rules = GuardRules::builtin();
  const std::string log =
      "Nov 30 21:00:01 h sshd[1]: Invalid user a from 198.18.0.5 port 1\n"
      "Nov 30 21:00:01 h sshd[1]: Failed password for invalid user a from 198.18.0.5 port 1 ssh2\n"
      "Nov 30 21:00:02 h sshd[2]: Accepted publickey for alice from 198.18.0.1 port 2 ssh2: ED25519 SHA256:x\n"
      "Nov 30 21:00:03 h sshd[3]: Failed password for root from 2001:db8::1 port 3 ssh2\r\n" +
      std::string(9000, 'x') + "\n" + "Nov 30 21:00:04 h sshd[4]: Invalid user b from 198.18.0.5 port 4";
  auto rep = test_rules(rules, log);
  EXPECT_EQ(rep.lines, 6u);
  EXPECT_EQ(rep.matched, 4u);
  EXPECT_EQ(rep.too_long, 1u);
  EXPECT_EQ(rep.missed, (std::vector<std::size_t>{3, 5}));
  ASSERT_EQ(rep.hits.size(), 4u);
  EXPECT_EQ(rep.hits[0].line_no, 1u);
  EXPECT_EQ(rep.hits[0].match.form, "invalid-user");
  EXPECT_EQ(rep.hits[2].line_no, 4u);
  EXPECT_EQ(rep.hits[2].match.addr.to_string(), "2001:db8::1");
  ASSERT_FALSE(rep.by_addr.empty());
  EXPECT_EQ(rep.by_addr[0], (std::pair<std::string, std::size_t>{"198.18.0.5", 3}));
  std::size_t forms_total = 0;
  for (const auto& f : rep.by_form) {
    forms_total += f.lines;
    if (f.form == "invalid-user") {
      EXPECT_EQ(f.lines, 2u);
    }
  }
  EXPECT_EQ(forms_total, 4u);
  EXPECT_EQ(rep.by_form.size(), rules.forms(0).size() + rules.forms(1).size());  // sshd and relay
  EXPECT_EQ(test_rules(rules, "a\nb\nc\n", {}, 2).missed.size(), 2u);  // bounded
}

}  // namespace
}  // namespace reach::engine
