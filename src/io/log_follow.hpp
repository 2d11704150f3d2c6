#pragma once
// Follows a log file as `tail -F` does, for reach guard: through rotation (the file renamed away
// and a new one created: the old one is read to its end for a grace period, since a logger
// writes to it until it reopens) and truncation (copytruncate: read again from the start).
// Hands out complete lines only (a trailing "\r" removed); a line longer than `max_line` is
// dropped whole, never cut into pieces a rule could match, and the lines after it are kept.
// The position (device, inode, offset after the last complete line) is what a restart resumes
// from, so it neither misses nor repeats lines; a file rotated while guard was stopped is found
// again as PATH.1 (logrotate's first name) and its rest read first.
//
// inotify on the file's directory says when to look; a timer looks every `poll` anyway (a missed
// or overflowed event queue costs at most that delay). Reads are bounded per turn.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "base/time.hpp"
#include "io/reactor.hpp"
#include "sys/fd.hpp"
#include "sys/log_file.hpp"

namespace reach::io {

struct LogPosition {
  std::uint64_t dev = 0, ino = 0, offset = 0;
  friend bool operator==(const LogPosition&, const LogPosition&) = default;
};

struct LogFollowOptions {
  std::string path;
  std::optional<LogPosition> start;  // saved position; none: from the end (or the start)
  bool from_start = false;           // without a saved position: read what is there already
  std::size_t max_line = std::size_t{10} << 20;
  TimeNs poll = kNsPerSec;
  TimeNs rotate_grace = 5 * kNsPerSec;  // the renamed-away file is read this long after rotation
  std::size_t max_bytes_per_turn = std::size_t{8} << 20;
};

struct LogFollowHooks {
  std::function<void(std::string_view line)> line;
  std::function<void(const std::string& text)> note;  // rotation, truncation, dropped line, gone file
};

struct LogFollowCounts {
  std::uint64_t lines = 0, bytes = 0, dropped_long = 0, rotations = 0, truncations = 0;
};

class LogFollower {
 public:
  // Errors: the directory cannot be watched, the path names something that is not a regular file.
  static Result<std::unique_ptr<LogFollower>> create(Reactor& reactor, LogFollowOptions options, LogFollowHooks hooks);
  ~LogFollower();
  LogFollower(const LogFollower&) = delete;
  LogFollower& operator=(const LogFollower&) = delete;

  // After the last complete line handed out (inside the line hook: after that line). While the
  // file is missing, the last one read.
  LogPosition position() const;
  const LogFollowCounts& counts() const { return counts_; }
  const std::string& path() const { return opt_.path; }
  // Reads what is new now (also what inotify and the timer call).
  void poll();

 private:
  struct File {
    sys::Fd fd;
    sys::FileId id;
    std::uint64_t consumed = 0;  // offset after the last complete line
    std::uint64_t read_off = 0;  // offset of the next byte to read
    std::string partial;         // bytes of an incomplete line
    bool discarding = false;     // inside a line over max_line
    TimeNs retire_at = 0;        // a renamed-away file: closed at this time
  };
  LogFollower(Reactor& reactor, LogFollowOptions options, LogFollowHooks hooks);
  Result<void> start();
  // Reads to the end (or the turn's budget); false when the budget ran out.
  bool drain(File& f, std::size_t& budget, bool final);
  void split(File& f, const char* data, std::size_t n);
  void emit(File& f, std::string_view line);
  std::optional<File> open_at(const std::string& path, std::uint64_t offset, bool quiet = false);
  void note(const std::string& text);
  void arm();

  Reactor& reactor_;
  LogFollowOptions opt_;
  LogFollowHooks hooks_;
  std::string dir_, base_;
  sys::Fd inotify_;
  std::optional<File> cur_;
  std::vector<File> retired_;
  LogFollowCounts counts_;
  LogPosition last_;
  std::string missing_;  // the last "missing" note, said once
  Reactor::TimerId timer_ = 0;
  bool posted_ = false;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // posts check it: the follower may be gone
  std::vector<char> buf_;
};

}  // namespace reach::io
