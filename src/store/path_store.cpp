// watch's path traces in the history file: one row per `path` event, the newest 100 per target.
// Its own table, created on first use (older files get it then; the schema version stays).
#include "store/store.hpp"
#include "store/store_impl.hpp"

namespace reach::store {

namespace {
constexpr const char* kPathTable =
    "CREATE TABLE IF NOT EXISTS watch_path(target TEXT NOT NULL, t INTEGER NOT NULL, trigger TEXT NOT NULL, "
    "body TEXT NOT NULL); CREATE INDEX IF NOT EXISTS watch_path_by_target ON watch_path(target, t)";
}  // namespace

Result<void> Store::save_path(const std::string& target, const StoredPath& p) {
  auto& db = impl_->db;
  if (auto r = db.exec(kPathTable, "save path"); !r) return r;
  return db.transaction("save path", [&]() -> Result<void> {
    sql::Stmt ins(db.h, "INSERT INTO watch_path VALUES(?, ?, ?, ?)");
    if (!ins.ok()) return db.error("save path", ins.prepare_rc());
    ins.bind(1, target).bind(2, static_cast<std::int64_t>(p.wall)).bind(3, p.trigger).bind(4, p.json);
    if (int rc = ins.step(); rc != SQLITE_DONE) return db.error("save path", rc);
    sql::Stmt prune(db.h,
                    "DELETE FROM watch_path WHERE target = ?1 AND rowid NOT IN "
                    "(SELECT rowid FROM watch_path WHERE target = ?1 ORDER BY t DESC, rowid DESC LIMIT ?2)");
    if (!prune.ok()) return db.error("save path", prune.prepare_rc());
    prune.bind(1, target).bind(2, static_cast<std::int64_t>(kMaxPaths));
    if (int rc = prune.step(); rc != SQLITE_DONE) return db.error("save path", rc);
    return {};
  });
}

Result<std::vector<Store::StoredPath>> Store::paths(const std::string& target, std::size_t limit) {
  auto& db = impl_->db;
  if (auto r = db.exec(kPathTable, "read paths"); !r) return tl::unexpected(r.error());
  sql::Stmt s(db.h, "SELECT t, trigger, body FROM watch_path WHERE target = ? ORDER BY t DESC, rowid DESC LIMIT ?");
  if (!s.ok()) return db.error("read paths", s.prepare_rc());
  s.bind(1, target).bind(2, static_cast<std::int64_t>(limit));
  std::vector<StoredPath> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW)
    out.push_back({s.i64(0), std::string(s.text(1)), std::string(s.text(2))});
  if (rc != SQLITE_DONE) return db.error("read paths", rc);
  return out;
}

}  // namespace reach::store
