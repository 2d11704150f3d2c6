#include "store/store.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>

#include "store/store_impl.hpp"

namespace reach::store {
namespace {

constexpr int kSchemaVersion = 1;

// Raw rounds and rollups are clustered by (target, time): a target's history is one range scan,
// and pruning one target is one range delete.
constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS targets(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS raw(target INTEGER NOT NULL, t INTEGER NOT NULL, ok INTEGER NOT NULL,
  sent INTEGER NOT NULL, recv INTEGER NOT NULL, rtts BLOB, reason TEXT,
  PRIMARY KEY(target, t)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS minute(target INTEGER NOT NULL, t INTEGER NOT NULL, n INTEGER NOT NULL,
  ok INTEGER NOT NULL, sent INTEGER NOT NULL, recv INTEGER NOT NULL, rmin INTEGER, rmax INTEGER,
  rsum INTEGER, msum INTEGER, mcount INTEGER, hist BLOB, PRIMARY KEY(target, t)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS hour(target INTEGER NOT NULL, t INTEGER NOT NULL, n INTEGER NOT NULL,
  ok INTEGER NOT NULL, sent INTEGER NOT NULL, recv INTEGER NOT NULL, rmin INTEGER, rmax INTEGER,
  rsum INTEGER, msum INTEGER, mcount INTEGER, hist BLOB, PRIMARY KEY(target, t)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS alert_state(target TEXT NOT NULL, alert TEXT NOT NULL, state INTEGER,
  since INTEGER, failures INTEGER, successes INTEGER, flap_bits INTEGER, flap_rounds INTEGER,
  flapping INTEGER, firing INTEGER, last_notified INTEGER, quorum_since INTEGER,
  PRIMARY KEY(target, alert)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS outbox(id INTEGER PRIMARY KEY AUTOINCREMENT, notifier TEXT NOT NULL,
  payload TEXT NOT NULL, created INTEGER NOT NULL, next INTEGER NOT NULL, attempts INTEGER NOT NULL,
  last_error TEXT, status INTEGER NOT NULL, done_at INTEGER);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox(status, next);
INSERT OR IGNORE INTO meta VALUES('schema', 1);
INSERT OR IGNORE INTO meta VALUES('instance', lower(hex(randomblob(8))));
)";

enum OutboxStatus : int { kPending = 0, kDelivered = 1, kDead = 2 };

// An outbox change is committed with synchronous=FULL: it must survive a power cut, history
// may lose its last second.
class FullSync {
 public:
  explicit FullSync(sql::Db& db) : db_(db) { (void)db_.exec("PRAGMA synchronous=FULL", "pragma"); }
  ~FullSync() { (void)db_.exec("PRAGMA synchronous=NORMAL", "pragma"); }
  FullSync(const FullSync&) = delete;
  FullSync& operator=(const FullSync&) = delete;

 private:
  sql::Db& db_;
};

}  // namespace

TimeNs Backoff::delay(std::uint32_t attempts) const {
  if (attempts == 0) return 0;
  TimeNs d = first;
  for (std::uint32_t i = 1; i < attempts && d < max; ++i) d = d > max / 2 ? max : d * 2;
  return std::min(d, max);
}

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::~Store() = default;

Result<void> Store::Impl::set_meta(std::string_view key, std::int64_t value) {
  sql::Stmt s(db.h, "INSERT OR REPLACE INTO meta VALUES(?, ?)");
  if (!s.ok()) return db.error("meta", s.prepare_rc());
  s.bind(1, key).bind(2, value);
  int rc = s.step();
  if (rc != SQLITE_DONE) return db.error("meta", rc);
  return {};
}

Result<std::int64_t> Store::Impl::target_id(const std::string& name, bool create) {
  if (auto it = target_ids.find(name); it != target_ids.end()) return it->second;
  select_target.reset();
  select_target.bind(1, name);
  int rc = select_target.step();
  if (rc == SQLITE_ROW) {
    auto id = select_target.i64(0);
    select_target.reset();
    target_ids.emplace(name, id);
    return id;
  }
  select_target.reset();
  if (rc != SQLITE_DONE) return db.error("read", rc);
  if (!create) return -1;
  insert_target.reset();
  insert_target.bind(1, name);
  rc = insert_target.step();
  insert_target.reset();
  if (rc != SQLITE_DONE) return db.error("write", rc);
  auto id = sqlite3_last_insert_rowid(db.h);
  target_ids.emplace(name, id);
  return id;
}

Result<std::unique_ptr<Store>> Store::open(const Options& options) {
  auto impl = std::make_unique<Impl>();
  impl->opt = options;
  impl->db.path = options.path;
  auto& db = impl->db;
  int rc = sqlite3_open_v2(options.path.c_str(), &db.h,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    int sys = db.h ? sqlite3_system_errno(db.h) : 0;
    auto e = db.error("open", rc);
    if (sys) e.value().err = sys;
    return e;
  }
  sqlite3_extended_result_codes(db.h, 1);
  sqlite3_busy_timeout(db.h, static_cast<int>(std::max<TimeNs>(options.busy_timeout / kNsPerMs, 1)));
  {
    // journal_mode answers a row; WAL refused (e.g. a read-only directory) is an error.
    sql::Stmt s(db.h, "PRAGMA journal_mode=WAL");
    if (!s.ok()) return db.error("open", s.prepare_rc());
    rc = s.step();
    if (rc != SQLITE_ROW) return db.error("open", rc);
    if (s.text(0) != "wal") return fail("store open", options.path, 0, "cannot use WAL mode");
  }
  for (const char* p : {"PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=OFF", "PRAGMA temp_store=MEMORY"})
    if (auto r = db.exec(p, "open"); !r) return tl::unexpected(r.error());
  if (options.max_bytes) {
    auto pages = std::max<std::uint64_t>(options.max_bytes / 4096, 16);
    if (auto r = db.exec(fmt::format("PRAGMA max_page_count={}", pages), "open"); !r) return tl::unexpected(r.error());
  }
  if (auto r = db.exec(kSchema, "create schema"); !r) return tl::unexpected(r.error());
  // A file from before quorum_since gets the column (NULL, read as 0: startsAt falls back to
  // the state's own since), so its alert state still resumes.
  if (!sql::Stmt(db.h, "SELECT quorum_since FROM alert_state LIMIT 0").ok())
    if (auto r = db.exec("ALTER TABLE alert_state ADD COLUMN quorum_since INTEGER", "upgrade schema"); !r)
      return tl::unexpected(r.error());
  {
    sql::Stmt s(db.h, "SELECT key, value FROM meta");
    if (!s.ok()) return db.error("open", s.prepare_rc());
    while ((rc = s.step()) == SQLITE_ROW) {
      auto key = s.text(0);
      if (key == "schema" && s.i64(1) != kSchemaVersion)
        return fail("store open", options.path, 0,
                    fmt::format("schema version {} is not {} (written by another reach)", s.i64(1), kSchemaVersion));
      if (key == "instance") impl->instance = std::string(s.text(1));
      if (key == "minute_done") impl->minute_done = s.i64(1);
      if (key == "hour_done") impl->hour_done = s.i64(1);
    }
    if (rc != SQLITE_DONE) return db.error("open", rc);
  }
  impl->insert_raw = sql::Stmt(db.h, "INSERT OR REPLACE INTO raw VALUES(?, ?, ?, ?, ?, ?, ?)");
  impl->insert_target = sql::Stmt(db.h, "INSERT INTO targets(name) VALUES(?)");
  impl->select_target = sql::Stmt(db.h, "SELECT id FROM targets WHERE name = ?");
  for (auto* s : {&impl->insert_raw, &impl->insert_target, &impl->select_target})
    if (!s->ok()) return db.error("open", s->prepare_rc());
  return std::unique_ptr<Store>(new Store(std::move(impl)));
}

Result<std::uint64_t> Store::size_bytes() {
  std::uint64_t total = 0;
  for (const auto& suffix : {"", "-wal"}) {
    struct stat st {};
    if (::stat((impl_->opt.path + suffix).c_str(), &st) == 0) total += static_cast<std::uint64_t>(st.st_size);
  }
  return total;
}

Result<std::string> Store::integrity_check() {
  auto& db = impl_->db;
  sql::Stmt s(db.h, "PRAGMA integrity_check");
  if (!s.ok()) return db.error("check", s.prepare_rc());
  std::string out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) out += (out.empty() ? "" : "\n") + std::string(s.text(0));
  if (rc != SQLITE_DONE) return db.error("check", rc);
  return out;
}

// --- alert state ---

namespace {

Result<void> upsert_alert_states(sql::Db& db, const std::vector<AlertState>& states) {
  sql::Stmt s(db.h, "INSERT OR REPLACE INTO alert_state VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  if (!s.ok()) return db.error("alert state", s.prepare_rc());
  for (const auto& a : states) {
    s.reset();
    s.bind(1, a.target).bind(2, a.alert).bind(3, static_cast<std::int64_t>(a.state)).bind(4, a.since_wall);
    s.bind(5, static_cast<std::int64_t>(a.failures)).bind(6, static_cast<std::int64_t>(a.successes));
    s.bind(7, static_cast<std::int64_t>(a.flap_bits)).bind(8, static_cast<std::int64_t>(a.flap_rounds));
    s.bind(9, a.flapping).bind(10, a.firing).bind(11, a.last_notified_wall).bind(12, a.alert_since_wall);
    if (int rc = s.step(); rc != SQLITE_DONE) return db.error("alert state", rc);
  }
  return {};
}

}  // namespace

Result<void> Store::save_alert_states(const std::vector<AlertState>& states) {
  auto& db = impl_->db;
  return db.transaction("alert state", [&] { return upsert_alert_states(db, states); });
}

Result<std::vector<AlertState>> Store::load_alert_states() {
  auto& db = impl_->db;
  sql::Stmt s(db.h, "SELECT * FROM alert_state ORDER BY target, alert");
  if (!s.ok()) return db.error("alert state", s.prepare_rc());
  std::vector<AlertState> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    AlertState a;
    a.target = s.text(0);
    a.alert = s.text(1);
    auto st = s.i64(2);
    a.state = st >= 0 && st <= 2 ? static_cast<model::TargetState>(st) : model::TargetState::unknown;
    a.since_wall = s.i64(3);
    a.failures = static_cast<std::uint32_t>(s.i64(4));
    a.successes = static_cast<std::uint32_t>(s.i64(5));
    a.flap_bits = static_cast<std::uint64_t>(s.i64(6));
    a.flap_rounds = static_cast<std::uint32_t>(std::clamp<std::int64_t>(s.i64(7), 0, 64));
    a.flapping = s.i64(8) != 0;
    a.firing = s.i64(9) != 0;
    a.last_notified_wall = s.i64(10);
    a.alert_since_wall = s.i64(11);
    out.push_back(std::move(a));
  }
  if (rc != SQLITE_DONE) return db.error("alert state", rc);
  return out;
}

Result<void> Store::forget_alert_states(const std::vector<std::string>& targets) {
  auto& db = impl_->db;
  return db.transaction("alert state", [&]() -> Result<void> {
    sql::Stmt s(db.h, "DELETE FROM alert_state WHERE target = ?");
    if (!s.ok()) return db.error("alert state", s.prepare_rc());
    for (const auto& t : targets) {
      s.reset();
      s.bind(1, t);
      if (int rc = s.step(); rc != SQLITE_DONE) return db.error("alert state", rc);
    }
    return {};
  });
}

// --- outbox ---

Result<OutboxItem> Store::enqueue(std::string notifier, std::string payload, TimeNs now_wall) {
  auto items = enqueue({Notification{std::move(notifier), std::move(payload)}}, {}, now_wall);
  if (!items) return tl::unexpected(items.error());
  return std::move(items->front());
}

Result<std::vector<OutboxItem>> Store::enqueue(std::vector<Notification> items,
                                               const std::vector<AlertState>& states, TimeNs now_wall) {
  return enqueue(std::move(items), states, now_wall, {});
}

Result<std::vector<OutboxItem>> Store::enqueue(std::vector<Notification> items,
                                               const std::vector<AlertState>& states, TimeNs now_wall,
                                               const Also& also) {
  auto& db = impl_->db;
  FullSync full(db);
  std::vector<OutboxItem> out;
  auto r = db.transaction("outbox", [&]() -> Result<void> {
    sql::Stmt s(db.h, "INSERT INTO outbox(notifier, payload, created, next, attempts, status) VALUES(?, ?, ?, ?, 0, 0)");
    if (!s.ok()) return db.error("outbox", s.prepare_rc());
    for (Notification& n : items) {
      s.reset();
      s.bind(1, n.notifier).bind(2, n.payload).bind(3, now_wall).bind(4, now_wall);
      if (int rc = s.step(); rc != SQLITE_DONE) return db.error("outbox", rc);
      OutboxItem item;
      item.id = sqlite3_last_insert_rowid(db.h);
      item.key = fmt::format("{}-{}", impl_->instance, item.id);
      item.notifier = std::move(n.notifier);
      item.payload = std::move(n.payload);
      item.created_wall = item.next_wall = now_wall;
      out.push_back(std::move(item));
    }
    if (also)
      if (auto a = also(db); !a) return a;
    return upsert_alert_states(db, states);
  });
  if (!r) return tl::unexpected(r.error());
  return out;
}

Result<std::vector<OutboxItem>> Store::due(TimeNs now_wall, std::size_t max, const Backoff& backoff) {
  auto& db = impl_->db;
  {
    sql::Stmt dead(db.h,
                   "UPDATE outbox SET status = 2, done_at = ?1 WHERE status = 0 AND ((?2 > 0 AND created < ?1 - ?2) "
                   "OR (?3 > 0 AND attempts >= ?3))");
    if (!dead.ok()) return db.error("outbox", dead.prepare_rc());
    dead.bind(1, now_wall).bind(2, backoff.expire_after).bind(3, static_cast<std::int64_t>(backoff.max_attempts));
    if (int rc = dead.step(); rc != SQLITE_DONE) return db.error("outbox", rc);
  }
  sql::Stmt s(db.h,
              "SELECT id, notifier, payload, created, next, attempts, last_error FROM outbox "
              "WHERE status = 0 AND next <= ? ORDER BY id LIMIT ?");
  if (!s.ok()) return db.error("outbox", s.prepare_rc());
  s.bind(1, now_wall).bind(2, static_cast<std::int64_t>(std::min<std::size_t>(max, 1u << 30)));
  std::vector<OutboxItem> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    OutboxItem i;
    i.id = s.i64(0);
    i.key = fmt::format("{}-{}", impl_->instance, i.id);
    i.notifier = s.text(1);
    i.payload = s.text(2);
    i.created_wall = s.i64(3);
    i.next_wall = s.i64(4);
    i.attempts = static_cast<std::uint32_t>(s.i64(5));
    i.last_error = s.text(6);
    out.push_back(std::move(i));
  }
  if (rc != SQLITE_DONE) return db.error("outbox", rc);
  return out;
}

Result<void> Store::delivered(std::int64_t id, TimeNs now_wall) {
  auto& db = impl_->db;
  FullSync full(db);
  sql::Stmt s(db.h, "UPDATE outbox SET status = 1, done_at = ? WHERE id = ? AND status = 0");
  if (!s.ok()) return db.error("outbox", s.prepare_rc());
  s.bind(1, now_wall).bind(2, id);
  if (int rc = s.step(); rc != SQLITE_DONE) return db.error("outbox", rc);
  return {};
}

Result<void> Store::failed(std::int64_t id, TimeNs now_wall, std::string_view error, const Backoff& backoff) {
  auto& db = impl_->db;
  sql::Stmt get(db.h, "SELECT attempts FROM outbox WHERE id = ? AND status = 0");
  if (!get.ok()) return db.error("outbox", get.prepare_rc());
  get.bind(1, id);
  int rc = get.step();
  if (rc == SQLITE_DONE) return {};
  if (rc != SQLITE_ROW) return db.error("outbox", rc);
  auto attempts = static_cast<std::uint32_t>(get.i64(0)) + 1;
  get.reset();
  FullSync full(db);
  sql::Stmt s(db.h, "UPDATE outbox SET attempts = ?, next = ?, last_error = ? WHERE id = ?");
  if (!s.ok()) return db.error("outbox", s.prepare_rc());
  s.bind(1, static_cast<std::int64_t>(attempts)).bind(2, now_wall + backoff.delay(attempts)).bind(3, error).bind(4, id);
  if (rc = s.step(); rc != SQLITE_DONE) return db.error("outbox", rc);
  return {};
}

Result<std::pair<std::size_t, TimeNs>> Store::outbox_pending() {
  auto& db = impl_->db;
  sql::Stmt s(db.h, "SELECT count(*), coalesce(min(next), 0) FROM outbox WHERE status = 0");
  if (!s.ok()) return db.error("outbox", s.prepare_rc());
  int rc = s.step();
  if (rc != SQLITE_ROW) return db.error("outbox", rc);
  return std::pair<std::size_t, TimeNs>(static_cast<std::size_t>(s.i64(0)), s.i64(1));
}

Result<std::map<std::string, std::size_t>> Store::outbox_pending_by_notifier() {
  auto& db = impl_->db;
  sql::Stmt s(db.h, "SELECT notifier, count(*) FROM outbox WHERE status = 0 GROUP BY notifier");
  if (!s.ok()) return db.error("outbox", s.prepare_rc());
  std::map<std::string, std::size_t> out;
  int rc = 0;
  while ((rc = s.step()) == SQLITE_ROW) out[std::string(s.text(0))] = static_cast<std::size_t>(s.i64(1));
  if (rc != SQLITE_DONE) return db.error("outbox", rc);
  return out;
}

}  // namespace reach::store
