// Round history: batched writes, minute and hour rollups, bounded pruning, and the query that
// picks a resolution.
#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "store/codec.hpp"
#include "store/store_impl.hpp"

namespace reach::store {
namespace {

TimeNs floor_to(TimeNs t, TimeNs step) { return t >= 0 ? t - t % step : t - ((t % step) + step) % step; }

std::vector<std::int64_t> all_target_ids(sql::Db& db, Result<void>& status) {
  std::vector<std::int64_t> ids;
  sql::Stmt s(db.h, "SELECT id FROM targets ORDER BY id");
  if (!s.ok()) {
    status = db.error("read", s.prepare_rc());
    return ids;
  }
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) ids.push_back(s.i64(0));
  if (rc != SQLITE_DONE) status = db.error("read", rc);
  return ids;
}

Rollup rollup_from_row(const sql::Stmt& s, int first_col) {
  Rollup r;
  int c = first_col;
  r.count = static_cast<std::uint32_t>(s.i64(c));
  r.successes = static_cast<std::uint32_t>(s.i64(c + 1));
  r.sent = static_cast<std::uint64_t>(s.i64(c + 2));
  r.received = static_cast<std::uint64_t>(s.i64(c + 3));
  r.rtt_min = s.i64(c + 4);
  r.rtt_max = s.i64(c + 5);
  r.rtt_sum = s.i64(c + 6);
  r.median_sum = s.i64(c + 7);
  r.median_count = static_cast<std::uint32_t>(s.i64(c + 8));
  if (auto h = decode_hist(s.blob(c + 9))) r.hist = *h;
  return r;
}

void bind_rollup(sql::Stmt& s, std::int64_t target, TimeNs t, const Rollup& r) {
  s.bind(1, target).bind(2, t).bind(3, static_cast<std::int64_t>(r.count));
  s.bind(4, static_cast<std::int64_t>(r.successes)).bind(5, static_cast<std::int64_t>(r.sent));
  s.bind(6, static_cast<std::int64_t>(r.received)).bind(7, r.rtt_min).bind(8, r.rtt_max).bind(9, r.rtt_sum);
  s.bind(10, r.median_sum).bind(11, static_cast<std::int64_t>(r.median_count)).bind_blob(12, encode_hist(r.hist));
}

// The earliest row time at or after `from` in `table` over every target (one seek per target:
// the tables are clustered by target); -1 when there is none.
Result<TimeNs> next_time(sql::Db& db, const char* table, TimeNs from) {
  Result<void> st;
  auto ids = all_target_ids(db, st);
  if (!st) return tl::unexpected(st.error());
  sql::Stmt s(db.h, fmt::format("SELECT t FROM {} WHERE target = ? AND t >= ? ORDER BY t LIMIT 1", table));
  if (!s.ok()) return db.error("read", s.prepare_rc());
  TimeNs best = -1;
  for (auto id : ids) {
    s.reset();
    s.bind(1, id).bind(2, from);
    int rc = s.step();
    if (rc == SQLITE_ROW && (best < 0 || s.i64(0) < best)) best = s.i64(0);
    else if (rc != SQLITE_ROW && rc != SQLITE_DONE) return db.error("read", rc);
  }
  return best;
}

}  // namespace

void Store::add_round(const model::RoundResult& round) {
  auto& p = impl_->pending;
  if (p.size() >= impl_->opt.max_pending) {
    p.pop_front();
    ++impl_->dropped;
  }
  p.push_back(round);
}

Result<FlushStats> Store::flush(TimeNs now_wall, const std::function<void()>& between) {
  auto& im = *impl_;
  auto st = write_rounds();
  if (!st) return st;
  if (between) between();
  auto minutes = im.roll("raw", "minute", "minute_done", kMinute, im.minute_done, now_wall - im.opt.rollup_delay,
                         im.opt.rollup_budget, between);
  if (!minutes) return tl::unexpected(minutes.error());
  st->rolled_minutes = *minutes;
  auto hours = im.roll("minute", "hour", "hour_done", kHour, im.hour_done, im.minute_done, im.opt.rollup_budget, between);
  if (!hours) return tl::unexpected(hours.error());
  st->rolled_hours = *hours;
  if (between) between();
  auto pruned = im.prune(now_wall);
  if (!pruned) return tl::unexpected(pruned.error());
  st->pruned = *pruned;
  st->dropped = im.dropped;
  return st;
}

