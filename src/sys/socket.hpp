#pragma once
// Sockets and their options, send and receive with ancillary data (kernel timestamps, TTL,
// the error queue). Every system call on a socket in reach goes through here.
#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "base/error.hpp"
#include "base/ip_addr.hpp"
#include "base/time.hpp"
#include "sys/fd.hpp"

namespace reach::sys {

std::optional<IpAddr> from_sockaddr(const sockaddr* sa, socklen_t len);
// The sockaddr for addr:port, with the zone as sin6_scope_id; returns its length.
socklen_t to_sockaddr(const IpAddr& addr, std::uint16_t port, sockaddr_storage& ss);

// `what` names the socket in the error ("socket(raw icmp)").
Result<Fd> open_socket(Family f, int type, int protocol, const std::string& what);

Result<void> set_nonblocking(int fd);
Result<void> bind_to_device(int fd, const std::string& device);
Result<void> bind_to(int fd, const IpAddr& addr, std::uint16_t port);
Result<void> connect_to(int fd, const IpAddr& addr, std::uint16_t port);
// Non-blocking connect: true when it completed at once, false when in progress.
Result<bool> connect_nonblocking(int fd, const IpAddr& addr, std::uint16_t port);
Result<IpAddr> local_address(int fd);
Result<std::uint16_t> local_port(int fd);
// Pending error of a socket (SO_ERROR), 0 for none.
int socket_error(int fd);
// Smoothed RTT the kernel measured for a TCP connection (TCP_INFO), in ns.
std::optional<TimeNs> tcp_rtt(int fd);

// Kernel software RX timestamps, and TX timestamps on the error queue with an id per send.
// Returns false when the kernel refuses (then callers fall back to the user-space clock).
bool enable_timestamping(int fd);
Result<void> set_ttl(int fd, Family f, int ttl, bool unicast_only = true);
Result<void> set_tos(int fd, Family f, int tos);
// SO_BROADCAST: sends to an IPv4 broadcast address are allowed (ping -b).
Result<void> set_broadcast(int fd);
Result<void> set_recv_ttl(int fd, Family f);
// ICMP errors on the error queue (IP_RECVERR / IPV6_RECVERR).
Result<void> set_recv_errors(int fd, Family f);
// Raw IPv6: ask the kernel to fill in an upper-layer checksum at `offset`.
Result<void> set_ipv6_checksum_offset(int fd, int offset);
// Larger socket buffers so bursts of replies (or a loop that stalled) are not dropped; beyond
// net.core.rmem_max/wmem_max only with CAP_NET_ADMIN.
Result<void> set_buffer_sizes(int fd, int bytes);
// Packets the kernel dropped because the socket's receive buffer was full (sk_drops, the counter
// SO_RXQ_OVFL reports), read with SO_MEMINFO; 0 when the kernel cannot tell.
std::uint64_t socket_drops(int fd);

// Sends `data` to addr:port (port 0 for raw sockets). Returns bytes sent. With `tx_id`, the
// kernel's TX timestamp of this datagram carries that id (SCM_TS_OPT_ID, Linux 6.13+) instead of
// the socket's own counter; an older kernel refuses the send with EINVAL.
Result<std::size_t> send_to(int fd, std::span<const std::uint8_t> data, const IpAddr& addr,
                            std::uint16_t port, std::optional<std::uint32_t> tx_id = std::nullopt);
// The cmsg type of SCM_TS_OPT_ID (asm-generic; Debian 12's kernel headers predate it).
inline constexpr int kScmTsOptId = 81;

// A connected stream socket: bytes sent / read, 0 read at end of stream, nullopt when it would block.
Result<std::optional<std::size_t>> send_stream(int fd, std::span<const std::uint8_t> data);
Result<std::optional<std::size_t>> read_stream(int fd, std::span<std::uint8_t> buf);

struct Received {
  std::size_t len = 0;       // bytes stored in the buffer
  bool truncated = false;
  std::optional<IpAddr> from;
  std::uint16_t from_port = 0;
  std::optional<TimeNs> kernel_rx;  // software RX timestamp
  int ttl = -1;                     // IP_TTL / IPV6_HOPLIMIT cmsg
};
// One datagram, or nullopt when none is waiting (EAGAIN).
Result<std::optional<Received>> receive(int fd, std::span<std::uint8_t> buf);

struct ErrQueueEntry {
  enum class Kind : std::uint8_t { tx_timestamp, icmp_error, local_error, other } kind = Kind::other;
  std::optional<TimeNs> stamp;  // TX stamp, or the receive time of the ICMP error
  std::uint32_t tx_id = 0;      // tx_timestamp: the per-socket send counter (OPT_ID)
  // icmp_error / local_error
  int err = 0;
  Family icmp_family = Family::v4;
  std::uint8_t icmp_type = 0, icmp_code = 0;
  std::optional<IpAddr> offender;
  std::size_t payload_len = 0;  // original payload we sent, stored in the buffer
};
// One entry of the error queue, or nullopt when it is empty.
Result<std::optional<ErrQueueEntry>> receive_error(int fd, std::span<std::uint8_t> buf);

// The ancillary data of one recvmsg, decoded (unit tests and fuzz_cmsg hand crafted ones in).
// Stamps stay CLOCK_REALTIME here; receive() and receive_error() move them to the monotonic
// timeline. Every cmsg is checked to lie inside msg_control before it is read.
void decode_receive_cmsgs(msghdr& msg, Received& r);
void decode_error_cmsgs(msghdr& msg, ErrQueueEntry& e);

}  // namespace reach::sys
