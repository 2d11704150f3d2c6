#include "sys/output.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "sys/signals.hpp"

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

}  // namespace

FdOutput::FdOutput(int fd) : fd_(fd) { setp(buf_, buf_ + sizeof buf_); }

FdOutput::~FdOutput() { sync(); }

bool FdOutput::write_out(const char* p, std::size_t n) {
  if (err_) return false;
  while (n > 0) {
    ssize_t w = ::write(fd_, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno == EPIPE) die_of_sigpipe();
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
