#pragma once
// Time zones with the DST rules of Europe/Berlin (EU since 1996: last Sunday of March 01:00 UTC to
// last Sunday of October 01:00 UTC, +1 h / +2 h) and America/New_York (US since 2007: second
// Sunday of March 02:00 local to first Sunday of November 02:00 local, -5 h / -4 h), written out
// from the rules so the cycle engine is tested without tzdata (tools_zone_rules_test checks
// these against the system's tzdata).
#include "engine/usage_cycle.hpp"

namespace reach::testing {

// unix s of 00:00 UTC on the n-th (1-based; 0 = last) Sunday of a month.
inline std::int64_t sunday(int year, int month, int n) {
  using engine::days_from_civil;
  std::int64_t first = days_from_civil(year, month, 1);
  std::int64_t to_sunday = ((3 - (first % 7)) % 7 + 7) % 7;  // 1970-01-01 was a Thursday
  std::int64_t day = first + to_sunday;
  if (n > 0) {
    day += 7 * (n - 1);
  } else {
    while (day + 7 < first + engine::days_in_month(year, month)) day += 7;
  }
  return day * 86400;
}

inline int year_of(std::int64_t unix_s) {
  return engine::civil_from_days(unix_s >= 0 ? unix_s / 86400 : (unix_s - 86399) / 86400).year;
}

struct BerlinZone final : engine::ZoneRules {
  long offset_at(std::int64_t t) const override {
    int y = year_of(t);
    bool dst = t >= sunday(y, 3, 0) + 3600 && t < sunday(y, 10, 0) + 3600;
    return dst ? 7200 : 3600;
  }
};

struct NewYorkZone final : engine::ZoneRules {
  long offset_at(std::int64_t t) const override {
    int y = year_of(t);
    bool dst = t >= sunday(y, 3, 2) + 7 * 3600 && t < sunday(y, 11, 1) + 6 * 3600;
    return dst ? -4 * 3600 : -5 * 3600;
  }
};

}  // namespace reach::testing
