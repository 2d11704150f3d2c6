#include "sys/output.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "sys/signals.hpp"
#include "sys/syslog.hpp"

namespace reach::sys {
namespace {

[[noreturn]] void die_of_sigpipe() {
  signal(SIGPIPE, SIG_DFL);
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGPIPE);
  sigprocmask(SIG_UNBLOCK, &s, nullptr);
  raise(SIGPIPE);
  _exit(141);  // as the shell reports a death by SIGPIPE, should the signal not arrive
}

std::string g_daemon;  // keep_serving_when_output_fails: who the daemon is; empty for a one-shot

// One line on stderr, or in the journal when stderr went with the output (`2>&1 | head`).
void say(const std::string& line) {
  if (::write(STDERR_FILENO, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
    // daemon.warning, as logger(1) writes it.
    const std::string ident = g_daemon.substr(0, g_daemon.find(' ')) + "[" + std::to_string(::getpid()) + "]: ";
    (void)send_local_syslog("<28>" + ident + line.substr(0, line.size() - 1));
  }
}

}  // namespace

void keep_serving_when_output_fails(std::string who) {
  g_daemon = who.empty() ? "reach" : std::move(who);
  signal(SIGPIPE, SIG_IGN);
}

bool FdOutput::dropped(int e, const char* rest, std::size_t n) {
  // A standard output's reader cannot come back; a named pipe's can (a log shipper restarting).
  const bool gone = e == EPIPE && fd_ == STDOUT_FILENO;
  closed_ = closed_ || gone;
  lost_ += static_cast<std::size_t>(std::count(rest, rest + n, '\n'));
  // A line cut short (a disk filling up mid-write) must not take the next one with it.
  torn_ = torn_ || !at_line_start_;
  if (said_) return true;
  said_ = true;
  say(g_daemon + ": " + name_ + ": " + std::strerror(e) +
      (gone ? " (its reader went away): its output is dropped from now on"
                  : ": this output is dropped, the next is tried again") +
      "; still running\n");
  return true;
}

// The first write after a spell of failed ones: what was lost is said, and the next spell will be.
void FdOutput::recovered() {
  say(g_daemon + ": " + name_ + ": written again; " + std::to_string(lost_) +
      (lost_ == 1 ? " line was dropped\n" : " lines were dropped\n"));
  said_ = false;
  lost_ = 0;
}

Result<Fd> open_for_append(const std::string& path) {
  Fd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644));
  if (!fd.valid()) return fail("open", path, errno);
  return fd;
}

FdOutput::FdOutput(int fd, std::string name) : fd_(fd), name_(std::move(name)) { setp(buf_, buf_ + sizeof buf_); }

void FdOutput::switch_to(int fd) {
  sync();
  fd_ = fd;
  closed_ = false;
  torn_ = false;
  at_line_start_ = true;
}

FileOutput::FileOutput(std::string path, Fd fd, std::string name)
    : path_(std::move(path)), fd_(std::move(fd)), buf_(fd_.get(), std::move(name)), stream_(&buf_) {}

Result<std::unique_ptr<FileOutput>> FileOutput::open(const std::string& path, std::string name) {
  auto fd = open_for_append(path);
  if (!fd) return tl::unexpected(fd.error());
  return std::unique_ptr<FileOutput>(new FileOutput(path, std::move(*fd), std::move(name)));
}

Result<void> FileOutput::reopen() {
  struct stat st {};
  if (::fstat(fd_.get(), &st) == 0 && S_ISFIFO(st.st_mode)) return {};
  auto fd = open_for_append(path_);
  if (!fd) return tl::unexpected(fd.error());
  stream_.flush();
  buf_.switch_to(fd->get());
  fd_ = std::move(*fd);  // closes the rotated file
  return {};
}

FdOutput::~FdOutput() { sync(); }

// Writes all of p..p+n: false with errno set when a write failed (`p`, `n` then say what is left).
bool FdOutput::put(const char*& p, std::size_t& n) {
  while (n > 0) {
    ssize_t w = ::write(fd_, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      if (w == 0) errno = EIO;
      return false;
    }
    at_line_start_ = p[w - 1] == '\n';
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

bool FdOutput::write_out(const char* p, std::size_t n) {
  if (err_) return false;
  if (closed_) return true;
  if (!g_daemon.empty() && torn_) {  // end the line a failed write cut short, or this one joins it
    const char* nl = "\n";
    std::size_t one = 1;
    if (!put(nl, one)) return dropped(errno, p, n);
    torn_ = false;
  }
  if (put(p, n)) {
    if (said_) recovered();
    return true;
  }
  const int e = errno;
  // `reach ping X | head -1`: ended as ping is. Not a named output (`--events FIFO`): the run
  // stops with a write error, its summary on a standard output that still works.
  if (e == EPIPE && g_daemon.empty() && fd_ == STDOUT_FILENO) die_of_sigpipe();
  if (!g_daemon.empty()) return dropped(e, p, n);
  err_ = e;
  request_stop();
  return false;
}

int FdOutput::sync() {
  std::size_t n = static_cast<std::size_t>(pptr() - pbase());
  setp(buf_, buf_ + sizeof buf_);
  return n == 0 || write_out(buf_, n) ? (err_ ? -1 : 0) : -1;
}

FdOutput::int_type FdOutput::overflow(int_type c) {
  if (sync() != 0) return traits_type::eof();
  if (!traits_type::eq_int_type(c, traits_type::eof())) {
    *pptr() = traits_type::to_char_type(c);
    pbump(1);
  }
  return traits_type::not_eof(c);
}

std::streamsize FdOutput::xsputn(const char* s, std::streamsize n) {
  auto room = epptr() - pptr();
  if (n <= room) {
    std::memcpy(pptr(), s, static_cast<std::size_t>(n));
    pbump(static_cast<int>(n));
    return n;
  }
  if (sync() != 0) return 0;
  if (n < static_cast<std::streamsize>(sizeof buf_)) {
    std::memcpy(pptr(), s, static_cast<std::size_t>(n));
    pbump(static_cast<int>(n));
    return n;
  }
  return write_out(s, static_cast<std::size_t>(n)) ? n : 0;
}

}  // namespace reach::sys
