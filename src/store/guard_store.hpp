#pragma once
// The persistent state of `reach guard` (docs/GUARD.md): the ban list (re-applied at start, so
// bans survive a restart and a reboot even though the kernel's sets do not survive a reboot),
// each source's read position (a file's device/inode/offset, the journal's cursor) and the
// requests (`--unban`, `--ban`) another reach process queues for the running daemon. It lives in
// the same SQLite file as watch's store when the config has `db:` (tables prefixed guard_), so
// notifications go through watch's outbox.
//
// commit() writes a flush's new bans, removed bans and positions in ONE transaction, after the
// kernel batch went in: a kill -9 at any instant leaves the old positions with the old bans (the
// lines after them are read again and decide the same bans again) or the new ones with both.
// SQLite's own calls, never a clock: callers pass every time (unix ns). Not thread-safe.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "base/time.hpp"

namespace reach::store {

struct GuardStoreOptions {
  std::string path;                // created if missing (not its directory)
  TimeNs busy_timeout = 2 * kNsPerSec;
  bool read_only = false;          // --list: never creates or writes
  // With read_only: a file that does not exist yet (or holds no guard data) opens as an empty
  // state (exists() false: no bans, no positions) instead of an error. A fresh install has none.
  bool missing_ok = false;
};

struct GuardBanRow {
  std::string prefix;              // "198.18.0.7/32", "2001:db8:1::/64"
  TimeNs at_wall = 0;              // unix ns of the deciding failure
  TimeNs duration = 0;
  TimeNs until_wall = 0;           // unix ns it runs out
  int offence = 1;
  int origin = 0;                  // model::GuardBanOrigin
  std::string rule, form, reason;
};

struct GuardUpdate {
  std::vector<GuardBanRow> bans;                 // inserted or replaced (by prefix)
  std::vector<std::string> removed;              // prefixes no longer banned
  std::map<std::string, std::string> positions;  // source key -> position text
};

struct GuardRequest {
  std::int64_t id = 0;
  std::string action;              // "unban" or "ban"
  std::string prefix;
  TimeNs duration = 0;             // ban: 0 = the escalation's next duration
  TimeNs at_wall = 0;
};

class GuardStore {
 public:
  // WAL, synchronous=NORMAL, schema version check (meta key "guard_schema").
  static Result<std::unique_ptr<GuardStore>> open(const GuardStoreOptions& options);
  ~GuardStore();
  GuardStore(const GuardStore&) = delete;
  GuardStore& operator=(const GuardStore&) = delete;
  const std::string& path() const;
  bool exists() const;  // false: opened with missing_ok and nothing there yet

  Result<std::vector<GuardBanRow>> bans();  // every saved ban, by prefix
  Result<std::map<std::string, std::string>> positions();
  Result<void> commit(const GuardUpdate& update);  // all or nothing
  // Drops bans that ran out before `now_wall` (at start, after restoring the rest).
  Result<std::size_t> prune(TimeNs now_wall);

  // Another process's request for the running daemon; and the daemon taking them (read and
  // deleted in one transaction), oldest first.
  Result<void> request(const GuardRequest& r);
  Result<std::vector<GuardRequest>> take_requests();

  Result<void> checkpoint();  // what SIGTERM calls last

 private:
  struct Impl;
  explicit GuardStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace reach::store
