#pragma once
// The one YAML file of the long-running commands (`reach watch`, and the sections `usage:`,
// `guard:`, `relay:` that their own parsers read). Pure: text in, a validated WatchConfig or the
// list of every error, each with its line. yaml-cpp's exceptions stay inside this layer.
// Every key, default and error: docs/WATCH-CONFIG.md.
//
// Units everywhere: durations in nanoseconds (TimeNs), wall times in unix seconds unless the
// name says otherwise.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <tl/expected.hpp>

#include "base/error.hpp"
#include "base/time.hpp"
#include "config/values.hpp"
#include "config/watch_path.hpp"
#include "config/watch_snmp.hpp"
#include "model/watch.hpp"

namespace reach::config {

// One problem in the file: "watch.yml:12: targets[3].port: must be 1..65535".
struct ConfigError {
  std::string source;  // the file name given to the parser
  int line = 0;        // 1-based; 0 when the problem is the whole file (empty, not a map)
  std::string path;    // "targets[3].port", "alerts[0].notify[1]"; may be empty
  std::string message;
  std::string text() const;
};
struct ConfigErrors {
  std::vector<ConfigError> items;  // in file order, never empty when returned as an error
  std::string message() const;     // one text() per line, '\n'-separated, no trailing newline
  Error to_error() const;          // {op "config", addr source, detail message()}
};
template <class T>
using ConfigResult = tl::expected<T, ConfigErrors>;

// `dns: {server, name, type}` of a dns target.
struct DnsQuery {
  std::string server;      // "198.18.0.53" or "198.18.0.53:5353" or "[2001:db8::53]:53"; from
                           // `host` (+ `port`) when not given
  std::string name;        // the name asked, required
  std::string type = "A";  // A AAAA CNAME MX NS PTR SOA SRV TXT CAA ANY (upper-cased)
};

// The body size limit of http targets by default: a 200 whose body never ends (a stream) is read
// this far and judged, where it was a timeout; and a 1 s interval cannot pull hundreds of MB a round.
inline constexpr std::uint64_t kBodySizeLimit = 1 << 20;

struct WatchTarget {
  std::string name;  // unique; [A-Za-z0-9_.:-[]], 1..128 characters (URL path and label value)
  // The probe kind: `probe:`, or inferred (url -> http, dns -> dns, oids -> snmp, zones -> dnsbl,
  // port -> tcp,
  // else icmp).
  // With `module:` (exclusive with `probe:`) it is meaningless: the kind is the module's
  // (config::probe_kind in blackbox_modules.hpp), resolved by the tool once modules are loaded.
  model::WatchProbe probe = model::WatchProbe::icmp;
  std::string module;        // blackbox module name, empty when `probe:` is used
  std::string host;          // icmp/tcp/syn/udp (and dns server when dns.server is absent)
  int port = 0;              // tcp/syn/udp: 1..65535, required; snmp: optional (161); 0 otherwise
  std::string url;           // http: "http://..." or "https://...", required
  int packets = 1;           // icmp echoes per round, 1..1000; default min(20, max(1, interval
                             // in whole seconds)): 1 at 1 s, 20 from 20 s up (SmokePing's 20)
  TimeNs interval = 0;       // > 0 (at least 10 ms); from defaults.interval when absent
  TimeNs timeout = 0;        // > 0 and <= interval; else defaults.timeout or 1 s, either one
                             // clamped to the interval
  StatusSet expect_status;   // http: default 200-399 (as `reach check`)
  std::string expect_status_text = "200-399";
  std::string body;          // http: substring the body must contain, empty = none
  std::string body_regex;    // http: RE2 pattern (compiled by the engine), empty = none
  int cert_days = 0;         // https: fail when the certificate expires within N days; 0 = off
  // http: bytes of body read at most (`body_size_limit`, else `defaults.body_size_limit`, else
  // 1 MiB); 0 = no limit. Reaching it stops the transfer; status and body are judged on what came.
  std::uint64_t body_size_limit = kBodySizeLimit;
  DnsQuery dns;              // dns only
  SnmpTarget snmp;           // snmp only: `snmp:` (default v2c, community public) and `oids:`
  // dnsbl only (config/watch_dnsbl.hpp): `host` is the address looked up in each of `zones`
  // (lower-cased, no trailing dot, default config::default_dnsbl_zones()) through `dns_server`
  // ("ADDR", "ADDR:PORT", "[v6]:PORT"; empty: the system resolver, resolv.conf's first).
  std::vector<std::string> zones;
  std::string dns_server;
  PathSettings path;         // `path:` over `defaults.path` (icmp/tcp/syn/udp; the tcp port resolved)
  std::vector<std::pair<std::string, std::string>> labels;  // sorted by name; Prometheus names
  int line = 0;              // where the entry starts
  // Which of interval/timeout/packets the entry set itself (a CLI override of the defaults
  // applies only to the others).
  bool own_interval = false, own_timeout = false, own_packets = false;
};

// Nagios-style flap detection: percent state change over the last `window` rounds, weighted
// towards recent ones; flapping starts above `high`, ends below `low`.
struct FlapRule {
  bool enabled = true;  // `flap: false` turns it off
  int window = 21;      // 2..64 rounds (stored as bits)
  double low = 20, high = 30;  // percent, 0 <= low <= high <= 100
};

// A one-off maintenance window: [from, to) in unix seconds (from RFC 3339 text).
struct MaintenanceOnce {
  std::int64_t from = 0, to = 0;  // from < to
};
// A weekly window in a time zone: on each listed day, from `from_minute` to `to_minute` local
// time (minutes after midnight); to <= from means it runs past midnight into the next day.
struct MaintenanceWeekly {
  std::uint8_t days = 0;  // bit 0 = Monday ... bit 6 = Sunday; never 0
  int from_minute = 0, to_minute = 0;  // 0..1439 ("HH:MM"; "24:00" allowed for `to` = 1440)
  std::string tz = "UTC";  // IANA name, checked for shape only; the engine resolves it
};

struct AlertRule {
  std::string name;  // unique among alerts
  int failures = 3;  // consecutive failed rounds before firing, 1..10000
  int successes = 2; // consecutive good rounds before resolving, 1..10000
  FlapRule flap;
  TimeNs reminder = 0;  // repeat a firing notification this often; 0 = never
  // Fire only while at least this many agents (this one and its `peers:`) see the target down;
  // 0 = this agent alone decides (docs/WATCH-FLEET.md).
  int quorum = 0;
  std::vector<std::string> notify;   // notifier names, each defined under `notifiers:`
  // Which targets the rule applies to: names or globs (`*`, `?`, `[...]` as fnmatch); empty =
  // every target. A plain name that matches no target is an error, a glob that matches none is
  // accepted.
  std::vector<std::string> targets;
  std::vector<MaintenanceOnce> maintenance;
  std::vector<MaintenanceWeekly> weekly;
  int line = 0;
  bool applies_to(std::string_view target) const;
};

struct WebhookNotifier {
  std::string url;                 // http:// or https://
  TimeNs timeout = 10 * kNsPerSec;
  std::vector<std::pair<std::string, std::string>> headers;  // in file order
};
struct EmailNotifier {
  std::string smtp;                // "smtp://host:25" or "smtps://host:465"
  std::string from;
  std::vector<std::string> to;     // at least one
  std::string username, password_file;  // both or neither; the file is read by the tool
  bool starttls = true;            // for smtp:// (curl's USE_SSL_ALL when true)
  TimeNs timeout = 30 * kNsPerSec;
};
struct SyslogNotifier {
  enum class Transport : std::uint8_t { udp, tcp, local } transport = Transport::local;
  std::string host;                // udp/tcp; empty for local
  int port = 0;                    // udp: default 514, tcp: default 601
  int facility = 1;                // RFC 5424 code 0..23 (`facility: user|daemon|local0..7|N`)
  std::string app_name = "reach";  // 1..48 printable ASCII
};
struct ExecNotifier {
  std::vector<std::string> argv;   // argv[0] is run as is (no shell); at least one element
  TimeNs timeout = 10 * kNsPerSec;
};
struct Notifier {
  std::string name;  // the key under `notifiers:`
  std::variant<WebhookNotifier, EmailNotifier, SyslogNotifier, ExecNotifier> kind;
  int line = 0;
};

// How long each history resolution is kept (store::Retention takes these values).
struct HistoryRetention {
  TimeNs raw = 48 * 3600 * kNsPerSec;
  TimeNs minute = 30LL * 86400 * kNsPerSec;
  TimeNs hour = 2 * 365LL * 86400 * kNsPerSec;  // "2y" (Prometheus' year = 365 d)
};

// A top-level section this parser does not read (`usage:`, `guard:`, `relay:`): its YAML text
// (re-emitted, comments dropped) and the line it starts at. For errors with the file's own line
// numbers, the section's parser may instead parse the whole file and take its key.
struct RawSection {
  std::string yaml;
  int line = 0;
};

// Other agents watching the same targets (`peers:`): their /api/v1/targets is pulled so that
// an alert with `quorum:` counts their view (docs/WATCH-FLEET.md).
struct PeersConfig {
  std::vector<std::string> urls;        // base URLs, http:// or https://
  TimeNs interval = kNsPerSec;          // how often each peer is asked
  TimeNs timeout = kNsPerSec;           // one request, at most `interval`
  TimeNs stale = 10 * kNsPerSec;        // a view older than this does not count
  bool operator==(const PeersConfig&) const = default;
};

struct WatchConfig {
  std::string source;  // the name given to the parser
  // Fields a command-line flag may override (apply_overrides) are optional: empty = not set.
  std::optional<std::string> listen;   // "host:port" or "[v6]:port"
  std::optional<std::string> db;       // path of the SQLite history
  std::optional<std::string> modules;  // path of a blackbox modules file, read by the tool
  std::optional<std::string> user;     // user to drop privileges to
  TimeNs default_interval = kNsPerSec;  // `defaults:` (interval, timeout, packets)
  std::optional<TimeNs> default_timeout;
  std::optional<int> default_packets;
  PathSettings default_path;           // `defaults.path`
  std::optional<std::uint64_t> default_body_size_limit;  // `defaults.body_size_limit`
  std::vector<WatchTarget> targets;    // in file order
  std::vector<AlertRule> alerts;       // in file order
  std::vector<Notifier> notifiers;     // sorted by name
  HistoryRetention history;
  PeersConfig peers;
  std::optional<RawSection> usage, guard, relay;

