#pragma once
// The `usage:` section of the one YAML file (shared with `reach watch`), parsed from the whole
// file so errors carry the file's own line numbers. Reuses watch_config's notifier parsing
// (`notifiers:`, config/config_words), its error types (ConfigError/ConfigResult) and values.hpp
// (byte sizes, durations). Every key, default and error: docs/USAGE.md.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/time.hpp"
#include "config/snmp_source.hpp"
#include "config/watch_config.hpp"
#include "model/usage.hpp"

namespace reach::config {

using UsageCount = model::UsageCount;  // rx | tx | both

// A billing cycle: monthly on `start_day` (1..31, clamped to the month's last day) at
// `start_hour` (0..23) local time in `tz`; or, when every_days > 0, every N days from `anchor`
// (N local days: the start keeps the anchor's local time of day across DST changes).
struct UsageCycle {
  int start_day = 1;
  int start_hour = 0;
  std::string tz = "UTC";        // IANA name, shape checked here; resolved by the tool (sys::local_time)
  int tz_line = 0;               // its line in the file, for the tool's "no such zone" error
  int every_days = 0;            // 0 = monthly; 1..3660
  std::int64_t anchor = 0;       // unix s of one cycle start (RFC 3339 in the file), every_days only
};

// One counter source of a plan. `id` is its stable identity in the store (history survives a
// rename): "if:mac:aa:bb:cc:dd:ee:ff", "if:label:uplink", "if:name:wwan0" (name only when no MAC
// or label is given), "snmp:HOST:IFINDEX" or "snmp:HOST:name:IFNAME", "mrtg:<argv joined by ' '>".
struct UsageSource {
  enum class Kind : std::uint8_t { interface, snmp, mrtg } kind = Kind::interface;
  std::string interface;         // kind interface: the name to look for (may be empty with mac)
  std::string mac;               // optional permanent MAC to match instead of the name (lower case)
  std::string label;             // optional user label (identity across renames)
  SnmpSource snmp;
  std::vector<std::string> mrtg_argv;  // `mrtg: "cmd args"` split like a shell word list, no shell
  std::string id;
  int line = 0;
};

struct UsagePlan {
  std::string name;              // unique, [A-Za-z0-9_.:-]
  std::vector<UsageSource> sources;  // at least one; ids unique within the plan
  std::uint64_t cap = 0;         // bytes, > 0 (GB = 10^9, GiB = 2^30)
  UsageCount count = UsageCount::both;
  UsageCycle cycle;
  std::vector<int> thresholds{80, 90, 100};   // percent, strictly ascending, 1..1000
  std::vector<std::string> notify;            // notifier names under `notifiers:`
  std::vector<int> notify_lines;              // the line of each name (errors point at it)
  // Optional command run once per cycle when the cap is reached (no shell; the event in its
  // environment, docs/USAGE.md "on_cap").
  std::vector<std::string> on_cap_exec;
  // on_cap.block: the plan's interfaces go into the nftables block set until the cycle ends
  // (io/nft_usage_block), except `allow` (default_block_allow() when not given). Every blocking
  // plan of a file has the same allow list (one essential chain).
  bool on_cap_block = false;
  std::vector<model::BlockAllow> on_cap_allow;
  int line = 0;
};

struct UsageConfig {
  std::string source;
  std::optional<std::string> db;
  TimeNs poll = kNsPerSec;       // 100ms..1h
  std::vector<UsagePlan> plans;  // in file order, at least one
  std::vector<Notifier> notifiers;   // as parsed by the watch parser, sorted by name
  const UsagePlan* find_plan(std::string_view name) const;
};

// Parses the whole file, reads `db`, `usage:` and `notifiers:`, ignores watch's own keys (the
// watch parser checks those). No `usage:` section is an error ("no usage: section").
// Every error collected, with its line.
ConfigResult<UsageConfig> parse_usage_config(std::string_view text, const std::string& source);

// `mrtg: "cmd 'a b' c"`: words split as a POSIX shell splits them (blanks, '...', "...", \x),
// without expansion; unquoted | & ; < > ( ) $ ` are refused (no shell runs it): `error` says why.
struct Words {
  std::vector<std::string> words;
  std::string error;  // empty when ok
};
Words split_command(std::string_view text);

// `reach usage --nagios -w 80% -c 90%`: a percent of the cap, "80%" or "80", 0 < p <= 1000.
std::optional<double> parse_percent(std::string_view text);

// One on_cap.allow entry: "udp/53", "tcp/22", "udp/67-68", "198.18.0.0/24", "2001:db8::/32";
// nullopt with `why` set when malformed.
std::optional<model::BlockAllow> parse_block_allow(std::string_view text, std::string& why);
// udp/53, tcp/53 (DNS), udp/67-68 (DHCP), udp/123 (NTP).
std::vector<model::BlockAllow> default_block_allow();

// "rx", "tx", "both".
const char* usage_count_word(UsageCount c);

}  // namespace reach::config
