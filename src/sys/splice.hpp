#pragma once
// The calls relay forwards with: accept, splice through a pipe (zero-copy between two TCP
// sockets), half-close. Each returns nullopt where the call would block.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>

#include "base/error.hpp"
#include "base/ip_addr.hpp"
#include "sys/fd.hpp"

namespace reach::sys {

struct Accepted {
  Fd fd;  // non-blocking, close-on-exec
  IpAddr peer;
  std::uint16_t peer_port = 0;
};
// One pending connection of a listening socket, nullopt when none waits. `name` is the listen
// address for errors. Errors a single client causes (ECONNABORTED, EPERM from a firewall) come
// back as nullopt too: they say nothing about the listener.
Result<std::optional<Accepted>> accept_connection(int listen_fd, const std::string& name);

// A non-blocking pipe; its capacity set to `bytes` (F_SETPIPE_SZ) where the limit allows.
struct OpenPipe {
  Fd r, w;
  std::size_t capacity = 0;  // bytes it holds: F_SETPIPE_SZ's answer, else the default
};
Result<OpenPipe> open_pipe(int bytes);

// splice(2) non-blocking both ends: bytes moved, 0 at end of stream, nullopt when it would
// block (in == empty or out == full).
Result<std::optional<std::size_t>> splice_move(int in, int out, std::size_t max);

// TCP_QUICKACK off before a connect that sends at once: the handshake's last ACK then leaves
// with the first bytes instead of in a packet of its own (HAProxy does the same).
Result<void> delay_handshake_ack(int fd);

// shutdown(SHUT_WR): our side's FIN after the other side's end of stream.
Result<void> shutdown_write(int fd);
// Local address and port of a connected socket (the relay address the client reached).
Result<std::pair<IpAddr, std::uint16_t>> local_endpoint(int fd);

}  // namespace reach::sys
