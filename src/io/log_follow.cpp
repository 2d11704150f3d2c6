#include "io/log_follow.hpp"

#include <fmt/format.h>
#include <sys/epoll.h>
#include <sys/inotify.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "sys/inotify.hpp"

namespace reach::io {

namespace {
constexpr std::size_t kChunk = 256 * 1024;
constexpr std::uint32_t kDirEvents =
    IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CLOSE_WRITE | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF;
}  // namespace

LogFollower::LogFollower(Reactor& reactor, LogFollowOptions options, LogFollowHooks hooks)
    : reactor_(reactor), opt_(std::move(options)), hooks_(std::move(hooks)), buf_(kChunk) {
  auto slash = opt_.path.rfind('/');
  dir_ = slash == std::string::npos ? "." : (slash == 0 ? "/" : opt_.path.substr(0, slash));
  base_ = slash == std::string::npos ? opt_.path : opt_.path.substr(slash + 1);
}

LogFollower::~LogFollower() {
  if (timer_) reactor_.cancel(timer_);
  if (inotify_.valid()) reactor_.unwatch(inotify_.get());
}

Result<std::unique_ptr<LogFollower>> LogFollower::create(Reactor& reactor, LogFollowOptions options, LogFollowHooks hooks) {
  std::unique_ptr<LogFollower> f(new LogFollower(reactor, std::move(options), std::move(hooks)));
  if (auto s = f->start(); !s) return tl::unexpected(s.error());
  return f;
}

void LogFollower::note(const std::string& text) {
  if (hooks_.note) hooks_.note(opt_.path + ": " + text);
}

std::optional<LogFollower::File> LogFollower::open_at(const std::string& path, std::uint64_t offset, bool quiet) {
  auto fd = sys::open_log(path);
  if (!fd) {
    if (!quiet && fd.error().err != ENOENT) note(fd.error().message());
    return std::nullopt;
  }
  auto id = sys::stat_fd(fd->get(), path);
  if (!id) {
    note(id.error().message());
    return std::nullopt;
  }
  if (!id->regular) {
    note("not a regular file: not read");
    return std::nullopt;
  }
  File f;
  f.fd = std::move(*fd);
  f.id = *id;
  f.consumed = f.read_off = std::min(offset, id->size);
  return f;
}

Result<void> LogFollower::start() {
  auto ino = sys::inotify_open();
  if (!ino) return tl::unexpected(ino.error());
  inotify_ = std::move(*ino);
  if (auto w = sys::inotify_watch(inotify_.get(), dir_, kDirEvents); !w)
    return fail("follow", opt_.path, w.error().err, "cannot watch its directory " + dir_);
  if (auto st = sys::stat_path(opt_.path); st && !st->regular)
    return fail("follow", opt_.path, EINVAL, "not a regular file");
  if (auto w = reactor_.watch(inotify_.get(), EPOLLIN, [this](std::uint32_t) {
        bool ours = false;
        for (const sys::InotifyEvent& e : sys::inotify_read(inotify_.get()))
          ours = ours || e.name.empty() || e.name.rfind(base_, 0) == 0 || (e.mask & IN_Q_OVERFLOW);
        if (ours) poll();
      });
      !w)
    return tl::unexpected(w.error());

  if (const auto& pos = opt_.start) {
    auto st = sys::stat_path(opt_.path);
    if (st && st->dev == pos->dev && st->ino == pos->ino) {
      if (st->size < pos->offset) note("shorter than when guard stopped (truncated): reading it from the start");
      cur_ = open_at(opt_.path, st->size < pos->offset ? 0 : pos->offset);
    } else {
      // Rotated while we were stopped: the rest of the old file first, if it is still PATH.1.
      const std::string old = opt_.path + ".1";
      auto ost = sys::stat_path(old);
      if (ost && ost->dev == pos->dev && ost->ino == pos->ino) {
        if (auto f = open_at(old, pos->offset)) {
          note("rotated while guard was stopped: reading the rest of " + old + " first");
          f->retire_at = reactor_.now() + opt_.rotate_grace;
          retired_.push_back(std::move(*f));
        }
      } else if (st) {
        note("replaced while guard was stopped (the old file is gone): reading the new one from its start");
      }
      cur_ = open_at(opt_.path, 0, true);
    }
  } else {
    auto st = sys::stat_path(opt_.path);
    cur_ = open_at(opt_.path, opt_.from_start || !st ? 0 : st->size, true);
  }
  if (!cur_) {
    missing_ = "does not exist (yet): waiting for it";
    note(missing_);
  } else {
    last_ = {cur_->id.dev, cur_->id.ino, cur_->consumed};
  }
  arm();
  reactor_.post([this, alive = std::weak_ptr<int>(alive_)] {
    if (alive.lock()) poll();
  });
  return {};
}

void LogFollower::arm() {
  timer_ = reactor_.after(opt_.poll, [this] {
    timer_ = 0;
    poll();
    arm();
  });
}

LogPosition LogFollower::position() const { return last_; }

void LogFollower::emit(File& f, std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  ++counts_.lines;
  if (cur_ && &f == &*cur_) last_ = {f.id.dev, f.id.ino, f.consumed};
  if (hooks_.line) hooks_.line(line);
}

void LogFollower::split(File& f, const char* data, std::size_t n) {
  std::size_t i = 0;
  while (i < n) {
    const char* nl = static_cast<const char*>(std::memchr(data + i, '\n', n - i));
    const std::size_t end = nl ? static_cast<std::size_t>(nl - data) : n;
    if (f.discarding) {
      f.consumed += end - i + (nl ? 1 : 0);
      if (nl) f.discarding = false;
      i = end + 1;
      continue;
    }
    if (!nl) {
      f.partial.append(data + i, n - i);
      if (f.partial.size() > opt_.max_line) {
        ++counts_.dropped_long;
        note(fmt::format("a line over {} bytes dropped (its bytes are not matched; the lines after it are)", opt_.max_line));
        f.consumed += f.partial.size();
        f.partial.clear();
        f.partial.shrink_to_fit();
        f.discarding = true;
      }
      return;
    }
    const std::size_t len = end - i;
    f.consumed += f.partial.size() + len + 1;
    if (f.partial.size() + len > opt_.max_line) {
      ++counts_.dropped_long;
      note(fmt::format("a line over {} bytes dropped (its bytes are not matched; the lines after it are)", opt_.max_line));
      f.partial.clear();
    } else if (f.partial.empty()) {
      emit(f, std::string_view(data + i, len));
    } else {
      f.partial.append(data + i, len);
      std::string line = std::move(f.partial);
      f.partial.clear();
      emit(f, line);
    }
    i = end + 1;
  }
}

bool LogFollower::drain(File& f, std::size_t& budget, bool final) {
  while (budget > 0) {
    const std::size_t want = std::min(buf_.size(), budget);
    auto n = sys::read_at(f.fd.get(), buf_.data(), want, f.read_off, opt_.path);
    if (!n) {
      note(n.error().message());
      return true;
    }
    if (*n == 0) break;
    f.read_off += *n;
    counts_.bytes += *n;
    budget -= *n;
    split(f, buf_.data(), *n);
  }
  if (budget == 0) return false;
  if (final && !f.partial.empty() && !f.discarding) {
    // The writer has moved on to the new file: its last line without a newline is complete.
    std::string line = std::move(f.partial);
    f.partial.clear();
    f.consumed += line.size();
    emit(f, line);
  }
  return true;
}

void LogFollower::poll() {
  std::size_t budget = opt_.max_bytes_per_turn;
  bool more = false;
  // Renamed-away files first: their lines are older than the new file's.
  for (auto it = retired_.begin(); it != retired_.end();) {
    const bool expired = reactor_.now() >= it->retire_at;
    more = !drain(*it, budget, expired) || more;
    if (expired && budget > 0)
      it = retired_.erase(it);
    else
      ++it;
  }
  if (cur_) more = !drain(*cur_, budget, false) || more;
  auto st = sys::stat_path(opt_.path);
  if (!st) {
    if (st.error().err == ENOENT) {
      std::string m = cur_ ? "renamed away or deleted: waiting for a new file" : "does not exist (yet): waiting for it";
      if (m != missing_) note(m);
      missing_ = std::move(m);
    } else if (missing_ != st.error().message()) {
      missing_ = st.error().message();
      note(missing_);
    }
  } else if (!cur_ || !st->same_file(cur_->id)) {
    if (cur_) {
      ++counts_.rotations;
      note("rotated: following the new file (the old one is read to its end for a while)");
      cur_->retire_at = reactor_.now() + opt_.rotate_grace;
      retired_.push_back(std::move(*cur_));
      cur_.reset();
    } else if (!missing_.empty()) {
      note("appeared: following it");
    }
    missing_.clear();
    cur_ = open_at(opt_.path, 0);
    if (cur_) {
      last_ = {cur_->id.dev, cur_->id.ino, 0};
      more = !drain(*cur_, budget, false) || more;
    }
  } else if (st->size < cur_->read_off) {
    ++counts_.truncations;
    note("truncated (copytruncate): reading it again from the start");
    cur_->consumed = cur_->read_off = 0;
    cur_->partial.clear();
    cur_->discarding = false;
    last_ = {cur_->id.dev, cur_->id.ino, 0};
    more = !drain(*cur_, budget, false) || more;
  }
  if (more && !posted_) {
    posted_ = true;
    reactor_.post([this, alive = std::weak_ptr<int>(alive_)] {
      if (!alive.lock()) return;
      posted_ = false;
      poll();
    });
  }
}

}  // namespace reach::io
