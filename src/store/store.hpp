#pragma once
// The persistent state of `reach watch` in one SQLite file (WAL mode): round history at three
// resolutions, per-target alert state, and the notification outbox. SQLite makes its own system
// calls, so this layer sits beside io/ (docs/ARCHITECTURE.md); it never reads a clock — every
// call that needs "now" takes it (unix ns), so tests drive it with fake times.
//
// Not thread-safe: one Store per thread. Two Stores may open the same file (e.g. the probe loop
// and store::Writer's thread): WAL lets readers run beside the writer, writers wait up to
// Options::busy_timeout for each other.
//
// Errors are values: {op "store <what>", addr = the db path, err = errno-like code (ENOSPC for
// SQLITE_FULL, EIO for I/O errors, EBUSY for a lock held past busy_timeout, 0 otherwise),
// detail = SQLite's message}. A full disk never throws and never stops the caller: flush()
// keeps the queued rounds (bounded) and tries again on its next call.
#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "base/time.hpp"
#include "model/watch.hpp"

namespace reach::store {

namespace sql {
class Db;
}

// How long each resolution is kept (config::HistoryRetention carries the file's values).
struct Retention {
  TimeNs raw = 48 * 3600 * kNsPerSec;
  TimeNs minute = 30LL * 86400 * kNsPerSec;
  TimeNs hour = 2 * 365LL * 86400 * kNsPerSec;
};

struct Options {
  std::string path;                 // created if missing (not its directory)
  Retention retention;
  // A minute is rolled up once `now` is this far past its end, so rounds still in flight at the
  // minute's end (start_wall inside it, finished later) are counted. Later ones stay raw only.
  TimeNs rollup_delay = 30 * kNsPerSec;
  std::size_t prune_budget = 20000;   // rows deleted per flush() at most, all tables together
  std::size_t rollup_budget = 5;      // minutes rolled up per flush() at most (catch-up after
                                      // a downtime is spread over several calls)
  // Targets per rollup transaction: a minute of 10,000 targets is 100 short transactions, so a
  // second connection's write (the outbox) waits for one of them, not for the whole minute.
  std::size_t rollup_chunk = 100;
  std::size_t max_pending = 1000000;  // rounds queued while writes fail; beyond: oldest dropped
  TimeNs busy_timeout = kNsPerSec;
  // Upper bound of the file in bytes (SQLite's max_page_count); 0 = none. Reaching it is an
  // ENOSPC error like a full disk.
  std::uint64_t max_bytes = 0;
};

// RTT histogram of a rollup: bucket i counts RTTs below 8 us * 2^((i+1)/3) (and at least the
// previous bound), so 3 buckets per octave (26 % wide) from 8 us to ~16.7 s; the last bucket
// takes everything above. Exactly mergeable, so an hour is the sum of its minutes; SmokePing's
// smoke is drawn from it.
inline constexpr int kHistBuckets = 64;
TimeNs hist_upper_bound(int bucket);          // exclusive; the last bucket's is INT64_MAX
int hist_bucket(TimeNs rtt);
using Histogram = std::array<std::uint32_t, kHistBuckets>;

enum class Resolution : std::uint8_t { raw, minute, hour };

// One point of history: a raw round (count 1, `rtts` filled) or a rollup of `count` rounds.
struct HistoryPoint {
  TimeNs wall = 0;        // unix ns: the round's start, or the bucket's start
  Resolution resolution = Resolution::raw;
  std::uint32_t count = 0;      // rounds
  std::uint32_t successes = 0;  // rounds whose verdict was success
  std::uint64_t sent = 0, received = 0;  // packets
  // Over every RTT of the point's rounds; 0 when received == 0.
  TimeNs rtt_min = 0, rtt_max = 0;
  TimeNs rtt_mean = 0;          // mean of all RTTs
  TimeNs median_mean = 0;       // mean of the rounds' median RTTs (rounds with a reply)
  Histogram hist{};             // every RTT (raw points too)
  std::vector<TimeNs> rtts;     // raw points only: the round's RTTs, ascending
  std::string reason;           // raw points only: why the round failed, empty on success
  // RTT at quantile q (0..1) estimated from the histogram (geometric middle of the bucket,
  // clamped to [rtt_min, rtt_max]); exact for raw points. 0 when received == 0.
  TimeNs quantile(double q) const;
};

// Alert state of one (target, alert rule) pair, saved so a restart resumes where it stopped.
struct AlertState {
  std::string target, alert;
  model::TargetState state = model::TargetState::unknown;
  TimeNs since_wall = 0;             // unix ns the state began
  std::uint32_t failures = 0;        // consecutive failed rounds
  std::uint32_t successes = 0;       // consecutive good rounds
  std::uint64_t flap_bits = 0;       // bit 0 = latest round's state change (1 = changed)
  std::uint32_t flap_rounds = 0;     // how many bits are meaningful (<= 64)
  bool flapping = false;
  bool firing = false;               // a firing notification went out, no resolved yet
  TimeNs last_notified_wall = 0;     // unix ns; 0 = never
  TimeNs alert_since_wall = 0;       // unix ns the firing alert began (its startsAt); column quorum_since
};

// One notification waiting in the outbox.
//
// Delivery contract (at-least-once, with duplicates made detectable):
//  - enqueue() commits the item (synchronous=FULL) before it returns: once the engine has
//    decided, a kill -9 or power cut cannot lose it.
//  - The sender takes due() items, sends, and calls delivered() right after the receiver
//    confirmed (webhook 2xx, SMTP 250 after DATA, exec exit 0, syslog written); delivered() is
//    its own transaction (synchronous=FULL) and nothing else is in it.
//  - Failures call failed(): attempts + 1, next try after backoff(attempts); after
//    `max_attempts` or `expire_after` the item is dead (kept for inspection, not sent).
//  - So an item is sent again only if the process dies between the receiver's confirmation
//    and delivered()'s commit (microseconds), or if a receiver processed it but its answer was
//    lost (timeout). Both are unavoidable for any sender; they are made harmless by `key`: a
//    stable id per item, sent as the `Idempotency-Key` header (webhook) / `Message-ID` (email)
//    and inside the payload, so a receiver (or the lab's) can drop the repeat.
struct OutboxItem {
  std::int64_t id = 0;          // assigned by enqueue
  std::string key;              // "<store instance id>-<id>", assigned by enqueue
  std::string notifier;         // notifier name from the config
  std::string payload;          // exactly what is sent (JSON for webhooks, text for syslog...)
  TimeNs created_wall = 0;      // unix ns
  TimeNs next_wall = 0;         // unix ns of the next attempt
  std::uint32_t attempts = 0;   // failed attempts so far
  std::string last_error;
};

struct Backoff {
  TimeNs first = kNsPerSec;        // after the first failure
  TimeNs max = 5 * 60 * kNsPerSec; // doubling stops here
  std::uint32_t max_attempts = 0;  // 0 = unlimited
  TimeNs expire_after = 24 * 3600 * kNsPerSec;  // 0 = never: items older than this are dead
  TimeNs delay(std::uint32_t attempts) const;   // first * 2^(attempts-1), capped at max
};

struct FlushStats {
  std::size_t written = 0;      // rounds committed by this call
  std::size_t pending = 0;      // rounds still queued (write failed)
  std::size_t dropped = 0;      // rounds dropped since open because the queue was full
  std::size_t late = 0;         // rounds written after their minute was rolled up (raw only)
  std::size_t rolled_minutes = 0, rolled_hours = 0;
  std::size_t pruned = 0;       // rows deleted
};

class Store {
 public:
  // Opens or creates the database: WAL, synchronous=NORMAL (a kill -9 loses nothing committed;
  // a power cut may lose the last second of history, never the outbox), schema version check.
  static Result<std::unique_ptr<Store>> open(const Options& options);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // --- history ---
  // Queues one round (copied); nothing touches the disk until flush().
  void add_round(const model::RoundResult& round);
  // Call about once a second: writes every queued round in one transaction, rolls up complete
  // minutes and hours (bounded), prunes past retention (bounded). On error the rounds stay
  // queued and the error (ENOSPC for a full disk) is returned; the next call retries.
  // `between` runs between its transactions (store::Writer writes the rounds that arrived
  // meanwhile there, with add_round and write_rounds).
  Result<FlushStats> flush(TimeNs now_wall, const std::function<void()>& between = {});
  // Only the first step of flush(): the queued rounds, in one transaction.
  Result<FlushStats> write_rounds();
  // History of one target in [from, to) (unix ns), at most max_points points, oldest first.
  // Picks the finest resolution (raw, minute, hour) whose oldest row reaches back to `from` and
  // that has at most 4 * max_points rows in the range (else hours if they reach back, else the
  // finest resolution with data in the range), adds the rounds not rolled up yet (bucketed like
  // the rollups), then merges neighbours into equal time buckets so that at most max_points
  // remain. Unknown target or max_points 0: an empty vector. Only committed rounds are seen
  // (flush() first for the latest). `finest`: resolutions finer than it are used only when it
  // has no rows in the range (a daemon younger than one of its buckets), so a long graph of a
  // young daemon does not read every raw round of the range.
  Result<std::vector<HistoryPoint>> history(std::string_view target, TimeNs from, TimeNs to,
                                            std::size_t max_points, Resolution finest = Resolution::raw);
  // SQLite's PRAGMA integrity_check: "ok", or its report of what is damaged.
  Result<std::string> integrity_check();
  // Bytes of the database file and its WAL (for metrics and the bytes-per-sample figure).
  Result<std::uint64_t> size_bytes();

