#pragma once
// Store's private state, shared by store.cpp (open, alert state, outbox) and history.cpp.
#include <deque>
#include <string>
#include <unordered_map>

#include "store/sqlite.hpp"
#include "store/store.hpp"

namespace reach::store {

inline constexpr TimeNs kMinute = 60 * kNsPerSec;
inline constexpr TimeNs kHour = 3600 * kNsPerSec;

struct Store::Impl {
  Options opt;
  sql::Db db;
  std::string instance;  // random hex id of this database, prefix of outbox keys

  std::deque<model::RoundResult> pending;
  std::size_t dropped = 0;
  std::unordered_map<std::string, std::int64_t> target_ids;

  // Rollup progress (also in the meta table): the first minute/hour not yet rolled up; -1 none.
  TimeNs minute_done = -1, hour_done = -1;
  std::int64_t prune_cursor = 0;  // target id where the next bounded prune starts

  sql::Stmt insert_raw, insert_target, select_target;

  Result<void> set_meta(std::string_view key, std::int64_t value);
  Result<std::int64_t> target_id(const std::string& name, bool create);
  // history.cpp
  Result<std::size_t> roll(const char* source, const char* dest, const char* key, TimeNs width, TimeNs& done,
                           TimeNs limit, std::size_t budget, const std::function<void()>& between);
  Result<std::size_t> prune(TimeNs now);
};

}  // namespace reach::store