Result<FlushStats> Store::write_rounds() {
  auto& im = *impl_;
  auto& db = im.db;
  FlushStats st;
  std::vector<std::string> created;  // target ids minted inside the transaction
  if (!im.pending.empty()) {
    auto r = db.transaction("write", [&]() -> Result<void> {
      for (const auto& round : im.pending) {
        bool known = im.target_ids.count(round.target) != 0;
        auto id = im.target_id(round.target, true);
        if (!id) return tl::unexpected(id.error());
        if (!known) created.push_back(round.target);
        auto& s = im.insert_raw;
        s.reset();
        s.bind(1, *id).bind(2, round.start_wall).bind(3, round.success ? 1 : 0);
        s.bind(4, round.sent).bind(5, round.received).bind_blob(6, encode_rtts(round.rtts));
        if (round.success) s.bind_null(7);
        else s.bind(7, round.reason);
        int rc = s.step();
        s.reset();
        if (rc != SQLITE_DONE) return db.error("write", rc);
        if (im.minute_done >= 0 && round.start_wall < im.minute_done) ++st.late;
      }
      return {};
    });
    if (!r) {
      for (const auto& name : created) im.target_ids.erase(name);  // rolled back with the rest
      return tl::unexpected(r.error());
    }
    st.written = im.pending.size();
    im.pending.clear();
  }
  st.pending = im.pending.size();
  st.dropped = im.dropped;
  return st;
}

// Rolls up complete buckets of `width` from `source` into `dest`, one transaction per
// rollup_chunk targets of a bucket, the last one with the progress mark `key`: a kill before it
// rolls the bucket up again (INSERT OR REPLACE: the same rows), never leaves it half done. A
// bucket is complete when it ends at or before `limit`. After an empty bucket (the daemon was
// down), jumps to the next bucket that has rows, so a long gap costs one step, not one per bucket.
Result<std::size_t> Store::Impl::roll(const char* source, const char* dest, const char* key, TimeNs width,
                                      TimeNs& done, TimeNs limit, std::size_t budget,
                                      const std::function<void()>& between) {
  std::size_t rolled = 0;
  if (done < 0) {
    auto first = next_time(db, source, INT64_MIN);
    if (!first) return tl::unexpected(first.error());
    if (*first < 0) return 0;
    done = floor_to(*first, width);
  }
  if (done + width > limit) return 0;
  Result<void> status;
  auto ids = all_target_ids(db, status);
  if (!status) return tl::unexpected(status.error());
  bool from_raw = std::string_view(source) == "raw";
  sql::Stmt read(db.h, from_raw ? "SELECT ok, sent, recv, rtts FROM raw WHERE target = ? AND t >= ? AND t < ?"
                                : fmt::format("SELECT n, ok, sent, recv, rmin, rmax, rsum, msum, mcount, hist FROM {} "
                                              "WHERE target = ? AND t >= ? AND t < ?",
                                              source));
  sql::Stmt write(db.h, fmt::format("INSERT OR REPLACE INTO {} VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", dest));
  if (!read.ok() || !write.ok()) return db.error("rollup", read.ok() ? write.prepare_rc() : read.prepare_rc());
  const std::size_t chunk = std::max<std::size_t>(opt.rollup_chunk, 1);
  // Targets [first, end) of bucket b in one transaction; the last chunk marks the bucket done.
  auto roll_chunk = [&](TimeNs b, std::size_t first, std::size_t end, bool& any) {
    return db.transaction("rollup", [&]() -> Result<void> {
      for (std::size_t k = first; k < end; ++k) {
        const auto id = ids[k];
        Rollup roll;
        read.reset();
        read.bind(1, id).bind(2, b).bind(3, b + width);
        int rc;
        while ((rc = read.step()) == SQLITE_ROW) {
          if (!from_raw) {
            roll.merge(rollup_from_row(read, 0));
            continue;
          }
          auto rtts = decode_rtts(read.blob(3)).value_or(std::vector<TimeNs>{});
          roll.add_round(read.i64(0) != 0, static_cast<int>(read.i64(1)), static_cast<int>(read.i64(2)), rtts);
        }
        if (rc != SQLITE_DONE) return db.error("rollup", rc);
        if (roll.count == 0) continue;
        any = true;
        write.reset();
        bind_rollup(write, id, b, roll);
        if (rc = write.step(); rc != SQLITE_DONE) return db.error("rollup", rc);
      }
      return end == ids.size() ? set_meta(key, b + width) : Result<void>{};
    });
  };
  while (rolled < budget && done + width <= limit) {
    TimeNs b = done;
    bool any = false;
    for (std::size_t first = 0; first == 0 || first < ids.size(); first += chunk) {
      if (first > 0 && between) between();
      if (auto r = roll_chunk(b, first, std::min(ids.size(), first + chunk), any); !r) return tl::unexpected(r.error());
    }
    done = b + width;
    ++rolled;
    if (any) continue;
    auto next = next_time(db, source, done);
    if (!next) return tl::unexpected(next.error());
    TimeNs target = *next < 0 ? floor_to(limit, width) : floor_to(*next, width);
    if (target > done) {
      if (auto r2 = set_meta(key, target); !r2) return tl::unexpected(r2.error());
      done = target;
    }
  }
  return rolled;
}

