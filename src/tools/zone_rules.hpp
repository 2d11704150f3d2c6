#pragma once
// engine::ZoneRules over the system's tzdata (sys::local_time), for the billing cycles of
// `reach usage`. Offsets are cached per 15 minutes: zones change their offset at most once in a
// quarter hour, so when both ends of a quarter agree, every second in it has that offset.
// Single-threaded, as sys::local_time is (it sets TZ for each conversion).
#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>

#include "base/error.hpp"
#include "engine/usage_cycle.hpp"

namespace reach::tools {

class SystemZone final : public engine::ZoneRules {
 public:
  // An error naming the zone when the system has no tzdata for it.
  static Result<SystemZone> open(const std::string& tz);
  long offset_at(std::int64_t unix_s) const override;
  const std::string& name() const { return tz_; }

 private:
  explicit SystemZone(std::string tz) : tz_(std::move(tz)) {}
  long lookup(std::int64_t unix_s) const;
  std::string tz_;
  mutable std::unordered_map<std::int64_t, std::pair<long, long>> quarters_;  // first and last second
};

}  // namespace reach::tools
