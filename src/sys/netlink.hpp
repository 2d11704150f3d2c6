#pragma once
// Netlink sockets (NETLINK_SOCK_DIAG, NETLINK_ROUTE): open, send a request, receive raw bytes,
// run a dump. Parsing the answers is left to packet/netlink.hpp and packet/rtnl_link.hpp.
#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "base/error.hpp"
#include "sys/fd.hpp"

namespace reach::sys {

// A NETLINK_SOCK_DIAG socket in the calling thread's network namespace, with a receive
// timeout so a dump that never ends cannot hang the run.
Result<Fd> open_sock_diag();
// The same for NETLINK_ROUTE (link dumps).
Result<Fd> open_rtnetlink();
// Sends one request to the kernel.
Result<void> netlink_send(int fd, std::span<const std::uint8_t> request);
// Receives one datagram of answers into buf; returns its size. A datagram larger than buf is
// an error (the buffer should be at least 32 KiB, the kernel's dump chunk).
Result<std::size_t> netlink_recv(int fd, std::span<std::uint8_t> buf);


// Sends a dump request and hands the payload of every answer of `type` carrying `seq` to
// `on_payload`, until NLMSG_DONE. Errors are {op, what, errno}; the value is the number of
// malformed answers skipped.
Result<std::size_t> netlink_dump(int fd, std::span<const std::uint8_t> request, std::uint32_t seq,
                                 std::uint16_t type, const std::string& op, const std::string& what,
                                 const std::function<void(std::span<const std::uint8_t>)>& on_payload);

}  // namespace reach::sys
