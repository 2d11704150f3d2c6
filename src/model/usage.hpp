#pragma once
// What `reach usage` reports (docs/USAGE.md): per plan the current billing cycle (used, cap,
// percent, projection, daily budget), its sources, and history rows (hours, days, billing
// cycles). The tool fills it from the store and engine/usage_plan; format/usage_* only read it.
// Times are unix seconds; each also comes as the plan zone's local civil time, because
// formatters never resolve a zone.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/ip_prefix.hpp"

namespace reach::model {

enum class UsageCount : std::uint8_t { rx, tx, both };

// A wall time in the plan's zone, as the tool computed it.
struct LocalStamp {
  int year = 1970, month = 1, day = 1, hour = 0, minute = 0, second = 0;
  long utc_offset = 0;  // seconds east of UTC at that instant
};

// One hour, day or billing cycle of history: bytes counted in [start, end).
struct UsageBucket {
  std::int64_t start = 0, end = 0;  // unix s
  LocalStamp local;                 // `start` in the plan's zone
  std::uint64_t rx = 0, tx = 0;
};

struct UsageSourceStatus {
  std::string id;          // stable identity ("if:mac:..", "snmp:198.18.1.1:2", "mrtg:...")
  std::string name;        // what to show: the interface's current name, "HOST if N", the command
  bool ok = true;          // the last read succeeded
  std::string problem;     // why not ("no interface wwan0", "snmp 198.18.1.1: timeout"); empty when ok
  // Every byte counted since reach first saw the source: never goes down (MRTG counters).
  std::uint64_t rx_total = 0, tx_total = 0;
  std::int64_t first_seen = 0, last_read = 0;  // unix s, 0 = never
  std::uint64_t rx = 0, tx = 0;                // this cycle
};

// One exception of on_cap.block (docs/USAGE.md "on_cap"): a protocol and port range that stays
// open ("udp/67-68"), or a prefix ("198.18.0.0/24").
struct BlockAllow {
  enum class Kind : std::uint8_t { port, prefix } kind = Kind::port;
  std::string proto;  // "udp" | "tcp" (kind port)
  int port_lo = 0, port_hi = 0;
  IpPrefix prefix;
  friend bool operator==(const BlockAllow&, const BlockAllow&) = default;
};

struct UsagePlanReport {
  std::string name;
  UsageCount count = UsageCount::both;
  std::string tz = "UTC";
  std::uint64_t cap = 0;             // bytes
  std::uint64_t rx = 0, tx = 0;      // this cycle, all sources
  std::uint64_t used = 0;            // rx, tx or both as `count` says
  double percent = 0;                // used / cap * 100
  std::int64_t cycle_start = 0, cycle_end = 0;  // [start, end), unix s
  LocalStamp cycle_start_local, cycle_end_local;
  LocalStamp now_local;              // the report's time in the plan's zone
  std::optional<std::int64_t> projected_exhaustion;  // unix s, only when before cycle_end
  std::optional<LocalStamp> projected_local;
  std::uint64_t daily_budget = 0;    // bytes/day left until cycle_end (0 when over)
  int days_left = 0;
  std::vector<int> thresholds;       // configured percents
  std::vector<int> fired;            // crossed this cycle (-1: "projected to exceed")
  std::vector<UsageSourceStatus> sources;
  // History, oldest first; filled as the command asks: local hours, days and calendar months
  // (--days; vnStat JSON's hour/day/month/year/top), billing cycles (--months).
  std::vector<UsageBucket> hours, days, months, cycles;
};

struct UsageReport {
  std::int64_t now = 0;  // unix s of the report
  std::vector<UsagePlanReport> plans;
};

}  // namespace reach::model
