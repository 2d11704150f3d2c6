#pragma once
// A thin RAII layer over SQLite's C API: a connection, prepared statements, and SQLite result
// codes turned into Error values (SQLITE_FULL -> ENOSPC, so callers can tell a full disk).
#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.hpp"
#include "base/time.hpp"

namespace reach::store::sql {

int errno_of(int sqlite_code);

class Stmt {
 public:
  Stmt() = default;
  Stmt(sqlite3* db, std::string_view text);  // check ok() after
  ~Stmt();
  Stmt(Stmt&& o) noexcept : s_(o.s_), rc_(o.rc_) { o.s_ = nullptr; }
  Stmt& operator=(Stmt&& o) noexcept;
  bool ok() const { return s_ != nullptr; }
  int prepare_rc() const { return rc_; }

  Stmt& bind(int i, std::int64_t v);
  Stmt& bind(int i, std::string_view text);
  Stmt& bind_blob(int i, std::string_view bytes);
  Stmt& bind_null(int i);
  // SQLITE_ROW, SQLITE_DONE or an error code; reset() before re-use.
  int step();
  void reset();
  std::int64_t i64(int col) const;
  std::string_view text(int col) const;
  std::string_view blob(int col) const;
  bool null(int col) const;

 private:
  sqlite3_stmt* s_ = nullptr;
  int rc_ = SQLITE_OK;
};

class Db {
 public:
  ~Db();
  sqlite3* h = nullptr;
  std::string path;
  // Runs statements without results ("BEGIN", "PRAGMA ..."); error value on failure.
  Result<void> exec(std::string_view sql, const char* what);
  tl::unexpected<Error> error(const char* what, int rc) const;
  // Runs `body` (returning Result<void>) inside BEGIN IMMEDIATE ... COMMIT; rolls back on any
  // error.
  template <class F>
  Result<void> transaction(const char* what, F&& body) {
    if (auto r = exec("BEGIN IMMEDIATE", what); !r) return r;
    Result<void> r = body();
    if (r) r = exec("COMMIT", what);
    if (!r) (void)exec("ROLLBACK", what);
    return r;
  }
};

// Opens the SQLite file of a store that shares it with the others (usage_, guard_ tables beside
// watch's): read-only, or read-write and created, with extended codes and a busy timeout; when
// writable, WAL, synchronous=NORMAL, temp_store=MEMORY and `schema`; then the meta row `key`
// must hold `version`. Errors say "<kind> store open" and the path ("no <kind> data in this
// database yet" when the row is missing).
struct StoreFile {
  std::string kind;             // "usage", "guard": prefixes the ops of errors
  std::string path;
  bool read_only = false;
  TimeNs busy_timeout = 2 * kNsPerSec;
  const char* schema = "";      // CREATE ... IF NOT EXISTS statements, meta row included
  const char* key = "";         // meta key of the schema version
  int version = 1;
  bool missing_ok = false;      // read-only: no file, or no <kind> data in it, is not an error
};
// True when opened; false (db closed) only with read_only and missing_ok when there is nothing to
// read yet: a state no daemon has written is empty, not an error (`reach guard --list` at first).
Result<bool> open_store_file(Db& db, const StoreFile& f);

}  // namespace reach::store::sql
