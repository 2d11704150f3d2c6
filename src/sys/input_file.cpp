#include "sys/input_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fmt/format.h>

#include "sys/fd.hpp"

namespace reach::sys {

Result<std::string> read_input_file(const std::string& path, std::size_t limit) {
  const bool stdin_ = path == "-";
  const std::string name = stdin_ ? "standard input" : path;
  Fd owned;
  int fd = STDIN_FILENO;
  if (!stdin_) {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) return fail("open", name, errno);
    owned = Fd(fd);
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) return fail("stat", name, errno);
  if (S_ISDIR(st.st_mode)) return fail("read", name, EISDIR);
  // Standard input may also be a terminal or a socket; a named file must be a file or a FIFO.
  bool ok = S_ISREG(st.st_mode) || S_ISFIFO(st.st_mode) ||
            (stdin_ && (S_ISSOCK(st.st_mode) || ::isatty(fd)));
  if (!ok) return fail("read", name, 0, "not a regular file or a pipe");
  auto too_big = [&] { return fail("read", name, 0, fmt::format("larger than {} MiB", limit >> 20)); };
  if (S_ISREG(st.st_mode) && static_cast<std::size_t>(st.st_size) > limit) return too_big();
  std::string s;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("read", name, errno);
    if (n == 0) break;
    if (s.size() + static_cast<std::size_t>(n) > limit) return too_big();
    s.append(buf, static_cast<std::size_t>(n));
  }
  return s;
}

}  // namespace reach::sys
