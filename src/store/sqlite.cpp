#include "store/sqlite.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <string>

namespace reach::store::sql {

int errno_of(int rc) {
  switch (rc & 0xff) {
    case SQLITE_FULL: return ENOSPC;
    case SQLITE_IOERR: return EIO;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return EBUSY;
    case SQLITE_READONLY: return EROFS;
    case SQLITE_PERM:
    case SQLITE_AUTH: return EACCES;
    case SQLITE_NOMEM: return ENOMEM;
    case SQLITE_CANTOPEN: return ENOENT;
    default: return 0;
  }
}

Stmt::Stmt(sqlite3* db, std::string_view text) {
  rc_ = sqlite3_prepare_v3(db, text.data(), static_cast<int>(text.size()), SQLITE_PREPARE_PERSISTENT, &s_, nullptr);
  if (rc_ != SQLITE_OK && s_) {
    sqlite3_finalize(s_);
    s_ = nullptr;
  }
}

Stmt::~Stmt() {
  if (s_) sqlite3_finalize(s_);
}

Stmt& Stmt::operator=(Stmt&& o) noexcept {
  if (this != &o) {
    if (s_) sqlite3_finalize(s_);
    s_ = o.s_;
    rc_ = o.rc_;
    o.s_ = nullptr;
  }
  return *this;
}

Stmt& Stmt::bind(int i, std::int64_t v) {
  sqlite3_bind_int64(s_, i, v);
  return *this;
}
Stmt& Stmt::bind(int i, std::string_view t) {
  sqlite3_bind_text(s_, i, t.data(), static_cast<int>(t.size()), SQLITE_TRANSIENT);
  return *this;
}
Stmt& Stmt::bind_blob(int i, std::string_view b) {
  sqlite3_bind_blob(s_, i, b.data(), static_cast<int>(b.size()), SQLITE_TRANSIENT);
  return *this;
}
Stmt& Stmt::bind_null(int i) {
  sqlite3_bind_null(s_, i);
  return *this;
}
int Stmt::step() { return sqlite3_step(s_); }
void Stmt::reset() {
  sqlite3_reset(s_);
  sqlite3_clear_bindings(s_);
}
std::int64_t Stmt::i64(int col) const { return sqlite3_column_int64(s_, col); }
std::string_view Stmt::text(int col) const {
  auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, col));
  return p ? std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, col))) : std::string_view();
}
std::string_view Stmt::blob(int col) const {
  auto* p = static_cast<const char*>(sqlite3_column_blob(s_, col));
  return p ? std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, col))) : std::string_view();
}
bool Stmt::null(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }

Db::~Db() {
  if (h) sqlite3_close_v2(h);
}

tl::unexpected<Error> Db::error(const char* what, int rc) const {
  std::string msg = h ? sqlite3_errmsg(h) : sqlite3_errstr(rc);
  if (msg == "not an error" || msg.empty()) msg = sqlite3_errstr(rc);
  return fail(fmt::format("store {}", what), path, errno_of(rc), msg);
}

Result<void> Db::exec(std::string_view sql, const char* what) {
  std::string s(sql);
  int rc = sqlite3_exec(h, s.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return error(what, rc);
  return {};
}

Result<bool> open_store_file(Db& db, const StoreFile& f) {
  db.path = f.path;
  auto err = [&](int rc) {
    auto e = db.error("open", rc);
    e.value().op = f.kind + " " + e.value().op;
    return e;
  };
  const std::string op = f.kind + " store open";
  const int flags = (f.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(f.path.c_str(), &db.h, flags, nullptr);
  const bool may_be_absent = f.read_only && f.missing_ok;
  auto absent = [&db] {
    sqlite3_close_v2(db.h);  // _v2: a statement still open closes it when it is finalized
    db.h = nullptr;
    return false;
  };
  if (rc != SQLITE_OK) {
    int sys = db.h ? sqlite3_system_errno(db.h) : 0;
    if (may_be_absent && sys == ENOENT) return absent();
    auto e = err(rc);
    if (sys) e.value().err = sys;
    return e;
  }
  sqlite3_extended_result_codes(db.h, 1);
  sqlite3_busy_timeout(db.h, static_cast<int>(std::max<TimeNs>(f.busy_timeout / kNsPerMs, 1)));
  if (!f.read_only) {
    Stmt s(db.h, "PRAGMA journal_mode=WAL");
    if (!s.ok()) return err(s.prepare_rc());
    rc = s.step();
    if (rc != SQLITE_ROW) return err(rc);
    if (s.text(0) != "wal") return fail(op, f.path, 0, "cannot use WAL mode");
    s = Stmt();
    // 512 KiB of page cache instead of SQLite's 2 MiB: a daemon touches a few pages per poll, and
    // its memory must not grow with a year of history.
    for (const char* p : {"PRAGMA synchronous=NORMAL", "PRAGMA temp_store=MEMORY", "PRAGMA cache_size=-512"})
      if (auto r = db.exec(p, "open"); !r) return tl::unexpected(r.error());
    if (auto r = db.exec(f.schema, "create schema"); !r) return tl::unexpected(r.error());
  }
  Stmt s(db.h, fmt::format("SELECT value FROM meta WHERE key = '{}'", f.key));
  const std::string none = "no " + f.kind + " data in this database yet";
  // No meta table (SQLITE_ERROR, e.g. an empty file) means nothing written yet; a file that is
  // not a database or is corrupt (NOTADB, CORRUPT, IOERR) is an error, never "no data".
  if (!s.ok() && s.prepare_rc() != SQLITE_ERROR) return err(s.prepare_rc());
  if (!s.ok() && may_be_absent) return absent();
  if (!s.ok()) return fail(op, f.path, 0, none);  // read-only, and no meta table at all
  rc = s.step();
  if (rc == SQLITE_DONE && may_be_absent) return absent();
  if (rc == SQLITE_DONE) return fail(op, f.path, 0, none);
  if (rc != SQLITE_ROW) return err(rc);
  if (s.i64(0) != f.version)
    return fail(op, f.path, 0,
                fmt::format("{} schema version {} is not {} (written by another reach)", f.kind, s.i64(0), f.version));
  return true;
}

}  // namespace reach::store::sql
