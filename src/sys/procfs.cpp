#include "sys/procfs.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <algorithm>
#include <atomic>
#include <thread>

#include "sys/fd.hpp"

namespace reach::sys {
namespace {

bool all_digits(const char* s) {
  if (*s == '\0') return false;
  for (; *s; ++s)
    if (*s < '0' || *s > '9') return false;
  return true;
}

std::string read_comm(int proc_dir, const char* pid) {
  char path[300];
  std::snprintf(path, sizeof path, "%s/comm", pid);
  int fd = ::openat(proc_dir, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  Fd owned(fd);
  char buf[64];
  ssize_t n = ::read(fd, buf, sizeof buf);
  if (n <= 0) return {};
  std::string s(buf, static_cast<std::size_t>(n));
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

}  // namespace

namespace {

struct Found {
  std::uint64_t inode;
  ProcessFd owner;
};

struct WalkPart {
  std::vector<Found> found;
  std::size_t processes = 0, unreadable = 0;
};

// Reads /proc/PID/fd of the pids at positions next, next + step, ... of `pids`.
void walk(int proc_fd, const std::vector<std::string>& pids, std::atomic<std::size_t>& next, WalkPart& part) {
  constexpr std::size_t kMaxFdsPerProcess = 1 << 24;
  for (std::size_t i = next++; i < pids.size(); i = next++) {
    const char* pid_text = pids[i].c_str();
    char path[300];
    std::snprintf(path, sizeof path, "%s/fd", pid_text);
    int dfd = ::openat(proc_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
      if (errno == EACCES || errno == EPERM) ++part.unreadable;
      continue;  // ENOENT: the process exited meanwhile
    }
    DIR* fds = ::fdopendir(dfd);
    if (!fds) {
      ::close(dfd);
      continue;
    }
    ++part.processes;
    int pid = 0;
    std::from_chars(pid_text, pid_text + pids[i].size(), pid);
    std::string comm;
    bool have_comm = false;
    std::size_t seen = 0;
    while (dirent* fe = ::readdir(fds)) {
      if (fe->d_name[0] == '.') continue;
      if (++seen > kMaxFdsPerProcess) break;
      char link[64];
      ssize_t n = ::readlinkat(dfd, fe->d_name, link, sizeof link - 1);
      // "socket:[12345]"
      if (n < 10 || std::memcmp(link, "socket:[", 8) != 0 || link[n - 1] != ']') continue;
      std::uint64_t inode = 0;
      auto [p, ec] = std::from_chars(link + 8, link + n - 1, inode);
      if (ec != std::errc{} || p != link + n - 1) continue;
      int fd = -1;
      std::from_chars(fe->d_name, fe->d_name + std::strlen(fe->d_name), fd);
      if (!have_comm) {
        comm = read_comm(proc_fd, pid_text);
        have_comm = true;
      }
      part.found.push_back(Found{inode, ProcessFd{pid, fd, comm}});
    }
    ::closedir(fds);
  }
}

}  // namespace

Result<SocketOwners> socket_owners() {
  SocketOwners out;
  int proc_fd = ::open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (proc_fd < 0) return fail("open", "/proc", errno);
  Fd proc_owned(proc_fd);
  std::vector<std::string> pids;
  {
    int list_fd = ::openat(proc_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR* proc = list_fd < 0 ? nullptr : ::fdopendir(list_fd);
    if (!proc) {
      int e = errno;
      if (list_fd >= 0) ::close(list_fd);
      return fail("opendir", "/proc", e);
    }
    constexpr std::size_t kMaxProcesses = 1 << 22;  // pid_max is at most 2^22
    while (dirent* pe = ::readdir(proc))
      if (all_digits(pe->d_name) && pids.size() < kMaxProcesses) pids.emplace_back(pe->d_name);
    ::closedir(proc);
  }
  // Reading the fd tables is nearly all kernel time (readlink of every fd): two threads
  // halve the wall time on a machine with a spare core.
  std::atomic<std::size_t> next{0};
  WalkPart parts[2];
  {
    std::thread helper([&] { walk(proc_fd, pids, next, parts[1]); });
    walk(proc_fd, pids, next, parts[0]);
    helper.join();
  }
  out.sorted.reserve(parts[0].found.size() + parts[1].found.size());
  for (auto& part : parts) {
    out.processes += part.processes;
    out.unreadable += part.unreadable;
    for (auto& f : part.found) out.sorted.emplace_back(f.inode, std::move(f.owner));
  }
  std::sort(out.sorted.begin(), out.sorted.end(), [](const auto& a, const auto& b) {
    if (a.first != b.first) return a.first < b.first;
    return a.second.pid != b.second.pid ? a.second.pid < b.second.pid : a.second.fd < b.second.fd;
  });
  return out;
}

std::span<const std::pair<std::uint64_t, ProcessFd>> SocketOwners::of(std::uint64_t inode) const {
  auto lo = std::lower_bound(sorted.begin(), sorted.end(), inode,
                             [](const auto& e, std::uint64_t v) { return e.first < v; });
  auto hi = lo;
  while (hi != sorted.end() && hi->first == inode) ++hi;
  return {lo, hi};
}

Result<std::string> read_text_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail("open", path, errno);
  Fd owned(fd);
  std::string s;
  char buf[65536];
  for (std::size_t rounds = 0; rounds < (1u << 16); ++rounds) {  // at most 4 GiB
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("read", path, errno);
    if (n == 0) break;
    s.append(buf, static_cast<std::size_t>(n));
  }
  return s;
}

}  // namespace reach::sys
