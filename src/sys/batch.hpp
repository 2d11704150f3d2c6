#pragma once
// Batched datagram I/O (sendmmsg / recvmmsg) for sockets that move many small packets, such as
// the raw sockets of `reach scan`. No per-packet timestamps: a scan needs no RTTs.
#include <sys/socket.h>

#include <cstdint>
#include <span>
#include <vector>

#include "base/error.hpp"
#include "base/ip_addr.hpp"

namespace reach::sys {

// Up to `capacity` datagrams queued, then sent with one sendmmsg.
class SendBatch {
 public:
  SendBatch(std::size_t capacity, std::size_t max_len);
  bool full() const { return count_ == msgs_.size(); }
  std::size_t size() const { return count_; }
  // Copies `data` in; returns false when full or too long.
  bool add(std::span<const std::uint8_t> data, const IpAddr& dst, std::uint16_t port);
  // Sends what is queued. Returns how many went; the rest stays queued (the kernel's queue was
  // full: EAGAIN/ENOBUFS give 0 and no error). Other errors name the first refused datagram.
  Result<std::size_t> flush(int fd);

 private:
  std::vector<mmsghdr> msgs_;
  std::vector<iovec> iovs_;
  std::vector<sockaddr_storage> addrs_;
  std::vector<std::uint8_t> data_;
  std::size_t max_len_, count_ = 0, sent_ = 0;  // [sent_, count_) are still to send
};

// Receives up to `capacity` datagrams with one recvmmsg.
class RecvBatch {
 public:
  RecvBatch(std::size_t capacity, std::size_t max_len);
  // Number received (0 when nothing is waiting).
  Result<std::size_t> receive(int fd);
  std::span<const std::uint8_t> data(std::size_t i) const;
  std::optional<IpAddr> from(std::size_t i) const;
  bool truncated(std::size_t i) const { return (msgs_[i].msg_hdr.msg_flags & MSG_TRUNC) != 0; }

 private:
  std::vector<mmsghdr> msgs_;
  std::vector<iovec> iovs_;
  std::vector<sockaddr_storage> addrs_;
  std::vector<std::uint8_t> data_;
  std::size_t max_len_;
};

// SO_RCVBUFFORCE (with CAP_NET_ADMIN, past net.core.rmem_max), else SO_RCVBUF; the size the
// kernel granted comes back (it doubles the request for its bookkeeping).
int grow_receive_buffer(int fd, int bytes);
// SO_LINGER with a zero timeout: close() sends RST and leaves no TIME_WAIT behind.
Result<void> set_linger_zero(int fd);
// True when `fd` is a terminal (isatty).
bool is_terminal(int fd);

}  // namespace reach::sys
