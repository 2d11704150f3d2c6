#include "io/journal_api.hpp"

#include "sys/shared_library.hpp"

namespace reach::io::detail {
namespace {

// Debian 12's libsystemd0 (252): the soname of the ABI <systemd/sd-journal.h> describes.
constexpr const char* kSoname = "libsystemd.so.0";

Result<JournalApi> resolve() {
  auto h = sys::load_library(kSoname);
  if (!h) return tl::unexpected(h.error());
  JournalApi a{};
  sys::SymbolBinder bind(*h, kSoname);
  bind(a.open, "sd_journal_open");
  bind(a.open_directory, "sd_journal_open_directory");
  bind(a.close, "sd_journal_close");
  bind(a.add_match, "sd_journal_add_match");
  bind(a.add_disjunction, "sd_journal_add_disjunction");
  bind(a.seek_cursor, "sd_journal_seek_cursor");
  bind(a.test_cursor, "sd_journal_test_cursor");
  bind(a.seek_head, "sd_journal_seek_head");
  bind(a.seek_tail, "sd_journal_seek_tail");
  bind(a.next, "sd_journal_next");
  bind(a.previous, "sd_journal_previous");
  bind(a.get_fd, "sd_journal_get_fd");
  bind(a.get_events, "sd_journal_get_events");
  bind(a.process, "sd_journal_process");
  bind(a.get_cursor, "sd_journal_get_cursor");
  bind(a.get_data, "sd_journal_get_data");
  if (auto ok = bind.status(); !ok) return tl::unexpected(ok.error());
  return a;
}

}  // namespace

Result<const JournalApi*> load_journal_api() {
  static const Result<JournalApi> api = resolve();
  if (!api) return tl::unexpected(api.error());
  return &*api;
}

}  // namespace reach::io::detail
