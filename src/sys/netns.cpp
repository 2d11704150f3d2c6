#include "sys/netns.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <map>

namespace reach::sys {
namespace {

Result<NsId> ns_of(const std::string& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) return fail("stat", path, errno);
  return NsId{static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino)};
}

bool is_nsfs(const std::string& path) {
  // A bind-mounted namespace file lives on nsfs; an empty placeholder left by a failed
  // `ip netns add` does not. Opening it and asking setns-style would need privileges, so look
  // at the device instead: nsfs files share the device of /proc/self/ns/net.
  struct stat a{}, b{};
  if (::stat(path.c_str(), &a) != 0 || ::stat("/proc/self/ns/net", &b) != 0) return false;
  return a.st_dev == b.st_dev;
}

}  // namespace

Result<NsId> current_netns() { return ns_of("/proc/thread-self/ns/net"); }

Result<NetnsRef> named_netns(const std::string& name) {
  if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..")
    return fail("network namespace", name, 0, "not a valid name");
  NetnsRef r;
  r.name = name;
  r.path = "/run/netns/" + name;
  auto id = ns_of(r.path);
  if (!id) return fail("network namespace", name, id.error().err, "no " + r.path);
  if (!is_nsfs(r.path)) return fail("network namespace", name, 0, r.path + " is not a namespace");
  r.id = *id;
  return r;
}

Result<std::vector<NetnsRef>> all_netns() {
  std::vector<NetnsRef> out;
  std::map<NsId, std::size_t> seen;
  if (DIR* d = ::opendir("/run/netns")) {
    std::vector<std::string> names;
    while (dirent* e = ::readdir(d)) {
      if (e->d_name[0] == '.') continue;
      names.emplace_back(e->d_name);
    }
    ::closedir(d);
    std::sort(names.begin(), names.end());
    for (const auto& n : names) {
      auto r = named_netns(n);
      if (!r || seen.count(r->id)) continue;
      seen[r->id] = out.size();
      out.push_back(*r);
    }
  }
  DIR* proc = ::opendir("/proc");
  if (!proc) return fail("opendir", "/proc", errno);
  std::vector<int> pids;
  while (dirent* e = ::readdir(proc)) {
    int pid = 0;
    const char* end = e->d_name + std::strlen(e->d_name);
    auto [p, ec] = std::from_chars(e->d_name, end, pid);
    if (ec == std::errc{} && p == end && pid > 0) pids.push_back(pid);
  }
  ::closedir(proc);
  std::sort(pids.begin(), pids.end());
  for (int pid : pids) {
    std::string path = "/proc/" + std::to_string(pid) + "/ns/net";
    auto id = ns_of(path);
    if (!id) continue;  // exited, or not ours to look at
    if (auto it = seen.find(*id); it != seen.end()) {
      if (out[it->second].pid == 0) out[it->second].pid = pid;
      continue;
    }
    seen[*id] = out.size();
    out.push_back(NetnsRef{path, "", pid, *id});
  }
  return out;
}

Result<void> in_netns(const NetnsRef& ns, const std::function<void()>& fn) {
  return in_netns(ns.path, fn, ns.id);
}

Result<void> in_netns(const std::string& path, const std::function<void()>& fn, std::optional<NsId> expect) {
  int self = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (self < 0) return fail("open", "/proc/thread-self/ns/net", errno);
  Fd own(self);
  int target = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (target < 0) return fail("open network namespace", path, errno);
  Fd tgt(target);
  if (expect) {
    // /proc/PID/ns/net of a process that exited and whose pid was reused names another namespace.
    struct stat st{};
    if (::fstat(target, &st) != 0) return fail("stat network namespace", path, errno);
    if (NsId{static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino)} != *expect)
      return fail("enter network namespace", path, ESRCH, "its process exited since it was listed");
  }
  if (::setns(target, CLONE_NEWNET) != 0)
    return fail("enter network namespace", path, errno, errno == EPERM ? "needs CAP_SYS_ADMIN (root)" : "");
  fn();
  if (::setns(self, CLONE_NEWNET) != 0) return fail("return to network namespace", "", errno);
  return {};
}

Result<void> enter_netns(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail("open network namespace", path, errno);
  Fd ns(fd);
  if (::setns(fd, CLONE_NEWNET) != 0)
    return fail("enter network namespace", path, errno, errno == EINVAL ? "not a network namespace" : "");
  return {};
}

}  // namespace reach::sys
