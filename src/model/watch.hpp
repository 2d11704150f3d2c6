#pragma once
// Result types of `reach watch`: one round of one target, and a target's alert state.
#include <cstdint>
#include <string>
#include <vector>

#include "base/time.hpp"

namespace reach::model {

enum class WatchProbe : std::uint8_t { icmp, tcp, syn, udp, http, dns };

// One round of one target: `sent` packets (ICMP: `packets` per round, spaced; other kinds: 1),
// the RTT of each answered one, and the verdict. Times: `start_wall` is unix ns (for history and
// exports); RTTs are ns on the monotonic timeline (kernel stamps where the kernel gave them).
struct RoundResult {
  std::string target;          // the target's configured name
  TimeNs start_wall = 0;       // unix time of the round's first probe, ns
  int sent = 0;
  int received = 0;
  bool success = false;        // the module's verdict (blackbox's probe_success)
  std::vector<TimeNs> rtts;    // one per answered packet, ascending
  std::string reason;          // why it failed ("timed out", "connection refused", "status 503")
  int http_status = 0;         // HTTP only, 0 otherwise
  int dns_rcode = -1;          // DNS only, -1 otherwise
  std::int64_t tls_not_after = 0;  // HTTPS only: unix seconds of the leaf certificate's expiry
};

// Alert state of one target as the damping rules see it (persisted across restarts).
enum class TargetState : std::uint8_t { unknown, up, down };

}  // namespace reach::model
