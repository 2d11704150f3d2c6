#pragma once
// Network namespaces: find them (named ones under /run/netns, those of running processes) and
// run code inside one.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "sys/fd.hpp"

namespace reach::sys {

struct NsId {
  std::uint64_t dev = 0, ino = 0;
  friend bool operator==(const NsId&, const NsId&) = default;
  friend auto operator<=>(const NsId&, const NsId&) = default;
};

struct NetnsRef {
  std::string path;  // /run/netns/NAME or /proc/PID/ns/net
  std::string name;  // NAME for named ones, empty otherwise
  int pid = 0;       // the lowest pid found in it (0 when none was looked at)
  NsId id;
};

// The namespace of the calling thread.
Result<NsId> current_netns();
// /run/netns/NAME; an error naming the path when it does not exist or is not a namespace.
Result<NetnsRef> named_netns(const std::string& name);
// Every named namespace, then every other namespace a process lives in (lowest pid kept),
// each once (deduplicated by device and inode).
Result<std::vector<NetnsRef>> all_netns();

// Enters the namespace at `path`, runs fn, and returns to the caller's namespace. Sockets
// opened inside stay in that namespace. Needs CAP_SYS_ADMIN. With `expect`, refuses (ESRCH) a
// path that names another namespace by now.
Result<void> in_netns(const std::string& path, const std::function<void()>& fn,
                      std::optional<NsId> expect = std::nullopt);
// Moves the calling process into the network namespace at `path` for good, as `ip netns exec`
// does (it must still have one thread): every socket, route and name lookup after that is the
// namespace's. Needs CAP_SYS_ADMIN.
Result<void> enter_netns(const std::string& path);
// The namespace as listed, or ESRCH when its path now names another one (a reused pid).
Result<void> in_netns(const NetnsRef& ns, const std::function<void()>& fn);

}  // namespace reach::sys
