#pragma once
// OWNER: ucore. The `usage:` section of the one YAML file (shared with `reach watch`), parsed from
// the whole file so errors carry the file's own line numbers. Reuses watch_config's notifier
// parsing (`notifiers:`), its error types (ConfigError/ConfigResult) and values.hpp (byte sizes,
// durations). Every key, default and error goes in docs/USAGE.md.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/time.hpp"
#include "config/watch_config.hpp"

namespace reach::config {

enum class UsageCount : std::uint8_t { rx, tx, both };

// A billing cycle: monthly on `start_day` (1..31, clamped to the month's last day) at
// `start_hour` (0..23) local time in `tz`; or, when every_days > 0, every N days from `anchor`.
struct UsageCycle {
  int start_day = 1;
  int start_hour = 0;
  std::string tz = "UTC";        // IANA name; resolved by the tool (sys::local_time)
  int every_days = 0;            // 0 = monthly
  std::int64_t anchor = 0;       // unix s of one cycle start (RFC 3339 in the file), every_days only
};

struct SnmpSource {
  std::string host;              // address or name; port 161 unless "host:port" / "[v6]:port"
  int version = 2;               // 2 (v2c) or 3
  std::string community = "public";           // v2c
  std::string user, auth_protocol, auth_password, priv_protocol, priv_password;  // v3 (authPriv/authNoPriv)
  int if_index = 0;              // `if: 2`, or `if: "eth0"` (ifName/ifDescr, resolved by the source)
  std::string if_name;
  TimeNs timeout = kNsPerSec;
  int retries = 1;
};

// One counter source of a plan. `id` is its stable identity in the store (history survives a
// rename): "if:mac:aa:bb:..", "if:label:uplink", "if:name:wwan0" (name only when no MAC/label
// is given), "snmp:HOST:IFINDEX", "mrtg:<argv joined>".
struct UsageSource {
  enum class Kind : std::uint8_t { interface, snmp, mrtg } kind = Kind::interface;
  std::string interface;         // kind interface: the name to look for
  std::string mac;               // optional permanent MAC to match instead of the name
  std::string label;             // optional user label (identity across renames)
  SnmpSource snmp;
  std::vector<std::string> mrtg_argv;  // `mrtg: "cmd args"` split like a shell word list, no shell
  std::string id;
  int line = 0;
};

struct UsagePlan {
  std::string name;              // unique, [A-Za-z0-9_.:-]
  std::vector<UsageSource> sources;
  std::uint64_t cap = 0;         // bytes, > 0 (GB = 10^9, GiB = 2^30)
  UsageCount count = UsageCount::both;
  UsageCycle cycle;
  std::vector<int> thresholds{80, 90, 100};   // percent, ascending, 1..1000
  std::vector<std::string> notify;            // notifier names under `notifiers:`
  std::vector<std::string> on_cap_exec;       // optional command run once at 100 % (no shell)
  bool on_cap_block = false;                  // optional nftables block at 100 % (off by default)
  int line = 0;
};

struct UsageConfig {
  std::string source;
  std::optional<std::string> db;
  TimeNs poll = kNsPerSec;
  std::vector<UsagePlan> plans;
  std::vector<Notifier> notifiers;   // as parsed by the watch parser, sorted by name
};

// Parses the whole file, reads `db`, `usage:` and `notifiers:`, ignores watch's own keys.
// No `usage:` section is an error ("no usage: section"). Every error collected, with its line.
ConfigResult<UsageConfig> parse_usage_config(std::string_view text, const std::string& source);

}  // namespace reach::config
