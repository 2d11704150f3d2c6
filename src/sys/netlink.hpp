#pragma once
// Netlink sockets (NETLINK_SOCK_DIAG): open, send a request, receive raw bytes. Parsing the
// answers is left to packet/netlink.hpp.
#include <cstdint>
#include <span>

#include "base/error.hpp"
#include "sys/fd.hpp"

namespace reach::sys {

// A NETLINK_SOCK_DIAG socket in the calling thread's network namespace, with a receive
// timeout so a dump that never ends cannot hang the run.
Result<Fd> open_sock_diag();
// Sends one request to the kernel.
Result<void> netlink_send(int fd, std::span<const std::uint8_t> request);
// Receives one datagram of answers into buf; returns its size. A datagram larger than buf is
// an error (the buffer should be at least 32 KiB, the kernel's dump chunk).
Result<std::size_t> netlink_recv(int fd, std::span<std::uint8_t> buf);

}  // namespace reach::sys
