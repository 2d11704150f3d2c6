#include "sys/file_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace reach::sys {

Result<Fd> lock_file(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644));
  if (!fd.valid()) return fail("lock", path, errno);
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) return fail("lock", path, errno);
  return fd;
}

Result<Fd> lock_for_daemon(const std::string& data_path, const std::string& daemon) {
  const std::string lock = data_path + "." + daemon + ".lock";
  auto fd = lock_file(lock);
  if (!fd && fd.error().err == EWOULDBLOCK)
    return fail(daemon, data_path, 0, "another reach " + daemon + " is already writing this file (it holds " + lock + ")");
  return fd;
}

Result<void> check_data_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return fail("db", path, EISDIR);
    if (::faccessat(AT_FDCWD, path.c_str(), R_OK | W_OK, AT_EACCESS) != 0) return fail("db", path, errno);
    return {};
  }
  if (errno != ENOENT) return fail("db", path, errno);
  // Created at start: its directory must be there and writable (SQLite adds -wal and -shm too).
  const auto slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  if (::stat(dir.c_str(), &st) != 0) return fail("db", path, errno, "the directory " + dir);
  if (!S_ISDIR(st.st_mode)) return fail("db", path, ENOTDIR, "the directory " + dir);
  if (::faccessat(AT_FDCWD, dir.c_str(), W_OK | X_OK, AT_EACCESS) != 0) return fail("db", path, errno, "the directory " + dir);
  return {};
}

}  // namespace reach::sys
