#pragma once
// What a probe socket read, as the trace engine takes it (`reach trace` and watch's path traces).
#include "engine/trace_engine.hpp"
#include "io/probe_socket.hpp"

namespace reach::tools {

// An ICMP error from the socket's error queue; `user_rx`: when it was read.
inline engine::TraceQueuedError trace_queued_error(const io::ProbeSocket::IcmpError& e, TimeNs user_rx) {
  engine::TraceQueuedError in;
  in.family = e.entry.icmp_family;
  in.original = e.original;
  in.type = e.entry.icmp_type;
  in.code = e.entry.icmp_code;
  if (e.entry.offender) in.offender = *e.entry.offender;
  in.kernel_rx = e.entry.stamp.has_value();
  in.user_rx = user_rx;
  in.rx = e.entry.stamp.value_or(user_rx);
  return in;
}

}  // namespace reach::tools
