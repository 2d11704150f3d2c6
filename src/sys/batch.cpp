#include "sys/batch.hpp"

#include "sys/socket.hpp"

#include <netinet/in.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace reach::sys {

SendBatch::SendBatch(std::size_t capacity, std::size_t max_len)
    : msgs_(capacity), iovs_(capacity), addrs_(capacity), data_(capacity * max_len), max_len_(max_len) {}

bool SendBatch::add(std::span<const std::uint8_t> data, const IpAddr& dst, std::uint16_t port) {
  if (full() || data.size() > max_len_) return false;
  std::size_t i = count_++;
  std::uint8_t* slot = data_.data() + i * max_len_;
  std::memcpy(slot, data.data(), data.size());
  iovs_[i] = iovec{slot, data.size()};
  sockaddr_storage& ss = addrs_[i];
  socklen_t len = to_sockaddr(dst, port, ss);
  msgs_[i] = mmsghdr{};
  msgs_[i].msg_hdr.msg_name = &ss;
  msgs_[i].msg_hdr.msg_namelen = len;
  msgs_[i].msg_hdr.msg_iov = &iovs_[i];
  msgs_[i].msg_hdr.msg_iovlen = 1;
  return true;
}

Result<std::size_t> SendBatch::flush(int fd) {
  std::size_t before = sent_;
  while (sent_ < count_) {
    int n = ::sendmmsg(fd, msgs_.data() + sent_, static_cast<unsigned>(count_ - sent_), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) break;
      // Skip the datagram the kernel refused so one bad destination cannot stall the batch.
      const auto* name = static_cast<const sockaddr*>(msgs_[sent_].msg_hdr.msg_name);
      auto a = from_sockaddr(name, msgs_[sent_].msg_hdr.msg_namelen);
      std::string addr = a ? a->to_string() : std::string();
      int err = errno;
      ++sent_;
      if (sent_ == count_) count_ = sent_ = 0;
      return fail("sendmmsg", addr, err);
    }
    sent_ += static_cast<std::size_t>(n);
  }
  std::size_t went = sent_ - before;
  if (sent_ == count_) count_ = sent_ = 0;
  return went;
}

RecvBatch::RecvBatch(std::size_t capacity, std::size_t max_len)
    : msgs_(capacity), iovs_(capacity), addrs_(capacity), data_(capacity * max_len), max_len_(max_len) {}

Result<std::size_t> RecvBatch::receive(int fd) {
  for (std::size_t i = 0; i < msgs_.size(); ++i) {
    iovs_[i] = iovec{data_.data() + i * max_len_, max_len_};
    msgs_[i] = mmsghdr{};
    msgs_[i].msg_hdr.msg_name = &addrs_[i];
    msgs_[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
    msgs_[i].msg_hdr.msg_iov = &iovs_[i];
    msgs_[i].msg_hdr.msg_iovlen = 1;
  }
  for (;;) {
    int n = ::recvmmsg(fd, msgs_.data(), static_cast<unsigned>(msgs_.size()), MSG_DONTWAIT, nullptr);
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return std::size_t{0};
    return fail("recvmmsg", "", errno);
  }
}

std::span<const std::uint8_t> RecvBatch::data(std::size_t i) const {
  std::size_t len = std::min<std::size_t>(msgs_[i].msg_len, max_len_);
  return {data_.data() + i * max_len_, len};
}

std::optional<IpAddr> RecvBatch::from(std::size_t i) const {
  return from_sockaddr(reinterpret_cast<const sockaddr*>(&addrs_[i]), msgs_[i].msg_hdr.msg_namelen);
}

int grow_receive_buffer(int fd, int bytes) {
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) != 0)
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
  int got = 0;
  socklen_t len = sizeof got;
  if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &len) != 0) return 0;
  return got;
}

Result<void> set_linger_zero(int fd) {
  linger l{1, 0};
  if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l) != 0) return fail("setsockopt(SO_LINGER)", "", errno);
  return {};
}

bool is_terminal(int fd) { return ::isatty(fd) == 1; }

}  // namespace reach::sys
