#pragma once
// An exclusive advisory lock (flock) held as long as the returned Fd is open: two daemons
// counting into one usage database would each add every delta (twice the bytes).
#include <string>

#include "base/error.hpp"
#include "sys/fd.hpp"

namespace reach::sys {

// Creates PATH if missing (mode 0644) and locks it without waiting: EWOULDBLOCK when another
// process holds it.
Result<Fd> lock_file(const std::string& path);

// One daemon of a kind per data file: locks DATA.DAEMON.lock ("watch.db.watch.lock"). When another
// process holds it: {op DAEMON, addr DATA, "another reach DAEMON is already writing this file
// (it holds LOCK)"} — two watch daemons on one database wrote every round twice.
Result<Fd> lock_for_daemon(const std::string& data_path, const std::string& daemon);

// What a daemon's start needs of its database file, checked without creating anything, so
// --validate refuses what the start would (a missing directory is the common first-deploy
// mistake): the file readable and writable when it exists, else its directory there and
// writable. Errors: {op "db", addr PATH, errno, "the directory DIR"} ("db /x/w.db: No such
// file or directory (the directory /x)").
Result<void> check_data_file(const std::string& path);

}  // namespace reach::sys
