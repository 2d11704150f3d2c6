#pragma once
// Sending one syslog message (already formatted, RFC 5424) to a collector or the local socket.
#include <cstdint>
#include <string>

#include "base/error.hpp"

namespace reach::sys {

// UDP: one datagram. TCP: a short-lived connection carrying the message with RFC 6587
// octet-counting framing ("LEN SP MSG"). `host` is an address or a name. Errors name it.
Result<void> send_syslog(bool tcp, const std::string& host, std::uint16_t port, const std::string& message);
// The local syslog daemon or journal: a datagram to /dev/log.
Result<void> send_local_syslog(const std::string& message);

}  // namespace reach::sys
