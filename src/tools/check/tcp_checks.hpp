#pragma once
// Many TCP connects at once (non-blocking, on one io::Reactor), each classified by
// engine::classify_connect.
#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "base/ip_addr.hpp"
#include "base/time.hpp"
#include "model/check.hpp"

namespace reach::tools {

struct TcpTarget {
  IpAddr addr;
  std::uint16_t port = 0;
  std::string netns_path;         // open the socket in this namespace (/run/netns/NAME), or empty
  std::optional<IpAddr> source;   // bind to this source address
};

struct TcpResult {
  model::CheckStatus status = model::CheckStatus::error;
  std::string reason;
  std::optional<TimeNs> time;  // connect time of the final attempt (open, or a fast failure)
  unsigned attempts = 0;
  std::optional<model::IcmpSeen> icmp;
  int err = 0;
};

struct TcpRunOptions {
  std::size_t jobs = 1000;
  unsigned retries = 0;
  TimeNs timeout = 2 * kNsPerSec;
};

// Results in the order of `targets`. Fails only when the event loop itself cannot run.
Result<std::vector<TcpResult>> run_tcp_checks(const std::vector<TcpTarget>& targets, const TcpRunOptions& o,
                                              const Clock& clock);

}  // namespace reach::tools
