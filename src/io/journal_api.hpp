#pragma once
// libsystemd's sd-journal functions that io::JournalFollower calls, loaded when the first
// journal source opens (dlopen), not linked: a guard that follows only log files never maps
// libsystemd nor the libgcrypt, lzma, zstd and lz4 it pulls in. Each pointer has the type of the
// declaration in <systemd/sd-journal.h>. Internal to io/.
#include <systemd/sd-journal.h>

#include "base/error.hpp"

namespace reach::io::detail {

struct JournalApi {
  decltype(&::sd_journal_open) open;
  decltype(&::sd_journal_open_directory) open_directory;
  decltype(&::sd_journal_close) close;
  decltype(&::sd_journal_add_match) add_match;
  decltype(&::sd_journal_add_disjunction) add_disjunction;
  decltype(&::sd_journal_seek_cursor) seek_cursor;
  decltype(&::sd_journal_test_cursor) test_cursor;
  decltype(&::sd_journal_seek_head) seek_head;
  decltype(&::sd_journal_seek_tail) seek_tail;
  decltype(&::sd_journal_next) next;
  decltype(&::sd_journal_previous) previous;
  decltype(&::sd_journal_get_fd) get_fd;
  decltype(&::sd_journal_get_events) get_events;
  decltype(&::sd_journal_process) process;
  decltype(&::sd_journal_get_cursor) get_cursor;
  decltype(&::sd_journal_get_data) get_data;
};

// The table, loaded once per process and kept (thread-safe). Error: {op "load", addr
// "libsystemd.so.0", 0, why} when the library or one of its functions is missing.
Result<const JournalApi*> load_journal_api();

}  // namespace reach::io::detail
