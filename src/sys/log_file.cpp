#include "sys/log_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace reach::sys {

namespace {
FileId of(const struct stat& st) {
  return {static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino),
          static_cast<std::uint64_t>(st.st_size), S_ISREG(st.st_mode)};
}
}  // namespace

Result<Fd> open_log(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) return fail("open", path, errno);
  return Fd(fd);
}

Result<FileId> stat_path(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return fail("stat", path, errno);
  return of(st);
}

Result<FileId> stat_fd(int fd, const std::string& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return fail("stat", path, errno);
  return of(st);
}

Result<std::size_t> read_at(int fd, char* buf, std::size_t len, std::uint64_t offset, const std::string& path) {
  for (;;) {
    ssize_t n = ::pread(fd, buf, len, static_cast<off_t>(offset));
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno != EINTR) return fail("read", path, errno);
  }
}

}  // namespace reach::sys