// Deletes rows past retention, at most prune_budget per call: a slice of targets per call (a
// whole sweep takes about a minute of calls), at most `left` rows per target and table.
Result<std::size_t> Store::Impl::prune(TimeNs now) {
  std::size_t left = opt.prune_budget, deleted = 0;
  Result<void> status;
  auto ids = all_target_ids(db, status);
  if (!status) return tl::unexpected(status.error());
  if (ids.empty() || left == 0) return 0;
  struct Table {
    const char* name;
    TimeNs keep;
  } tables[] = {{"raw", opt.retention.raw}, {"minute", opt.retention.minute}, {"hour", opt.retention.hour}};
  std::size_t slice = std::max<std::size_t>(16, ids.size() / 60 + 1);
  auto start = std::lower_bound(ids.begin(), ids.end(), prune_cursor) - ids.begin();
  auto r = db.transaction("prune", [&]() -> Result<void> {
    for (const auto& t : tables) {
      // Deletes the oldest rows below the cutoff, at most ?3 + 1 of them.
      sql::Stmt del(db.h, fmt::format("DELETE FROM {0} WHERE target = ?1 AND t < ?2 AND t <= coalesce("
                                      "(SELECT t FROM {0} WHERE target = ?1 AND t < ?2 ORDER BY t LIMIT 1 OFFSET ?3), ?2)",
                                      t.name));
      if (!del.ok()) return db.error("prune", del.prepare_rc());
      for (std::size_t k = 0; k < slice && k < ids.size() && left > 0; ++k) {
        auto id = ids[(static_cast<std::size_t>(start) + k) % ids.size()];
        del.reset();
        del.bind(1, id).bind(2, now - t.keep).bind(3, static_cast<std::int64_t>(left - 1));
        if (int rc = del.step(); rc != SQLITE_DONE) return db.error("prune", rc);
        auto n = static_cast<std::size_t>(sqlite3_changes(db.h));
        deleted += n;
        left -= std::min(left, n);
      }
    }
    // Delivered and dead notifications are kept a week for inspection.
    sql::Stmt out(db.h, "DELETE FROM outbox WHERE status != 0 AND done_at < ?");
    if (!out.ok()) return db.error("prune", out.prepare_rc());
    out.bind(1, now - 7 * 24 * kHour);
    if (int rc = out.step(); rc != SQLITE_DONE) return db.error("prune", rc);
    return {};
  });
  if (!r) return tl::unexpected(r.error());
  prune_cursor = ids[(static_cast<std::size_t>(start) + slice) % ids.size()];
  return deleted;
}

namespace {

// Merges points into at most max_points buckets of equal width over [from, to).
std::vector<HistoryPoint> downsample(std::vector<HistoryPoint> pts, TimeNs from, TimeNs to, std::size_t max_points,
                                     Resolution res) {
  if (pts.size() <= max_points) return pts;
  TimeNs width = (to - from + static_cast<TimeNs>(max_points) - 1) / static_cast<TimeNs>(max_points);
  std::vector<HistoryPoint> out;
  Rollup acc;
  TimeNs bucket = -1;
  auto emit = [&] {
    if (acc.count) out.push_back(acc.point(from + bucket * width, res));
    acc = Rollup{};
  };
  for (const auto& p : pts) {
    TimeNs b = (p.wall - from) / width;
    if (b != bucket) {
      emit();
      bucket = b;
    }
    Rollup r;
    r.count = p.count;
    r.successes = p.successes;
    r.sent = p.sent;
    r.received = p.received;
    r.rtt_min = p.rtt_min;
    r.rtt_max = p.rtt_max;
    std::uint64_t n = 0;
    for (auto c : p.hist) n += c;
    r.rtt_sum = p.rtt_mean * static_cast<std::int64_t>(n);
    r.median_count = n ? (p.resolution == Resolution::raw ? 1 : std::max<std::uint32_t>(1, p.count)) : 0;
    r.median_sum = p.median_mean * r.median_count;
    r.hist = p.hist;
    acc.merge(r);
  }
  emit();
  return out;
}

}  // namespace

