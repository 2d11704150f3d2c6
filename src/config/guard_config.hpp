#pragma once
// The `guard:` section of the one YAML file (shared with `reach watch` and `reach usage`), parsed
// from the whole file so errors carry the file's own line numbers; `notifiers:` is read by the
// same parser as watch's (config/config_words). Pure: text in, a GuardConfig or every error.
// Patterns are only shape-checked here; engine::GuardRules::build compiles them (RE2) and turns a
// bad pattern into a ConfigError with the pattern's own line. Every key: docs/GUARD-RULES.md.
//
//   guard:
//     sources: [ { file: /var/log/auth.log, rules: [sshd] } ]   # or { journal: ssh.service, rules: [sshd] }
//     threshold: { failures: 5, window: 10m }
//     ban: { time: 1h, ipv6_prefix: 64 }
//     allow: [ "198.18.0.0/24" ]
//     geo_db: /var/lib/GeoIP/GeoLite2-Country.mmdb   # optional; else the default directories
//     countries: { ban: [CN, RU], allow: [DE] }
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/ip_prefix.hpp"
#include "base/time.hpp"
#include "config/watch_config.hpp"

namespace reach::config {

// Where lines come from. `file`: a path followed through rotation and truncation; `journal`: a
// systemd unit ("ssh.service") whose MESSAGE fields are read (the identifier is known apart).
struct GuardSource {
  enum class Kind : std::uint8_t { file, journal } kind = GuardSource::Kind::file;
  std::string path;                // file: absolute path
  std::string unit;                // journal: unit name ("ssh.service")
  std::vector<std::string> rules;  // rule names (built-in "sshd", "relay", or keys of guard.rules), at least one
  int line = 0;
};

// A user rule: `rules: { myapp: { patterns: [...], program: myapp, weight: 1 } }`.
// Each pattern is RE2 syntax with exactly one host field: `<HOST>` (an IPv4/IPv6 address) or a
// named group `(?P<host>...)`. The captured text must parse as a numeric address; names are
// never resolved.
struct GuardRuleDef {
  std::string name;                      // [A-Za-z0-9_.:-]; must not shadow a built-in ("sshd")
  std::vector<std::string> patterns;     // at least one
  std::vector<int> pattern_lines;        // the line of each pattern, for compile errors
  std::vector<std::string> ignore;       // optional: a line matching one of these is never counted
  std::vector<int> ignore_lines;
  std::vector<std::string> programs;     // optional syslog tag / journal identifier filter
  int weight = 1;                        // failures one matching line counts for, 0..100
  int line = 0;
};

struct GuardThreshold {
  int failures = 5;                      // 1..100 failures (weights; 4 bytes each per source) ...
  TimeNs window = 600 * kNsPerSec;       // ... within this sliding window (1s..7d)
  std::size_t max_sources = 200000;      // sources tracked at once (oldest evicted beyond), 1000..10M
};

struct GuardBanPolicy {
  TimeNs time = 3600 * kNsPerSec;        // first ban (1s..365d)
  TimeNs max_time = 7 * 86400 * kNsPerSec;  // cap of the escalation (>= time)
  double factor = 2.0;                   // each repeat offence multiplies the time (1..100; 1 = no escalation)
  TimeNs forget = 86400 * kNsPerSec;     // an offence is forgotten this long after its ban ended
  int ipv4_prefix = 32;                  // IPv4 sources counted and banned per /N (8..32)
  int ipv6_prefix = 64;                  // IPv6 sources counted and banned per /N (16..64)
  int ipv6_escalate_prefix = 48;         // `ipv6_escalate: {prefix: 48, after: 3}`: this many banned
  int ipv6_escalate_after = 3;           // ipv6_prefix'es in one /prefix ban the /prefix; 0 = never
};

// Country rules (`countries:`, `geo_db:`): sources located by the MaxMind files in a `ban`
// country are banned at their first failure, those in an `allow` country never counted. The files
// are opened by the tools layer; none (or none readable) only makes the rules inactive.
struct GuardCountries {
  std::vector<std::string> db;     // geo_db: files (a path or a list); empty = the default directories
  std::vector<std::string> ban;    // ISO 3166-1 alpha-2, upper case, file order, no repeats
  std::vector<std::string> allow;
  int line = 0;                    // of `countries:` (0: not given), for --validate's warning
  bool any() const { return !ban.empty() || !allow.empty(); }
};

struct GuardConfig {
  std::string source;                    // the file name given to the parser
  std::optional<std::string> db;         // top-level `db:` (shared with watch), if any
  std::vector<GuardSource> sources;      // at least one
  GuardThreshold threshold;
  GuardBanPolicy ban;
  std::vector<IpPrefix> allow;           // never counted, never banned (also checked before every insert)
  std::vector<int> allow_lines;
  bool allow_ssh_client = true;          // `allow_ssh_client: false`: do not add $SSH_CONNECTION's client
  std::optional<std::string> state;      // persistent ban list path (the daemon's default when unset)
  std::vector<GuardRuleDef> rules;       // user rules, in file order
  std::vector<std::string> notify;       // notifier names under `notifiers:`
  std::vector<Notifier> notifiers;       // as parsed by the watch parser, sorted by name
  std::size_t max_line = 8192;           // bytes of a line read (longer lines cut there), 256..1MiB
  TimeNs nft_idle = 30 * kNsPerSec;      // libnftables unloaded this long after the last batch
  GuardCountries countries;              // `countries:` and `geo_db:`

  const GuardRuleDef* find_rule(std::string_view name) const;
};

// The built-in rule names ("sshd", "relay"); user rules may not take them.
const std::vector<std::string>& builtin_guard_rules();

// Why a pattern of guard.rules cannot be used ("not a valid RE2 pattern: missing )"), empty when
// it can; `host_field`: a `patterns:` entry (else `ignore:`). The config layer has no regex
// engine: engine::guard_pattern_error is passed in, so RE2's errors join the others in one pass.
using GuardPatternCheck = std::function<std::string(std::string_view pattern, bool host_field)>;

// Parses the whole file, reads `db`, `guard:` and `notifiers:`, ignores the other sections' keys.
// No `guard:` section is an error ("no guard: section"). Every error collected, with its line;
// with `check`, every pattern it refuses too.
ConfigResult<GuardConfig> parse_guard_config(std::string_view text, const std::string& source,
                                             const GuardPatternCheck& check = {});

}  // namespace reach::config
