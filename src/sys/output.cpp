#include "sys/output.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

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

}  // namespace

void keep_serving_when_output_fails(std::string who) {
  g_daemon = who.empty() ? "reach" : std::move(who);
  signal(SIGPIPE, SIG_IGN);
}

bool FdOutput::dropped(int e) {
  closed_ = closed_ || e == EPIPE;
  if (said_) return true;
  said_ = true;
  const std::string line =
      g_daemon + ": " + name_ + ": " + std::strerror(e) +
      (e == EPIPE ? " (its reader went away): its output is dropped from now on"
                  : ": this output is dropped, the next is tried again") +
      "; still running\n";
  if (::write(STDERR_FILENO, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
    // stderr went with it (`2>&1 | head`): the journal then. daemon.warning, as logger(1) writes it.
    const std::string ident = g_daemon.substr(0, g_daemon.find(' ')) + "[" + std::to_string(::getpid()) + "]: ";
    (void)send_local_syslog("<28>" + ident + line.substr(0, line.size() - 1));
  }
  return true;
}

Result<Fd> open_for_append(const std::string& path) {
  Fd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644));
  if (!fd.valid()) return fail("open", path, errno);
  return fd;
}

FdOutput::FdOutput(int fd, std::string name) : fd_(fd), name_(std::move(name)) { setp(buf_, buf_ + sizeof buf_); }

FdOutput::~FdOutput() { sync(); }

bool FdOutput::write_out(const char* p, std::size_t n) {
  if (err_) return false;
  if (closed_) return true;
  while (n > 0) {
    ssize_t w = ::write(fd_, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno == EPIPE && g_daemon.empty()) die_of_sigpipe();
    if (w <= 0 && !g_daemon.empty()) return dropped(w < 0 ? errno : EIO);
    if (w <= 0) {
      err_ = w < 0 ? errno : EIO;
      request_stop();
      return false;
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
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
