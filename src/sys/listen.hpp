#pragma once
// Listening TCP sockets for the daemons' servers (HTTP now, relay later).
#include <cstdint>
#include <optional>
#include <string>

#include "base/error.hpp"
#include "base/ip_addr.hpp"
#include "sys/fd.hpp"

namespace reach::sys {

// socket + SO_REUSEADDR + bind + listen, non-blocking and close-on-exec. No `addr`: the
// dual-stack wildcard (IPv6 socket, IPV6_V6ONLY off). An IPv6 `addr` gets IPV6_V6ONLY on, so
// "[::]:80" and "0.0.0.0:80" can be listened on side by side. `name` is the address as the
// user wrote it, for errors: `listen 127.0.0.1:9798: Address already in use`.
Result<Fd> listen_tcp(const std::optional<IpAddr>& addr, std::uint16_t port, int backlog, const std::string& name);

}  // namespace reach::sys
