#pragma once
// Billing cycles in a time zone, pure: the zone's rules come in as an interface (the tool
// implements it over sys::local_time, tools/zone_rules; tests with fixed or fake-DST zones).
// The rules (docs/USAGE.md "Cycles"): monthly cycles start on start_day at start_hour local time,
// the day clamped to the month's last (31 -> Feb 28/29, Apr 30); every-N-days cycles start every
// N local calendar days at the anchor's local time of day. A start that falls in a DST gap
// moves to the first instant after the gap; in an overlap it is the earlier instant.
#include <cstdint>

#include "config/usage_config.hpp"

namespace reach::engine {

struct ZoneRules {
  virtual ~ZoneRules() = default;
  virtual long offset_at(std::int64_t unix_s) const = 0;  // seconds east of UTC at that instant
};

// A zone without DST: a fixed offset (UTC when 0).
struct FixedZone final : ZoneRules {
  explicit FixedZone(long offset = 0) : offset(offset) {}
  long offset_at(std::int64_t) const override { return offset; }
  long offset;
};

struct CivilTime { int year = 1970, month = 1, day = 1, hour = 0, minute = 0, second = 0; };

// Days since 1970-01-01 of a proleptic Gregorian date, and back (H. Hinnant's algorithms).
std::int64_t days_from_civil(int year, int month, int day);
CivilTime civil_from_days(std::int64_t days);
int days_in_month(int year, int month);

// Local civil time -> unix s. In a DST gap: the first instant after the gap; in an overlap:
// the earlier instant. Fields out of range are normalised first (month 13 = next January).
std::int64_t local_to_unix(const CivilTime& t, const ZoneRules& zone);
CivilTime unix_to_local(std::int64_t unix_s, const ZoneRules& zone);

struct CycleBounds {  // unix s, [start, end)
  std::int64_t start = 0, end = 0;
  bool operator==(const CycleBounds&) const = default;
};

// The cycle containing `unix_s`.
CycleBounds cycle_at(const config::UsageCycle& cycle, const ZoneRules& zone, std::int64_t unix_s);
// The cycle right after / before `c` (c.end's cycle; (c.start - 1)'s cycle).
CycleBounds next_cycle(const config::UsageCycle& cycle, const ZoneRules& zone, const CycleBounds& c);
CycleBounds previous_cycle(const config::UsageCycle& cycle, const ZoneRules& zone, const CycleBounds& c);

// The local calendar day and month containing `unix_s` (for --days / --months history rows).
CycleBounds day_at(const ZoneRules& zone, std::int64_t unix_s);
CycleBounds month_at(const ZoneRules& zone, std::int64_t unix_s);

}  // namespace reach::engine