Result<std::vector<HistoryPoint>> Store::history(std::string_view target, TimeNs from, TimeNs to,
                                                 std::size_t max_points, Resolution finest) {
  auto& im = *impl_;
  auto& db = im.db;
  std::vector<HistoryPoint> out;
  if (max_points == 0 || to <= from) return out;
  auto id = im.target_id(std::string(target), false);
  if (!id) return tl::unexpected(id.error());
  if (*id < 0) return out;

  // Per resolution: how many rows fall in the range and whether its oldest row reaches `from`.
  struct Choice {
    const char* table;
    Resolution res;
    TimeNs slack;
  } choices[] = {{"raw", Resolution::raw, kMinute}, {"minute", Resolution::minute, 2 * kMinute},
                 {"hour", Resolution::hour, 2 * kHour}};
  const Choice* pick = nullptr;
  const Choice* with_data = nullptr;          // the finest with rows in the range
  const Choice* allowed_with_data = nullptr;  // the same, not finer than `finest`
  for (const auto& c : choices) {
    sql::Stmt s(db.h, fmt::format("SELECT count(*), (SELECT min(t) FROM {0} WHERE target = ?1) FROM {0} "
                                  "WHERE target = ?1 AND t >= ?2 AND t < ?3",
                                  c.table));
    if (!s.ok()) return db.error("history", s.prepare_rc());
    s.bind(1, *id).bind(2, from).bind(3, to);
    if (int rc = s.step(); rc != SQLITE_ROW) return db.error("history", rc);
    auto count = static_cast<std::size_t>(s.i64(0));
    bool covers = !s.null(1) && s.i64(1) <= from + c.slack;
    if (count > 0 && !with_data) with_data = &c;
    if (c.res < finest) continue;
    if (count > 0 && !allowed_with_data) allowed_with_data = &c;
    // A finer resolution wins while merging it down stays cheap (4 rows per point at most).
    if (covers && count > 0 && count <= 4 * max_points) {
      pick = &c;
      break;
    }
    if (covers && count > 0 && &c == &choices[2]) pick = &c;
  }
  if (!pick) pick = allowed_with_data ? allowed_with_data : with_data;
  if (!pick) return out;

  TimeNs rolled_until = from;
  if (pick->res == Resolution::raw) {
    sql::Stmt s(db.h, "SELECT t, ok, sent, recv, rtts, reason FROM raw WHERE target = ? AND t >= ? AND t < ? ORDER BY t");
    if (!s.ok()) return db.error("history", s.prepare_rc());
    s.bind(1, *id).bind(2, from).bind(3, to);
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
      Rollup r;
      auto rtts = decode_rtts(s.blob(4)).value_or(std::vector<TimeNs>{});
      r.add_round(s.i64(1) != 0, static_cast<int>(s.i64(2)), static_cast<int>(s.i64(3)), rtts);
      auto p = r.point(s.i64(0), Resolution::raw);
      p.rtts = std::move(rtts);
      p.reason = s.text(5);
      out.push_back(std::move(p));
    }
    if (rc != SQLITE_DONE) return db.error("history", rc);
    rolled_until = to;
  } else {
    TimeNs width = pick->res == Resolution::minute ? kMinute : kHour;
    sql::Stmt s(db.h, fmt::format("SELECT t, n, ok, sent, recv, rmin, rmax, rsum, msum, mcount, hist FROM {} "
                                  "WHERE target = ? AND t >= ? AND t < ? ORDER BY t",
                                  pick->table));
    if (!s.ok()) return db.error("history", s.prepare_rc());
    s.bind(1, *id).bind(2, floor_to(from, width)).bind(3, to);
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
      out.push_back(rollup_from_row(s, 1).point(s.i64(0), pick->res));
      rolled_until = s.i64(0) + width;
    }
    if (rc != SQLITE_DONE) return db.error("history", rc);
    // The rounds not rolled up yet (the last minutes) come from raw, bucketed alike.
    sql::Stmt tail(db.h, "SELECT t, ok, sent, recv, rtts FROM raw WHERE target = ? AND t >= ? AND t < ? ORDER BY t");
    if (!tail.ok()) return db.error("history", tail.prepare_rc());
    tail.bind(1, *id).bind(2, std::max(rolled_until, from)).bind(3, to);
    std::map<TimeNs, Rollup> buckets;
    while ((rc = tail.step()) == SQLITE_ROW) {
      auto rtts = decode_rtts(tail.blob(4)).value_or(std::vector<TimeNs>{});
      buckets[floor_to(tail.i64(0), width)].add_round(tail.i64(1) != 0, static_cast<int>(tail.i64(2)),
                                                       static_cast<int>(tail.i64(3)), rtts);
    }
    if (rc != SQLITE_DONE) return db.error("history", rc);
    for (auto& [t, r] : buckets) out.push_back(r.point(t, pick->res));
  }
  return downsample(std::move(out), from, to, max_points, pick->res);
}

}  // namespace reach::store
