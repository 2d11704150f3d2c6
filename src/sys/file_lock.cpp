#include "sys/file_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>

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

}  // namespace reach::sys
