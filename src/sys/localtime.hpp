#pragma once
// Local time in a named IANA zone (the system's tzdata), for weekly maintenance windows and
// billing cycles. The zone is set through TZ for the one conversion and restored after: the
// callers are single-threaded daemons.
#include <optional>
#include <string>

#include "base/time.hpp"

namespace reach::sys {

struct LocalTime {
  int year = 1970, month = 1, day = 1;  // month 1..12, day 1..31
  int hour = 0, minute = 0, second = 0;
  int weekday = 0;                      // 0 = Monday ... 6 = Sunday
  long utc_offset = 0;                  // seconds east of UTC
};

// `wall`: unix ns. nullopt when the zone is unknown to the system (no tzdata file for it).
std::optional<LocalTime> local_time(TimeNs wall, const std::string& tz);

}  // namespace reach::sys