  const WatchTarget* find_target(std::string_view name) const;    // O(log n)
  const Notifier* find_notifier(std::string_view name) const;     // O(log n)
  // Indices into `targets` sorted by name, built by the parser (copy-safe).
  std::vector<std::size_t> by_name;
};

// Parses and validates the whole file; every error is collected, not only the first.
// `source` names the file in errors. An empty file or `{}` is a valid config with no targets.
ConfigResult<WatchConfig> parse_watch_config(std::string_view text, const std::string& source);

// What the command line may set over the file (`reach watch --listen ... --interval ...`).
struct WatchOverrides {
  std::optional<std::string> listen, db, modules, user;
  std::optional<TimeNs> interval, timeout;
  std::optional<int> packets;
};
// Flags win over the file: top-level values are replaced; interval/timeout/packets replace the
// defaults and are re-applied to every target that did not set its own. Re-validates what the
// change can break (timeout <= interval, ranges); errors carry path "--interval" etc. and line 0.
ConfigResult<WatchConfig> apply_overrides(WatchConfig config, const WatchOverrides& flags);

// What a reload changes, by target name (SIGHUP, POST /-/reload). Targets in `unchanged` and
// `changed` keep their history, alert state and probe phase; `changed` says what to redo.
struct TargetChange {
  std::string name;
  bool probe = false;     // kind, module, host, port, url, dns, snmp, packets, zones, dns_server: rebuild
  bool schedule = false;  // interval or timeout: re-time from the current phase
  bool verdict = false;   // expect_status, body, body_regex, cert_days, body_size_limit: judge differently
  bool labels = false;    // exported labels only
  bool path = false;      // `path:` settings: the next trace uses them
};
struct ConfigDiff {
  std::vector<std::string> added, removed, unchanged;  // sorted by name
  std::vector<TargetChange> changed;                   // sorted by name
  bool alerts_changed = false, notifiers_changed = false, history_changed = false;
  bool peers_changed = false;
  bool listen_changed = false, db_changed = false, modules_changed = false, user_changed = false;
};
ConfigDiff diff(const WatchConfig& before, const WatchConfig& after);

}  // namespace reach::config
