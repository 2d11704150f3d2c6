// Billing cycles in a time zone (usage_cycle.hpp).
#include "engine/usage_cycle.hpp"

#include <algorithm>

namespace reach::engine {
namespace {

constexpr std::int64_t kDay = 86400;

std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// Seconds of a local civil time counted as if the zone were UTC.
std::int64_t local_seconds(const CivilTime& t) {
  std::int64_t months = static_cast<std::int64_t>(t.year) * 12 + (t.month - 1);
  int year = static_cast<int>(floor_div(months, 12));
  int month = static_cast<int>(months - static_cast<std::int64_t>(year) * 12) + 1;
  return (days_from_civil(year, month, 1) + (t.day - 1)) * kDay + t.hour * 3600LL + t.minute * 60LL + t.second;
}

CivilTime at_time_of_day(std::int64_t days, const CivilTime& tod) {
  CivilTime c = civil_from_days(days);
  c.hour = tod.hour;
  c.minute = tod.minute;
  c.second = tod.second;
  return c;
}

std::int64_t month_start(const config::UsageCycle& cycle, const ZoneRules& zone, int year, int month) {
  std::int64_t months = static_cast<std::int64_t>(year) * 12 + (month - 1);
  year = static_cast<int>(floor_div(months, 12));
  month = static_cast<int>(months - static_cast<std::int64_t>(year) * 12) + 1;
  int day = std::min(std::clamp(cycle.start_day, 1, 31), days_in_month(year, month));
  return local_to_unix({year, month, day, std::clamp(cycle.start_hour, 0, 23), 0, 0}, zone);
}

CycleBounds monthly(const config::UsageCycle& cycle, const ZoneRules& zone, std::int64_t t) {
  CivilTime c = unix_to_local(t, zone);
  std::int64_t s = month_start(cycle, zone, c.year, c.month);
  if (t >= s) return {s, month_start(cycle, zone, c.year, c.month + 1)};
  return {month_start(cycle, zone, c.year, c.month - 1), s};
}

CycleBounds every_days(const config::UsageCycle& cycle, const ZoneRules& zone, std::int64_t t) {
  const std::int64_t n = cycle.every_days;
  CivilTime a = unix_to_local(cycle.anchor, zone);
  std::int64_t anchor_day = days_from_civil(a.year, a.month, a.day);
  CivilTime c = unix_to_local(t, zone);
  std::int64_t k = floor_div(days_from_civil(c.year, c.month, c.day) - anchor_day, n);
  auto start = [&](std::int64_t i) { return local_to_unix(at_time_of_day(anchor_day + i * n, a), zone); };
  std::int64_t s = start(k);
  if (t < s) {
    --k;
  } else if (std::int64_t next = start(k + 1); t >= next) {
    ++k;
  }
  return {start(k), start(k + 1)};
}

}  // namespace

std::int64_t days_from_civil(int year, int month, int day) {
  std::int64_t y = static_cast<std::int64_t>(year) - (month <= 2);
  std::int64_t era = floor_div(y, 400);
  std::int64_t yoe = y - era * 400;
  std::int64_t mp = (month + 9) % 12;
  std::int64_t doy = (153 * mp + 2) / 5 + day - 1;
  std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

CivilTime civil_from_days(std::int64_t z) {
  z += 719468;
  std::int64_t era = floor_div(z, 146097);
  std::int64_t doe = z - era * 146097;
  std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  std::int64_t mp = (5 * doy + 2) / 153;
  int day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  int month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  int year = static_cast<int>(yoe + era * 400 + (month <= 2));
  return {year, month, day, 0, 0, 0};
}

int days_in_month(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[(month - 1) % 12];
}

std::int64_t local_to_unix(const CivilTime& t, const ZoneRules& zone) {
  const std::int64_t local = local_seconds(t);
  // Offsets are within ±1 day, so the zone's offsets a day before and after bracket every
  // instant whose local time is `local` (zones change at most once in two days).
  const long before = zone.offset_at(local - kDay), after = zone.offset_at(local + kDay);
  const std::int64_t ua = local - before, ub = local - after;
  const bool a_ok = zone.offset_at(ua) == before, b_ok = zone.offset_at(ub) == after;
  if (a_ok && b_ok) return std::min(ua, ub);  // an overlap: the earlier instant (or both the same)
  if (a_ok) return ua;
  if (b_ok) return ub;
  if (before == after) return ua;  // no consistent answer (two changes within two days): best effort
  // A gap: `local` never happens. The change is in (lo, hi]: find the first instant after it.
  std::int64_t lo = std::min(ua, ub), hi = std::max(ua, ub);
  const long first = zone.offset_at(lo);
  while (hi - lo > 1) {
    std::int64_t mid = lo + (hi - lo) / 2;
    if (zone.offset_at(mid) == first) lo = mid;
    else hi = mid;
  }
  return hi;
}

CivilTime unix_to_local(std::int64_t unix_s, const ZoneRules& zone) {
  std::int64_t local = unix_s + zone.offset_at(unix_s);
  std::int64_t days = floor_div(local, kDay);
  std::int64_t secs = local - days * kDay;
  CivilTime c = civil_from_days(days);
  c.hour = static_cast<int>(secs / 3600);
  c.minute = static_cast<int>(secs / 60 % 60);
  c.second = static_cast<int>(secs % 60);
  return c;
}

CycleBounds cycle_at(const config::UsageCycle& cycle, const ZoneRules& zone, std::int64_t unix_s) {
  return cycle.every_days > 0 ? every_days(cycle, zone, unix_s) : monthly(cycle, zone, unix_s);
}

CycleBounds next_cycle(const config::UsageCycle& cycle, const ZoneRules& zone, const CycleBounds& c) {
  return cycle_at(cycle, zone, c.end);
}

CycleBounds previous_cycle(const config::UsageCycle& cycle, const ZoneRules& zone, const CycleBounds& c) {
  return cycle_at(cycle, zone, c.start - 1);
}

CycleBounds day_at(const ZoneRules& zone, std::int64_t unix_s) {
  CivilTime c = unix_to_local(unix_s, zone);
  return {local_to_unix({c.year, c.month, c.day, 0, 0, 0}, zone),
          local_to_unix({c.year, c.month, c.day + 1, 0, 0, 0}, zone)};
}

CycleBounds month_at(const ZoneRules& zone, std::int64_t unix_s) {
  CivilTime c = unix_to_local(unix_s, zone);
  return {local_to_unix({c.year, c.month, 1, 0, 0, 0}, zone), local_to_unix({c.year, c.month + 1, 1, 0, 0, 0}, zone)};
}

}  // namespace reach::engine
