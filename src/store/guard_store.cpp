#include "store/guard_store.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>

#include "store/sqlite.hpp"

namespace reach::store {
namespace {

constexpr int kSchemaVersion = 1;

constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS guard_ban(prefix TEXT PRIMARY KEY, at_wall INTEGER NOT NULL, duration INTEGER NOT NULL,
  until_wall INTEGER NOT NULL, offence INTEGER NOT NULL, origin INTEGER NOT NULL, rule TEXT NOT NULL,
  form TEXT NOT NULL, reason TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS guard_position(source TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS guard_request(id INTEGER PRIMARY KEY, action TEXT NOT NULL, prefix TEXT NOT NULL,
  duration INTEGER NOT NULL, at_wall INTEGER NOT NULL);
INSERT OR IGNORE INTO meta VALUES('guard_schema', 1);
)";

}  // namespace

struct GuardStore::Impl {
  GuardStoreOptions opt;
  sql::Db db;
  bool exists = true;
  sql::Stmt upsert_ban, delete_ban, upsert_pos;

  // A missing state opened read-only has no handle: writes are refused before SQLite sees them.
  tl::unexpected<Error> absent() const { return fail("guard store write", opt.path, EROFS, "opened read-only, and empty"); }
  tl::unexpected<Error> error(const char* what, int rc) const {
    auto e = db.error(what, rc);
    e.value().op = "guard " + e.value().op;
    return e;
  }
};

GuardStore::GuardStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
GuardStore::~GuardStore() = default;
const std::string& GuardStore::path() const { return impl_->opt.path; }
bool GuardStore::exists() const { return impl_->exists; }

Result<std::unique_ptr<GuardStore>> GuardStore::open(const GuardStoreOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->opt = options;
  auto& db = impl->db;
  auto r = sql::open_store_file(db, {"guard", options.path, options.read_only, options.busy_timeout, kSchema,
                                     "guard_schema", kSchemaVersion, options.missing_ok});
  if (!r) return tl::unexpected(r.error());
  impl->exists = *r;
  if (!options.read_only) {
    impl->upsert_ban = sql::Stmt(db.h, "INSERT OR REPLACE INTO guard_ban VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)");
    impl->delete_ban = sql::Stmt(db.h, "DELETE FROM guard_ban WHERE prefix = ?");
    impl->upsert_pos = sql::Stmt(db.h, "INSERT OR REPLACE INTO guard_position VALUES(?, ?)");
    for (auto* s : {&impl->upsert_ban, &impl->delete_ban, &impl->upsert_pos})
      if (!s->ok()) return impl->error("open", s->prepare_rc());
  }
  return std::unique_ptr<GuardStore>(new GuardStore(std::move(impl)));
}

Result<std::vector<GuardBanRow>> GuardStore::bans() {
  if (!impl_->exists) return std::vector<GuardBanRow>{};
  sql::Stmt s(impl_->db.h, "SELECT * FROM guard_ban ORDER BY prefix");
  if (!s.ok()) return impl_->error("read", s.prepare_rc());
  std::vector<GuardBanRow> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    GuardBanRow r;
    r.prefix = s.text(0);
    r.at_wall = s.i64(1);
    r.duration = s.i64(2);
    r.until_wall = s.i64(3);
    r.offence = static_cast<int>(s.i64(4));
    r.origin = static_cast<int>(s.i64(5));
    r.rule = s.text(6);
    r.form = s.text(7);
    r.reason = s.text(8);
    out.push_back(std::move(r));
  }
  if (rc != SQLITE_DONE) return impl_->error("read", rc);
  return out;
}

Result<std::map<std::string, std::string>> GuardStore::positions() {
  if (!impl_->exists) return std::map<std::string, std::string>{};
  sql::Stmt s(impl_->db.h, "SELECT source, value FROM guard_position");
  if (!s.ok()) return impl_->error("read", s.prepare_rc());
  std::map<std::string, std::string> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) out[std::string(s.text(0))] = s.text(1);
  if (rc != SQLITE_DONE) return impl_->error("read", rc);
  return out;
}

