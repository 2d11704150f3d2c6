#pragma once
// The calls the log follower (io/log_follow) makes on a followed file: open it read-only, tell
// which file (device + inode) a path or an fd names and how long it is, read at an offset.
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "base/error.hpp"
#include "sys/fd.hpp"

namespace reach::sys {

struct FileId {
  std::uint64_t dev = 0, ino = 0;
  std::uint64_t size = 0;
  bool regular = false;
  bool same_file(const FileId& o) const { return dev == o.dev && ino == o.ino; }
};

// O_RDONLY | O_CLOEXEC | O_NONBLOCK (a FIFO put in the file's place must not block the loop).
// Errors: {op "open", addr = path}.
Result<Fd> open_log(const std::string& path);
Result<FileId> stat_path(const std::string& path);  // {op "stat", addr = path}
Result<FileId> stat_fd(int fd, const std::string& path);
// Reads up to `len` bytes at `offset`; 0 at the end. {op "read", addr = path}.
Result<std::size_t> read_at(int fd, char* buf, std::size_t len, std::uint64_t offset, const std::string& path);

}  // namespace reach::sys
