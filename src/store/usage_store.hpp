#pragma once
// The persistent state of `reach usage` (docs/USAGE.md): per source and direction the last raw
// counter reading and its base, hourly byte buckets per source, and which thresholds of each
// plan fired in which cycle. It lives in the same SQLite file as watch's store (the one `db:`
// of the shared YAML; tables prefixed usage_), so notifications go through watch's outbox
// (store::Store::enqueue) and `reach watch` can run the usage section on the same file.
//
// Exactness: commit() writes a poll's new counter states and the bytes they produced in ONE
// transaction. A kill -9 at any instant leaves either both (counted) or neither (the old state
// stays, so the next poll counts the same bytes again from it): never a byte counted twice or
// lost. SQLite's own calls, never a clock: callers pass every time. Not thread-safe: one
// UsageStore per thread; several processes may open the file (WAL: a reader beside the daemon).
//
// Errors are values: {op "usage store <what>", addr = the db path, errno-like code, SQLite's
// message} (store/sqlite.hpp).
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/error.hpp"
#include "base/time.hpp"
#include "store/store.hpp"

namespace reach::store {

struct UsageStoreOptions {
  std::string path;             // created if missing (not its directory)
  TimeNs busy_timeout = 2 * kNsPerSec;
  bool read_only = false;       // a report: never creates or writes (falls back to this on EACCES)
};

enum class UsageDir : std::uint8_t { rx = 0, tx = 1 };

// The last raw reading of one counter (engine::CounterState, kept here without the engine).
struct UsageCounterRow {
  bool valid = false;
  std::string base;             // the counter base's identity ("BOOTID.NETNS/IFINDEX", ...)
  std::uint64_t last = 0;       // the raw counter value
  TimeNs last_wall = 0;         // unix ns it was read
  int bits = 64;
};

inline constexpr std::int64_t kUsageBucket = 3600;  // seconds: buckets are UTC hours

struct UsageBytes {
  std::int64_t hour = 0;        // unix s of the bucket's start (a multiple of kUsageBucket)
  std::uint64_t rx = 0, tx = 0;
};

// What one poll changed, committed in one transaction.
struct UsageUpdate {
  struct Counter {
    std::string source;         // UsageSource::id
    UsageDir dir = UsageDir::rx;
    UsageCounterRow state;
  };
  struct Bytes {
    std::string source;
    UsageBytes bytes;           // added to the bucket
  };
  // Why a source is not counted now ("no interface eth9", "snmp get 198.18.1.2: no answer
  // (timeout)"), seen at `wall`; an empty problem clears it (the source is read again).
  struct Problem {
    std::string source;
    std::string problem;
    TimeNs wall = 0;
  };
  std::vector<Counter> counters;
  std::vector<Bytes> bytes;
  std::vector<std::pair<std::string, std::string>> names;  // source -> display name (latest)
  std::vector<Problem> problems;
};

// A source's current problem as the daemon last saw it, for the report.
struct UsageProblemRow {
  std::string problem;
  TimeNs since = 0;             // unix ns it started (the same problem since then)
  TimeNs seen = 0;              // unix ns of the last poll that still had it
};

struct UsageSourceRow {
  std::string id;               // UsageSource::id
  std::string name;             // last display name (interface name, SNMP host:if, command)
  std::uint64_t rx = 0, tx = 0; // all bytes ever counted
  std::int64_t first_hour = 0, last_hour = 0;  // unix s; 0 when no bytes yet
};

struct UsageThresholdRow {
  std::int64_t cycle_start = 0;  // unix s
  std::vector<int> fired;        // percents ascending; -1 = "projected to exceed"
};

class UsageStore {
 public:
  // WAL, synchronous=NORMAL (kill -9 loses nothing committed; checkpoint() before a reboot),
  // schema version check (meta key "usage_schema").
  static Result<std::unique_ptr<UsageStore>> open(const UsageStoreOptions& options);
  ~UsageStore();
  UsageStore(const UsageStore&) = delete;
  UsageStore& operator=(const UsageStore&) = delete;
  const std::string& path() const;  // as opened

  // Every saved counter state, by (source, direction).
  Result<std::map<std::pair<std::string, UsageDir>, UsageCounterRow>> load_counters();
  // States, byte additions and names in one transaction; all or nothing.
  Result<void> commit(const UsageUpdate& update);
  // Buckets of the given sources summed per hour, in [from, to) (unix s), ascending; hours
  // without bytes are left out. Unknown sources count nothing.
  Result<std::vector<UsageBytes>> hours(const std::vector<std::string>& sources, std::int64_t from,
                                        std::int64_t to);
  // Sum of the given sources' buckets in [from, to).
  Result<UsageBytes> total(const std::vector<std::string>& sources, std::int64_t from, std::int64_t to);
  Result<std::vector<UsageSourceRow>> sources();
  // Current problems by source id. A database written before this table existed (opened
  // read-only, so it was not added) has none.
  Result<std::map<std::string, UsageProblemRow>> problems();

  Result<UsageThresholdRow> load_threshold(const std::string& plan);  // cycle_start 0 when none
  // synchronous=FULL, as an outbox item: what a notification decided survives a power cut.
  Result<void> save_threshold(const std::string& plan, const UsageThresholdRow& row);

  // synchronous=FULL commit of the WAL into the file: what SIGTERM (a reboot) calls last.
  Result<void> checkpoint();
  Result<std::string> integrity_check();

 private:
  struct Impl;
  explicit UsageStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// A plan's threshold state and the notifications it decided, in ONE transaction of `outbox`
// (watch's store on the same file): a kill -9 at any instant leaves both or neither, so a
// restart neither sends a crossing twice nor forgets to send it.
Result<std::vector<OutboxItem>> enqueue_with_threshold(Store& outbox, std::vector<Store::Notification> items,
                                                       const std::string& plan, const UsageThresholdRow& row,
                                                       TimeNs now_wall);

}  // namespace reach::store
