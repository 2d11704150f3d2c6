#pragma once
// `reach sockets`: every local socket with the process that owns it, like `netstat -anptu` and
// `ss -tuanp`, in one network namespace, a named one, or all of them.
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "tools/geo_option.hpp"

namespace reach::tools {

struct SocketsOptions {
  bool listening = false;  // -l: listeners only (TCP LISTEN, unconnected UDP/raw)
  bool all = false;        // -a: listeners and the rest
  bool tcp = false, udp = false, raw = false, unix_sockets = false;  // -t -u -w -x; none: t+u+w
  bool v4 = false, v6 = false;  // -4 / -6
  bool numeric = false;    // -n (reach never resolves names; accepted for netstat habits)
  bool programs = false;   // -p
  bool extended = false;   // -e
  bool json = false;
  bool summary = false;
  std::optional<int> port, sport, dport;
  std::vector<std::string> states;  // --state, each may be a comma list
  std::vector<std::string> addrs;   // --addr CIDR (or a bare address)
  std::optional<int> pid;
  std::string program;
  std::string netns;  // --netns NAME
  bool all_netns = false;
  GeoOptions geo;     // --geo, --geo-db: country and AS of each peer
};

// Lists the sockets and returns the exit code: 0 on success, 2 on bad input or when the
// kernel could not be asked at all.
int run_sockets(const SocketsOptions& opts, std::ostream& out, std::ostream& err);

}  // namespace reach::tools
