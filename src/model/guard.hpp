#pragma once
// Result types of `reach guard`: what a rule found in a log line, the ban decisions the threshold
// engine (engine/guard_decide) hands the daemon for nftables (in batches), the answer of
// `reach guard check ADDR`, and the result of `--test-rule`. Plain values; formatters read them.
// Units: durations in ns; times in ns of the timeline the caller feeds the engine (monotonic in
// the daemon), never read by the engine itself.
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "base/ip_addr.hpp"
#include "base/ip_prefix.hpp"
#include "base/time.hpp"

namespace reach::model {

// One log line that a rule matched: the address from the line's fixed position and the form
// (pattern) that matched. `weight` is how many failures the line counts for (0: the line is
// recognised and shown, e.g. by --test-rule, but repeats an event already counted).
struct GuardMatch {
  std::string rule;  // "sshd", or the user rule's name
  std::string form;  // built-in: "invalid-user", "failed-password", ...; user rules: "patterns[N]"
  IpAddr addr;       // as logged, IPv4-mapped IPv6 already unmapped
  int weight = 1;
};

enum class GuardBanOrigin : std::uint8_t {
  threshold,   // N failures within the window
  escalated,   // several /64s of one /48 banned: the /48 too
  manual,      // `reach guard --ban` (allow-list still applies)
  restored,    // re-applied from the persistent list at start
  country,     // its first failure from a country on `countries.ban`
};

// One ban decision. `prefix` is what goes into the kernel set: an IPv4 /32 (or the configured
// ipv4_prefix), an IPv6 /64 (ipv6_prefix), an escalated /48, or a narrower prefix when the
// configured one would cover an allowed address (the ban never covers an allowed address; see
// docs/GUARD-RULES.md). `duration` is the kernel timeout to set; `until` = at + duration.
struct GuardBan {
  IpPrefix prefix;
  TimeNs at = 0;          // the time of the deciding failure (or of the manual ban)
  TimeNs duration = 0;
  TimeNs until = 0;
  int offence = 1;        // 1 = first ban of this prefix within `ban.forget`; duration doubles per offence
  int count = 0;          // failures (weights) in the window that decided it; 0 for manual/restored
  std::string rule;       // the rule of the deciding line ("sshd"); empty for manual/restored
  std::string form;       // the form of the deciding line
  GuardBanOrigin origin = GuardBanOrigin::threshold;
  std::string reason;     // one human line: "5 failures within 10m (sshd failed-password)"
  std::string country;    // ISO 3166-1 alpha-2 of the deciding source when the country rules know it
};
// An escalated /48 does not remove the /64 bans inside it: each runs out on its own timeout.

// A ban that ran out (engine::GuardDecider::expire), for the persistent list and the metrics.
// The kernel drops its element by itself (per-element timeout).
struct GuardUnban {
  IpPrefix prefix;
  TimeNs at = 0;
  bool manual = false;  // `--unban`, not the timeout
};

// Why an address is, or would be, banned (`reach guard check ADDR`).
enum class GuardVerdict : std::uint8_t {
  allowed,      // on the allow-list: never counted, never banned (`allowed_by` says which entry)
  loopback,     // 127.0.0.0/8, ::1 (and unspecified, link-local, multicast: never banned)
  own_address,  // one of the machine's own addresses
  banned,       // a ban holds it now (`ban_prefix`, `ban_until`)
  counting,     // failures in the window below the threshold
  clean,        // nothing known about it
  country_allowed,  // located in a country on `countries.allow`: never counted, never banned
};

struct GuardExplain {
  IpAddr addr;
  GuardVerdict verdict = GuardVerdict::clean;
  std::string allowed_by;   // allowed: "198.18.0.0/24 (allow)", "ssh session", ...
  IpPrefix counted_as;      // what failures are counted under and a ban covers: the /32 or /64,
                            // or the address alone where that prefix holds an allowed address
  int failures = 0;         // in the window now
  int threshold = 0;        // failures that lead to a ban
  TimeNs window = 0;
  TimeNs oldest = 0;        // time of the oldest failure still in the window (failures > 0)
  IpPrefix ban_prefix;      // banned: the prefix holding it (may be wider than counted_as)
  TimeNs ban_until = 0;
  int offences = 0;         // bans of counted_as remembered (repeat offender count)
  TimeNs next_duration = 0; // how long the next ban of counted_as would last
  std::string reason;       // one human line
  std::string country;      // ISO code when the country rules are active and know the address
  std::string country_rule; // "ban", "allow", or empty (no rule for its country, or inactive)
};

// `reach guard --test-rule RULES LOGFILE` (fail2ban-regex): per line, which rule and form
// matched and which address it yields. Lines are numbered from 1.
struct RuleTestLine {
  std::size_t line_no = 0;
  bool matched = false;
  GuardMatch match;         // when matched
};

struct RuleTestRuleCount {
  std::string rule;
  std::string form;
  std::size_t lines = 0;
};

struct RuleTestReport {
  std::size_t lines = 0;            // lines read
  std::size_t matched = 0;          // lines some rule matched
  std::size_t too_long = 0;         // lines longer than the limit (skipped, listed in missed)
  std::size_t unparsed = 0;         // lines the `relay` rule refused: not JSON, or a forged event (in missed)
  std::vector<RuleTestLine> hits;   // one per matched line, in order
  std::vector<std::size_t> missed;  // line numbers no rule matched (bounded by the caller's limit)
  std::vector<RuleTestRuleCount> by_form;  // every form of every rule tested, in rule order, 0 too
  std::vector<std::pair<std::string, std::size_t>> by_addr;  // address text -> matched lines, by count desc
};

}  // namespace reach::model
