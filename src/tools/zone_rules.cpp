// engine::ZoneRules over sys::local_time (zone_rules.hpp).
#include "tools/zone_rules.hpp"

#include "sys/localtime.hpp"

namespace reach::tools {

Result<SystemZone> SystemZone::open(const std::string& tz) {
  if (!sys::local_time(0, tz))
    return tl::unexpected(Error{"time zone", tz, 0, "unknown (no such zone in /usr/share/zoneinfo)"});
  return SystemZone(tz);
}

long SystemZone::lookup(std::int64_t unix_s) const {
  auto t = sys::local_time(unix_s * kNsPerSec, tz_);
  return t ? t->utc_offset : 0;
}

long SystemZone::offset_at(std::int64_t unix_s) const {
  constexpr std::int64_t kQuarter = 900;
  std::int64_t q = unix_s / kQuarter - (unix_s % kQuarter < 0);
  if (quarters_.size() > 100000) quarters_.clear();  // bounded: a long history walk stays small
  auto it = quarters_.find(q);
  if (it == quarters_.end())
    it = quarters_.emplace(q, std::pair(lookup(q * kQuarter), lookup(q * kQuarter + kQuarter - 1))).first;
  auto [first, last] = it->second;
  return first == last ? first : lookup(unix_s);
}

}  // namespace reach::tools
