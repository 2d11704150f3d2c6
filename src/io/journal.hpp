#pragma once
// Follows the systemd journal (sd-journal from libsystemd, loaded at the first open:
// io/journal_api.hpp) for reach guard: the entries of one unit (`_SYSTEMD_UNIT=ssh.service`,
// or any of `identifiers` as SYSLOG_IDENTIFIER) from a saved cursor, so a restart neither
// misses nor repeats an entry; without a cursor from the end.
// libsystemd makes its own calls (it opens the journal files and watches them with inotify): it
// sits in io/ like curl and c-ares, its fd on the Reactor, plus a timer that looks anyway.
//
// `directory` opens the journal files of one directory instead of the system's (tests, and a
// journal copied from another machine). A journal that vanishes (its files deleted, a
// directory removed) is said once; entries are read again when files come back.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "base/time.hpp"
#include "io/reactor.hpp"

namespace reach::io {

struct JournalOptions {
  std::string unit;                      // "ssh.service": matches _SYSTEMD_UNIT
  std::vector<std::string> identifiers;  // SYSLOG_IDENTIFIER values also matched ("sshd")
  std::string directory;                 // empty: the local system journal
  std::string cursor;                    // saved; empty: from the end (or the start)
  bool from_start = false;
  TimeNs poll = kNsPerSec;
  std::size_t max_entries_per_turn = 20000;
};

struct JournalHooks {
  std::function<void(std::string_view message, std::string_view identifier)> line;  // MESSAGE, SYSLOG_IDENTIFIER
  std::function<void(const std::string& text)> note;
};

class JournalFollower {
 public:
  // Errors: {op "journal open"} when libsystemd cannot open the journal at all.
  static Result<std::unique_ptr<JournalFollower>> create(Reactor& reactor, JournalOptions options, JournalHooks hooks);
  ~JournalFollower();
  JournalFollower(const JournalFollower&) = delete;
  JournalFollower& operator=(const JournalFollower&) = delete;

  // The cursor of the last entry handed out (inside the hook: that entry's); empty before one.
  const std::string& cursor() const { return cursor_; }
  std::uint64_t entries() const { return entries_; }
  const std::string& name() const { return name_; }
  void poll();

 private:
  struct Impl;
  JournalFollower(Reactor& reactor, JournalOptions options, JournalHooks hooks);
  Result<void> start();
  void arm();
  void note(const std::string& text);
  std::string what_matches() const;  // "unit ssh.service or identifier sshd"

  Reactor& reactor_;
  JournalOptions opt_;
  JournalHooks hooks_;
  std::unique_ptr<Impl> impl_;
  std::string cursor_, name_, problem_, message_;
  std::uint64_t entries_ = 0;
  int fd_ = -1;
  Reactor::TimerId timer_ = 0;
  bool posted_ = false;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace reach::io
