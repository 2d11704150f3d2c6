#include "store/usage_store.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "store/sqlite.hpp"

namespace reach::store {
namespace {

constexpr int kSchemaVersion = 1;

// Sources get a small integer id so the hourly rows stay narrow; buckets are clustered by
// (source, hour): a plan's cycle is one range scan per source.
constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS usage_source(id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, name TEXT);
CREATE TABLE IF NOT EXISTS usage_counter(source INTEGER NOT NULL, dir INTEGER NOT NULL, valid INTEGER NOT NULL,
  base TEXT NOT NULL, last INTEGER NOT NULL, last_wall INTEGER NOT NULL, bits INTEGER NOT NULL,
  PRIMARY KEY(source, dir)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS usage_hour(source INTEGER NOT NULL, t INTEGER NOT NULL, rx INTEGER NOT NULL,
  tx INTEGER NOT NULL, PRIMARY KEY(source, t)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS usage_threshold(plan TEXT PRIMARY KEY, cycle_start INTEGER NOT NULL,
  fired TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS usage_problem(source INTEGER PRIMARY KEY, problem TEXT NOT NULL, since INTEGER NOT NULL,
  seen INTEGER NOT NULL);
INSERT OR IGNORE INTO meta VALUES('usage_schema', 1);
)";
// usage_problem came later without a version change: a writer adds it to an older file (the
// CREATE ... IF NOT EXISTS above is the migration), and an older reach, which never reads it,
// keeps working on the file.

// SQLite integers are signed 64-bit: counters and byte sums are stored as their bit pattern.
std::int64_t as_i64(std::uint64_t v) { return static_cast<std::int64_t>(v); }
std::uint64_t as_u64(std::int64_t v) { return static_cast<std::uint64_t>(v); }

std::string join(const std::vector<int>& v) {
  std::string s;
  for (int x : v) s += (s.empty() ? "" : ",") + std::to_string(x);
  return s;
}

std::vector<int> split(std::string_view s) {
  std::vector<int> out;
  while (!s.empty()) {
    auto comma = s.find(',');
    std::string_view part = s.substr(0, comma);
    int v = 0;
    if (std::from_chars(part.data(), part.data() + part.size(), v).ec == std::errc()) out.push_back(v);
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

struct UsageStore::Impl {
  UsageStoreOptions opt;
  sql::Db db;
  std::map<std::string, std::int64_t, std::less<>> ids;  // source key -> id
  sql::Stmt upsert_counter, add_hour, insert_source, select_source, rename_source, set_problem, clear_problem;

  tl::unexpected<Error> error(const char* what, int rc) const {
    auto e = db.error(what, rc);
    e.value().op = "usage " + e.value().op;
    return e;
  }

  // The id of a source; created when `create` (inside the caller's transaction), else -1.
  Result<std::int64_t> source_id(const std::string& key, bool create) {
    if (auto it = ids.find(key); it != ids.end()) return it->second;
    select_source.reset();
    select_source.bind(1, key);
    int rc = select_source.step();
    if (rc == SQLITE_ROW) {
      auto id = select_source.i64(0);
      select_source.reset();
      ids.emplace(key, id);
      return id;
    }
    select_source.reset();
    if (rc != SQLITE_DONE) return error("read", rc);
    if (!create) return -1;
    insert_source.reset();
    insert_source.bind(1, key).bind(2, key);
    rc = insert_source.step();
    insert_source.reset();
    if (rc != SQLITE_DONE) return error("write", rc);
    auto id = sqlite3_last_insert_rowid(db.h);
    ids.emplace(key, id);
    return id;
  }

  // "source IN (...)" ids of the given keys that exist.
  Result<std::vector<std::int64_t>> existing(const std::vector<std::string>& keys) {
    std::vector<std::int64_t> out;
    for (const std::string& k : keys) {
      auto id = source_id(k, false);
      if (!id) return tl::unexpected(id.error());
      if (*id >= 0 && std::find(out.begin(), out.end(), *id) == out.end()) out.push_back(*id);
    }
    return out;
  }
};

UsageStore::UsageStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
UsageStore::~UsageStore() = default;
const std::string& UsageStore::path() const { return impl_->opt.path; }

Result<std::unique_ptr<UsageStore>> UsageStore::open(const UsageStoreOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->opt = options;
  auto& db = impl->db;
  if (auto r = sql::open_store_file(db, {"usage", options.path, options.read_only, options.busy_timeout, kSchema,
                                         "usage_schema", kSchemaVersion});
      !r)
    return tl::unexpected(r.error());
  impl->upsert_counter = sql::Stmt(db.h, "INSERT OR REPLACE INTO usage_counter VALUES(?, ?, ?, ?, ?, ?, ?)");
  impl->add_hour = sql::Stmt(db.h,
                             "INSERT INTO usage_hour VALUES(?1, ?2, ?3, ?4) ON CONFLICT(source, t) DO UPDATE SET "
                             "rx = rx + ?3, tx = tx + ?4");
  impl->insert_source = sql::Stmt(db.h, "INSERT INTO usage_source(key, name) VALUES(?, ?)");
  impl->select_source = sql::Stmt(db.h, "SELECT id FROM usage_source WHERE key = ?");
  impl->rename_source = sql::Stmt(db.h, "UPDATE usage_source SET name = ? WHERE id = ? AND name IS NOT ?1");
  impl->set_problem = sql::Stmt(db.h,
                                "INSERT INTO usage_problem VALUES(?1, ?2, ?3, ?3) ON CONFLICT(source) DO UPDATE SET "
                                "since = CASE WHEN problem = ?2 THEN since ELSE ?3 END, problem = ?2, seen = ?3");
  impl->clear_problem = sql::Stmt(db.h, "DELETE FROM usage_problem WHERE source = ?");
  for (auto* s : {&impl->select_source})
    if (!s->ok()) return impl->error("open", s->prepare_rc());
  if (!options.read_only)
    for (auto* s : {&impl->upsert_counter, &impl->add_hour, &impl->insert_source, &impl->rename_source,
                    &impl->set_problem, &impl->clear_problem})
      if (!s->ok()) return impl->error("open", s->prepare_rc());
  return std::unique_ptr<UsageStore>(new UsageStore(std::move(impl)));
}

Result<std::map<std::pair<std::string, UsageDir>, UsageCounterRow>> UsageStore::load_counters() {
  auto& db = impl_->db;
  sql::Stmt s(db.h,
              "SELECT s.key, c.dir, c.valid, c.base, c.last, c.last_wall, c.bits FROM usage_counter c "
              "JOIN usage_source s ON s.id = c.source");
  if (!s.ok()) return impl_->error("read", s.prepare_rc());
  std::map<std::pair<std::string, UsageDir>, UsageCounterRow> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    UsageCounterRow r;
    r.valid = s.i64(2) != 0;
    r.base = s.text(3);
    r.last = as_u64(s.i64(4));
    r.last_wall = s.i64(5);
    r.bits = s.i64(6) == 32 ? 32 : 64;
    out[{std::string(s.text(0)), s.i64(1) ? UsageDir::tx : UsageDir::rx}] = std::move(r);
  }
  if (rc != SQLITE_DONE) return impl_->error("read", rc);
  return out;
}

Result<void> UsageStore::commit(const UsageUpdate& u) {
  auto& im = *impl_;
  auto& db = im.db;
  const auto before = im.ids;  // ids created by a rolled-back transaction must be forgotten
  auto r = db.transaction("write", [&]() -> Result<void> {
    for (const auto& c : u.counters) {
      auto id = im.source_id(c.source, true);
      if (!id) return tl::unexpected(id.error());
      auto& s = im.upsert_counter;
      s.reset();
      s.bind(1, *id).bind(2, static_cast<std::int64_t>(c.dir)).bind(3, c.state.valid ? 1 : 0).bind(4, c.state.base);
      s.bind(5, as_i64(c.state.last)).bind(6, c.state.last_wall).bind(7, c.state.bits);
      if (int rc = s.step(); rc != SQLITE_DONE) return im.error("write", rc);
    }
    for (const auto& b : u.bytes) {
      if (b.bytes.rx == 0 && b.bytes.tx == 0) continue;
      auto id = im.source_id(b.source, true);
      if (!id) return tl::unexpected(id.error());
      auto& s = im.add_hour;
      s.reset();
      s.bind(1, *id).bind(2, b.bytes.hour).bind(3, as_i64(b.bytes.rx)).bind(4, as_i64(b.bytes.tx));
      if (int rc = s.step(); rc != SQLITE_DONE) return im.error("write", rc);
    }
    for (const auto& [source, name] : u.names) {
      auto id = im.source_id(source, true);
      if (!id) return tl::unexpected(id.error());
      auto& s = im.rename_source;
      s.reset();
      s.bind(1, name).bind(2, *id);
      if (int rc = s.step(); rc != SQLITE_DONE) return im.error("write", rc);
    }
    for (const auto& p : u.problems) {
      auto id = im.source_id(p.source, true);
      if (!id) return tl::unexpected(id.error());
      auto& s = p.problem.empty() ? im.clear_problem : im.set_problem;
      s.reset();
      s.bind(1, *id);
      if (!p.problem.empty()) s.bind(2, p.problem).bind(3, p.wall);
      if (int rc = s.step(); rc != SQLITE_DONE) return im.error("write", rc);
    }
    return {};
  });
  if (!r) im.ids = before;
  return r;
}

Result<std::vector<UsageBytes>> UsageStore::hours(const std::vector<std::string>& sources, std::int64_t from,
                                                  std::int64_t to) {
  auto ids = impl_->existing(sources);
  if (!ids) return tl::unexpected(ids.error());
  std::map<std::int64_t, UsageBytes> sum;
  sql::Stmt s(impl_->db.h, "SELECT t, rx, tx FROM usage_hour WHERE source = ? AND t >= ? AND t < ? ORDER BY t");
  if (!s.ok()) return impl_->error("read", s.prepare_rc());
  for (std::int64_t id : *ids) {
    s.reset();
    s.bind(1, id).bind(2, from).bind(3, to);
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
      UsageBytes& b = sum[s.i64(0)];
      b.hour = s.i64(0);
      b.rx += as_u64(s.i64(1));
      b.tx += as_u64(s.i64(2));
    }
    if (rc != SQLITE_DONE) return impl_->error("read", rc);
  }
  std::vector<UsageBytes> out;
  out.reserve(sum.size());
  for (auto& [t, b] : sum) out.push_back(b);
  return out;
}

Result<UsageBytes> UsageStore::total(const std::vector<std::string>& sources, std::int64_t from, std::int64_t to) {
  auto h = hours(sources, from, to);
  if (!h) return tl::unexpected(h.error());
  UsageBytes t;
  t.hour = from;
  for (const UsageBytes& b : *h) t.rx += b.rx, t.tx += b.tx;
  return t;
}

Result<std::vector<UsageSourceRow>> UsageStore::sources() {
  sql::Stmt s(impl_->db.h,
              "SELECT s.key, coalesce(s.name, s.key), coalesce(sum(h.rx), 0), coalesce(sum(h.tx), 0), "
              "coalesce(min(h.t), 0), coalesce(max(h.t), 0) FROM usage_source s LEFT JOIN usage_hour h "
              "ON h.source = s.id GROUP BY s.id ORDER BY s.key");
  if (!s.ok()) return impl_->error("read", s.prepare_rc());
  std::vector<UsageSourceRow> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    UsageSourceRow r;
    r.id = s.text(0);
    r.name = s.text(1);
    r.rx = as_u64(s.i64(2));
    r.tx = as_u64(s.i64(3));
    r.first_hour = s.i64(4);
    r.last_hour = s.i64(5);
    out.push_back(std::move(r));
  }
  if (rc != SQLITE_DONE) return impl_->error("read", rc);
  return out;
}

Result<std::map<std::string, UsageProblemRow>> UsageStore::problems() {
  std::map<std::string, UsageProblemRow> out;
  sql::Stmt has(impl_->db.h, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'usage_problem'");
  if (!has.ok()) return impl_->error("read", has.prepare_rc());
  if (int rc = has.step(); rc == SQLITE_DONE) return out;
  else if (rc != SQLITE_ROW) return impl_->error("read", rc);
  sql::Stmt s(impl_->db.h,
              "SELECT s.key, p.problem, p.since, p.seen FROM usage_problem p JOIN usage_source s ON s.id = p.source");
  if (!s.ok()) return impl_->error("read", s.prepare_rc());
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) out[std::string(s.text(0))] = {std::string(s.text(1)), s.i64(2), s.i64(3)};
  if (rc != SQLITE_DONE) return impl_->error("read", rc);
  return out;
}

Result<UsageThresholdRow> UsageStore::load_threshold(const std::string& plan) {
  sql::Stmt s(impl_->db.h, "SELECT cycle_start, fired FROM usage_threshold WHERE plan = ?");
  if (!s.ok()) return impl_->error("threshold", s.prepare_rc());
  s.bind(1, plan);
  UsageThresholdRow row;
  int rc = s.step();
  if (rc == SQLITE_ROW) {
    row.cycle_start = s.i64(0);
    row.fired = split(s.text(1));
  } else if (rc != SQLITE_DONE) {
    return impl_->error("threshold", rc);
  }
  return row;
}

namespace {

Result<void> write_threshold(sql::Db& db, const std::string& plan, const UsageThresholdRow& row) {
  sql::Stmt s(db.h, "INSERT OR REPLACE INTO usage_threshold VALUES(?, ?, ?)");
  if (!s.ok()) return db.error("usage threshold", s.prepare_rc());
  s.bind(1, plan).bind(2, row.cycle_start).bind(3, join(row.fired));
  if (int rc = s.step(); rc != SQLITE_DONE) return db.error("usage threshold", rc);
  return {};
}

}  // namespace

Result<void> UsageStore::save_threshold(const std::string& plan, const UsageThresholdRow& row) {
  auto& db = impl_->db;
  // What a notification decided must survive a power cut as the outbox item does.
  if (auto r = db.exec("PRAGMA synchronous=FULL", "threshold"); !r) return r;
  Result<void> out = write_threshold(db, plan, row);
  (void)db.exec("PRAGMA synchronous=NORMAL", "threshold");
  return out;
}

Result<std::vector<OutboxItem>> enqueue_with_threshold(Store& outbox, std::vector<Store::Notification> items,
                                                       const std::string& plan, const UsageThresholdRow& row,
                                                       TimeNs now_wall) {
  return outbox.enqueue(std::move(items), {}, now_wall,
                        [&](sql::Db& db) { return write_threshold(db, plan, row); });
}

Result<void> UsageStore::checkpoint() {
  auto& db = impl_->db;
  if (auto r = db.exec("PRAGMA synchronous=FULL", "checkpoint"); !r) return r;
  auto r = db.exec("PRAGMA wal_checkpoint(TRUNCATE)", "checkpoint");
  (void)db.exec("PRAGMA synchronous=NORMAL", "checkpoint");
  return r;
}

Result<std::string> UsageStore::integrity_check() {
  auto& db = impl_->db;
  sql::Stmt s(db.h, "PRAGMA integrity_check");
  if (!s.ok()) return impl_->error("check", s.prepare_rc());
  std::string out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) out += (out.empty() ? "" : "\n") + std::string(s.text(0));
  if (rc != SQLITE_DONE) return impl_->error("check", rc);
  return out;
}

}  // namespace reach::store
