#include "io/journal.hpp"

#include "io/journal_api.hpp"

#include <cerrno>
#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace reach::io {

struct JournalFollower::Impl {
  const detail::JournalApi* sd = nullptr;  // loaded by start()
  sd_journal* j = nullptr;
  ~Impl() {
    if (j) sd->close(j);
  }
};

namespace {
std::string errtext(int r) { return std::strerror(r < 0 ? -r : r); }
}  // namespace

JournalFollower::JournalFollower(Reactor& reactor, JournalOptions options, JournalHooks hooks)
    : reactor_(reactor), opt_(std::move(options)), hooks_(std::move(hooks)), impl_(std::make_unique<Impl>()) {
  name_ = "journal";
  if (!opt_.unit.empty()) name_ += " " + opt_.unit;
  if (!opt_.directory.empty()) name_ += " (" + opt_.directory + ")";
}

JournalFollower::~JournalFollower() {
  if (timer_) reactor_.cancel(timer_);
  if (fd_ >= 0) reactor_.unwatch(fd_);
}

Result<std::unique_ptr<JournalFollower>> JournalFollower::create(Reactor& reactor, JournalOptions options,
                                                                 JournalHooks hooks) {
  std::unique_ptr<JournalFollower> f(new JournalFollower(reactor, std::move(options), std::move(hooks)));
  if (auto s = f->start(); !s) return tl::unexpected(s.error());
  return f;
}

std::string JournalFollower::what_matches() const {
  std::string s = opt_.unit.empty() ? "" : "unit " + opt_.unit;
  for (const std::string& id : opt_.identifiers) s += (s.empty() ? "identifier " : " or identifier ") + id;
  return s;
}

void JournalFollower::note(const std::string& text) {
  if (hooks_.note) hooks_.note(name_ + ": " + text);
}

Result<void> JournalFollower::start() {
  auto api = detail::load_journal_api();
  if (!api) return tl::unexpected(api.error());
  impl_->sd = *api;
  int r = opt_.directory.empty() ? impl_->sd->open(&impl_->j, SD_JOURNAL_LOCAL_ONLY)
                                 : impl_->sd->open_directory(&impl_->j, opt_.directory.c_str(), 0);
  if (r < 0) return fail("journal open", opt_.directory.empty() ? "system journal" : opt_.directory, -r);
  sd_journal* j = impl_->j;
  bool any = false;
  auto match = [&](const std::string& field) {
    if (any) impl_->sd->add_disjunction(j);
    any = true;
    return impl_->sd->add_match(j, field.data(), field.size());
  };
  if (!opt_.unit.empty())
    if (int m = match("_SYSTEMD_UNIT=" + opt_.unit); m < 0) return fail("journal match", opt_.unit, -m);
  for (const std::string& id : opt_.identifiers)
    if (int m = match("SYSLOG_IDENTIFIER=" + id); m < 0) return fail("journal match", id, -m);
  // Said once: a unit name with a typo (ssh.sevice) matches nothing and would read nothing, in
  // silence, for ever.
  impl_->sd->seek_head(j);
  if (any && impl_->sd->next(j) == 0)
    note("nothing in the journal yet for " + what_matches() + ": is the unit name right?" +
         (opt_.unit.empty() ? std::string() : " (journalctl -u " + opt_.unit + " lists its entries)"));

  bool positioned = false;
  if (!opt_.cursor.empty()) {
    if (impl_->sd->seek_cursor(j, opt_.cursor.c_str()) >= 0) {
      // seek_cursor lands on the saved entry (or the nearest one): skip it only when it is it.
      if (impl_->sd->next(j) > 0 && impl_->sd->test_cursor(j, opt_.cursor.c_str()) <= 0) impl_->sd->previous(j);
      positioned = true;
      cursor_ = opt_.cursor;
    } else {
      note("the saved cursor is not in the journal any more: reading from the end");
    }
  }
  if (!positioned) {
    if (opt_.from_start) {
      impl_->sd->seek_head(j);
    } else {
      impl_->sd->seek_tail(j);
      impl_->sd->previous(j);  // the last entry: the next one read is the first new one
    }
  }
  fd_ = impl_->sd->get_fd(j);
  if (fd_ >= 0) {
    if (auto w = reactor_.watch(fd_, static_cast<std::uint32_t>(impl_->sd->get_events(j)), [this](std::uint32_t) {
          if (impl_->j) impl_->sd->process(impl_->j);
          poll();
        });
        !w)
      return tl::unexpected(w.error());
  } else {
    note("cannot watch the journal for changes (" + errtext(fd_) + "): looking every second");
    fd_ = -1;
  }
  arm();
  reactor_.post([this, alive = std::weak_ptr<int>(alive_)] {
    if (alive.lock()) poll();
  });
  return {};
}

void JournalFollower::arm() {
  timer_ = reactor_.after(opt_.poll, [this] {
    timer_ = 0;
    if (impl_->j) impl_->sd->process(impl_->j);
    poll();
    arm();
  });
}

void JournalFollower::poll() {
  sd_journal* j = impl_->j;
  std::size_t n = 0;
  for (; n < opt_.max_entries_per_turn; ++n) {
    int r = impl_->sd->next(j);
    if (r == 0) break;
    if (r < 0) {
      const std::string p = "cannot read (" + errtext(r) + "): trying again";
      if (p != problem_) note(p);
      problem_ = p;
      return;
    }
    if (!problem_.empty()) note("readable again");
    problem_.clear();
    const void* data = nullptr;
    std::size_t len = 0;
    char* c = nullptr;
    if (impl_->sd->get_cursor(j, &c) >= 0 && c) {
      cursor_ = c;
      std::free(c);
    }
    ++entries_;
    if (impl_->sd->get_data(j, "MESSAGE", &data, &len) < 0) continue;
    std::string_view m(static_cast<const char*>(data), len);
    m.remove_prefix(std::min<std::size_t>(8, m.size()));  // "MESSAGE="
    if (!m.empty() && m.back() == '\n') m.remove_suffix(1);
    // get_data's pointer is valid until the next call on the journal: copy the message first.
    message_.assign(m);
    std::string_view ident;
    if (impl_->sd->get_data(j, "SYSLOG_IDENTIFIER", &data, &len) >= 0 && len >= 18) {
      ident = std::string_view(static_cast<const char*>(data) + 18, len - 18);
    }
    if (hooks_.line) hooks_.line(message_, ident);
  }
  if (n == opt_.max_entries_per_turn && !posted_) {
    posted_ = true;
    reactor_.post([this, alive = std::weak_ptr<int>(alive_)] {
      if (!alive.lock()) return;
      posted_ = false;
      poll();
    });
  }
}

}  // namespace reach::io
