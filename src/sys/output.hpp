#pragma once
// Standard output that loses no failure. A reader that went away (EPIPE: `reach ping X | head
// -1`) ends the process as SIGPIPE ends ping: reach ignores SIGPIPE for its sockets, so without
// this a ping without -c would run on forever into a closed pipe. Any other failed write (a full
// disk, /dev/full, a named output's closed pipe) is remembered for main to report and asks the
// run to stop; later output is dropped.
//
// A daemon (watch, usage, relay, guard) is not ended by its output: `reach relay --json | logger`
// whose logger restarts must not take every client connection down with it (HAProxy and nginx
// ignore SIGPIPE and log the write error). After keep_serving_when_output_fails(), a failed
// write is said once on stderr (or to the local syslog/journal when stderr fails too) and its
// bytes are dropped: after EPIPE on standard output all later output too (the reader cannot come
// back), after any other error (a full disk, a named pipe whose reader may open it again) the
// next output is tried again, and the first that gets through says how many lines were lost.
#include <memory>
#include <ostream>
#include <streambuf>
#include <string>

#include "base/error.hpp"
#include "sys/fd.hpp"

namespace reach::sys {

// From now on the process outlives a failed standard output (see above); also ignores SIGPIPE.
// `who` begins the line that says it ("reach relay").
void keep_serving_when_output_fails(std::string who);

// A file output such as `--events FILE` (O_APPEND, created 0644): the same rules as standard
// output, named by what the user gave. Error: {op "open", addr PATH, errno}.
Result<Fd> open_for_append(const std::string& path);

class FdOutput final : public std::streambuf {
 public:
  // `name` says which output failed ("standard output", "--events /var/log/w.ndjson").
  explicit FdOutput(int fd, std::string name = "standard output");
  ~FdOutput() override;
  FdOutput(const FdOutput&) = delete;
  FdOutput& operator=(const FdOutput&) = delete;

  int error() const { return err_; }  // errno of the first failed write, 0 when none failed
  // Writes what is buffered to the old descriptor, then goes on on `fd` (the caller owns both):
  // a new file starts at a line's start, with nothing torn and no reader gone.
  void switch_to(int fd);

 protected:
  int_type overflow(int_type c) override;
  std::streamsize xsputn(const char* s, std::streamsize n) override;
  int sync() override;

 private:
  bool write_out(const char* p, std::size_t n);
  bool put(const char*& p, std::size_t& n);
  bool dropped(int e, const char* rest, std::size_t n);  // a daemon's failed write: said, `rest` dropped
  void recovered();                                       // a daemon's write after failed ones
  int fd_;
  std::string name_;
  int err_ = 0;
  bool closed_ = false;  // a daemon's reader went away: later output is dropped unwritten
  bool said_ = false;    // this spell of failed writes was said (a success ends the spell)
  bool at_line_start_ = true;  // the last byte written ended a line
  bool torn_ = false;    // the output ends in a line cut short: a newline goes first
  std::size_t lost_ = 0;  // lines (newlines) dropped in this spell
  char buf_[16384];
};

// A named file output (`--events FILE`) that follows logrotate: reopen(), on SIGHUP, writes what
// is buffered to the file as it was and appends to PATH anew (the file `create` left, or a new
// one), as rsyslog and nginx do. A FIFO is kept: it is not rotated, and opening one blocks until
// a reader comes. Errors: {op "open", addr PATH, errno}; a failed reopen keeps the old file.
class FileOutput {
 public:
  // `name` says which output failed ("--events /var/log/w.ndjson").
  static Result<std::unique_ptr<FileOutput>> open(const std::string& path, std::string name);
  std::ostream& stream() { return stream_; }
  Result<void> reopen();
  int error() const { return buf_.error(); }
  const std::string& path() const { return path_; }

 private:
  FileOutput(std::string path, Fd fd, std::string name);
  std::string path_;
  Fd fd_;
  FdOutput buf_;
  std::ostream stream_;
};

}  // namespace reach::sys