  // --- alert state ---
  Result<void> save_alert_states(const std::vector<AlertState>& states);  // upsert, one txn
  Result<std::vector<AlertState>> load_alert_states();
  // Drops the alert state of targets that left the config (history ages out by retention).
  Result<void> forget_alert_states(const std::vector<std::string>& targets);

  // --- outbox ---
  Result<OutboxItem> enqueue(std::string notifier, std::string payload, TimeNs now_wall);
  // Several notifications and the alert state that decided them, in one transaction: a kill
  // at any instant leaves both or neither, so a restart never decides (and sends) them again.
  struct Notification {
    std::string notifier, payload;
  };
  Result<std::vector<OutboxItem>> enqueue(std::vector<Notification> items,
                                          const std::vector<AlertState>& states, TimeNs now_wall);
  // The same, with `also` run inside that transaction: the state of another table of this file
  // that decided the items (usage's thresholds, store/usage_store's enqueue_with_threshold).
  using Also = std::function<Result<void>(sql::Db&)>;
  Result<std::vector<OutboxItem>> enqueue(std::vector<Notification> items,
                                          const std::vector<AlertState>& states, TimeNs now_wall,
                                          const Also& also);
  // Items whose next attempt is due at now_wall, oldest first; at most `max`. Items past the
  // backoff's limits become dead here instead of being returned. One sender per database: an
  // item stays due until delivered() or failed() is called for it.
  Result<std::vector<OutboxItem>> due(TimeNs now_wall, std::size_t max, const Backoff& backoff);
  Result<void> delivered(std::int64_t id, TimeNs now_wall);
  Result<void> failed(std::int64_t id, TimeNs now_wall, std::string_view error,
                      const Backoff& backoff);
  // Pending (not delivered, not dead) item count, and the earliest next attempt (0 if none).
  Result<std::pair<std::size_t, TimeNs>> outbox_pending();
  // Pending items per notifier (only notifiers with some), for the queued gauge.
  Result<std::map<std::string, std::size_t>> outbox_pending_by_notifier();

  // --- watch's path traces (path_store.cpp): each `path` event as written, newest kept ---
  struct StoredPath {
    TimeNs wall = 0;      // unix ns the trace started
    std::string trigger;  // start, up, down, api
    std::string json;     // the event's JSON object
  };
  // Keeps the newest kMaxPaths per target.
  static constexpr std::size_t kMaxPaths = 100;
  Result<void> save_path(const std::string& target, const StoredPath& p);
  Result<std::vector<StoredPath>> paths(const std::string& target, std::size_t limit);  // newest first

 private:
  struct Impl;
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace reach::store
