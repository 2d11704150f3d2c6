#pragma once
// Interface byte counters through rtnetlink (RTM_GETLINK dump, IFLA_STATS64), and the boot id
// that, with the ifindex, names a counter's base (a new boot or a re-created interface starts
// its counters at 0).
#include <cstdint>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "sys/fd.hpp"

namespace reach::sys {

struct LinkStats {
  int ifindex = 0;
  std::string name;
  std::string mac;        // "aa:bb:cc:dd:ee:ff", empty when none (or all zero)
  std::string perm_mac;   // IFLA_PERM_ADDRESS when the kernel reports it, else empty
  std::uint64_t rx_bytes = 0, tx_bytes = 0;
  int bits = 64;          // 64 from IFLA_STATS64; 32 when the kernel gave only IFLA_STATS
  bool up = false;        // IFF_UP
};
// Every link of the calling thread's network namespace, in the kernel's (ifindex) order. Links
// without byte counters are left out. Errors: {op "netlink getlink"}.
Result<std::vector<LinkStats>> read_link_stats();
// Link deletions as they happen (rtnetlink multicast group RTMGRP_LINK). The kernel's
// RTM_DELLINK carries the link's last counters: the bytes that crossed it after the last dump,
// which polling alone loses with the link. Non-blocking, in the calling thread's network
// namespace; watch fd() for readability and call deleted().
class LinkMonitor {
 public:
  static Result<LinkMonitor> open();
  int fd() const { return fd_.get(); }
  // Every deleted link queued since the last call, oldest first (links without byte counters
  // left out); never blocks. A receive queue that overflowed (deletions lost) is an error
  // {op "netlink link events", ENOBUFS}; the monitor goes on afterwards.
  Result<std::vector<LinkStats>> deleted();

 private:
  explicit LinkMonitor(Fd fd) : fd_(std::move(fd)) {}
  Fd fd_;
};

// /proc/sys/kernel/random/boot_id, trimmed.
Result<std::string> boot_id();

}  // namespace reach::sys
