#pragma once
// What a TCP connect() ended with, in one place for `check`, `scan --connect` and
// `ping --connect`. Linux reports an ICMP error about our SYN as an errno (port and protocol
// unreachable become ECONNREFUSED / ENOPROTOOPT, prohibited EHOSTUNREACH); the real type, code
// and sender wait on the socket's error queue (IP_RECVERR), and they decide: only a connection
// refused without an ICMP error is a RST from the target. docs/SCAN.md has the words.
#include <optional>
#include <string>

#include "model/check.hpp"
#include "model/scan.hpp"

namespace reach::engine {

struct ConnectVerdict {
  model::PortState state = model::PortState::filtered;  // open; closed (RST); filtered (all else)
  model::PortReason reason = model::PortReason::no_response;
  std::optional<model::IcmpSeen> icmp;  // the ICMP error and its sender, when one came
  int err = 0;                          // the errno behind it, 0 when connected
  bool answered = false;                // something answered (false: timed out, or nothing left)
  std::string text;  // "connected", "connection refused (RST)", "port-unreachable from 198.18.0.2
                     // (ICMP type 3 code 3)", "no route (local)", "error ENOPROTOOPT (Protocol not available)"
};

// The scan reason an ICMP error stands for ("admin-prohibited", "port-unreachable", ...).
model::PortReason icmp_port_reason(Family f, std::uint8_t type, std::uint8_t code);

// `err`: connect()'s errno or SO_ERROR (0: connected; ETIMEDOUT: no answer in time);
// `icmp`: the error-queue entry, if any; `immediate`: connect() failed at once (the local stack
// decided, nothing was sent). Every errno gets a verdict: unknown ones are filtered, named.
ConnectVerdict classify_connect_outcome(int err, const std::optional<model::IcmpSeen>& icmp, bool immediate);

}  // namespace reach::engine