Result<void> GuardStore::commit(const GuardUpdate& u) {
  auto& im = *impl_;
  if (!impl_->exists) return impl_->absent();
  if (u.bans.empty() && u.removed.empty() && u.positions.empty()) return {};
  return im.db.transaction("write", [&]() -> Result<void> {
    for (const std::string& p : u.removed) {
      auto& s = im.delete_ban;
      s.reset();
      s.bind(1, p);
      if (int rc = s.step(); rc != SQLITE_DONE) return im.error("write", rc);
    }
    for (const GuardBanRow& b : u.bans) {
      auto& s = im.upsert_ban;
      s.reset();
      s.bind(1, b.prefix).bind(2, b.at_wall).bind(3, b.duration).bind(4, b.until_wall).bind(5, b.offence);
      s.bind(6, b.origin).bind(7, b.rule).bind(8, b.form).bind(9, b.reason);
      if (int rc = s.step(); rc != SQLITE_DONE) return im.error("write", rc);
    }
    for (const auto& [k, v] : u.positions) {
      auto& s = im.upsert_pos;
      s.reset();
      s.bind(1, k).bind(2, v);
      if (int rc = s.step(); rc != SQLITE_DONE) return im.error("write", rc);
    }
    return {};
  });
}

Result<std::size_t> GuardStore::prune(TimeNs now_wall) {
  if (!impl_->exists) return impl_->absent();
  sql::Stmt s(impl_->db.h, "DELETE FROM guard_ban WHERE until_wall <= ?");
  if (!s.ok()) return impl_->error("write", s.prepare_rc());
  s.bind(1, now_wall);
  if (int rc = s.step(); rc != SQLITE_DONE) return impl_->error("write", rc);
  return static_cast<std::size_t>(sqlite3_changes(impl_->db.h));
}

Result<void> GuardStore::request(const GuardRequest& r) {
  if (!impl_->exists) return impl_->absent();
  sql::Stmt s(impl_->db.h, "INSERT INTO guard_request(action, prefix, duration, at_wall) VALUES(?, ?, ?, ?)");
  if (!s.ok()) return impl_->error("write", s.prepare_rc());
  s.bind(1, r.action).bind(2, r.prefix).bind(3, r.duration).bind(4, r.at_wall);
  if (int rc = s.step(); rc != SQLITE_DONE) return impl_->error("write", rc);
  return {};
}

Result<std::vector<GuardRequest>> GuardStore::take_requests() {
  if (!impl_->exists) return impl_->absent();
  std::vector<GuardRequest> out;
  {
    // Asked every second: a read first, so an empty queue takes no write lock.
    sql::Stmt any(impl_->db.h, "SELECT 1 FROM guard_request LIMIT 1");
    if (!any.ok()) return impl_->error("read", any.prepare_rc());
    const int rc = any.step();
    if (rc == SQLITE_DONE) return out;
    if (rc != SQLITE_ROW) return impl_->error("read", rc);
  }
  auto r = impl_->db.transaction("write", [&]() -> Result<void> {
    sql::Stmt s(impl_->db.h, "SELECT id, action, prefix, duration, at_wall FROM guard_request ORDER BY id");
    if (!s.ok()) return impl_->error("read", s.prepare_rc());
    int rc;
    while ((rc = s.step()) == SQLITE_ROW)
      out.push_back({s.i64(0), std::string(s.text(1)), std::string(s.text(2)), s.i64(3), s.i64(4)});
    if (rc != SQLITE_DONE) return impl_->error("read", rc);
    if (out.empty()) return {};
    return impl_->db.exec("DELETE FROM guard_request", "write");
  });
  if (!r) return tl::unexpected(r.error());
  return out;
}

Result<void> GuardStore::checkpoint() {
  if (!impl_->exists) return impl_->absent();
  if (auto r = impl_->db.exec("PRAGMA synchronous=FULL", "checkpoint"); !r) return r;
  return impl_->db.exec("PRAGMA wal_checkpoint(TRUNCATE)", "checkpoint");
}

}  // namespace reach::store
