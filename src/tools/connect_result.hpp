#pragma once
// How check, scan --connect and ping --connect read the end of a non-blocking connect: SO_ERROR,
// then the ICMP error the kernel queued (IP_RECVERR, set by open_connect_socket), judged by
// engine/connect_outcome.
#include <optional>

#include "base/error.hpp"
#include "base/ip_addr.hpp"
#include "engine/connect_outcome.hpp"
#include "model/check.hpp"
#include "sys/fd.hpp"

namespace reach::tools {

// A non-blocking TCP socket whose ICMP errors are queued for us.
Result<sys::Fd> open_connect_socket(Family f);
// The last ICMP error on the socket's error queue (draining it). Read after SO_ERROR: dequeuing
// an ICMP error clears the socket's pending error.
std::optional<model::IcmpSeen> queued_icmp(int fd);
// The connect on `fd` finished (epoll said writable or error).
engine::ConnectVerdict finished_connect(int fd);
// connect() itself failed with `err`: the local stack decided.
engine::ConnectVerdict failed_connect(int err);
// The deadline passed: an ICMP error the kernel kept as a soft error decides, else no answer.
engine::ConnectVerdict timed_out_connect(int fd);

}  // namespace reach::tools
