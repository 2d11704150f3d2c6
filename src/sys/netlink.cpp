#include "sys/netlink.hpp"

#include <linux/netlink.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>

namespace reach::sys {

Result<Fd> open_sock_diag() {
  int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) return fail("socket(netlink sock_diag)", "", errno);
  Fd owned(fd);
  timeval tv{5, 0};
  if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0)
    return fail("setsockopt(SO_RCVTIMEO)", "netlink", errno);
  int size = 1 << 20;  // best effort: fewer lost-dump retries under load
  (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  return owned;
}

Result<void> netlink_send(int fd, std::span<const std::uint8_t> request) {
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  for (int attempt = 0; attempt < 100; ++attempt) {
    ssize_t n = ::sendto(fd, request.data(), request.size(), 0, reinterpret_cast<const sockaddr*>(&kernel),
                         sizeof kernel);
    if (n == static_cast<ssize_t>(request.size())) return {};
    if (n < 0 && errno == EINTR) continue;
    return fail("sendto", "netlink", n < 0 ? errno : EMSGSIZE);
  }
  return fail("sendto", "netlink", EINTR);
}

Result<std::size_t> netlink_recv(int fd, std::span<std::uint8_t> buf) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    iovec iov{buf.data(), buf.size()};
    sockaddr_nl from{};
    msghdr msg{};
    msg.msg_name = &from;
    msg.msg_namelen = sizeof from;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    ssize_t n = ::recvmsg(fd, &msg, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("recvmsg", "netlink", errno, errno == EAGAIN ? "no answer from the kernel within 5 s" : "");
    if (msg.msg_flags & MSG_TRUNC) return fail("recvmsg", "netlink", EMSGSIZE, "answer larger than the buffer");
    if (from.nl_pid != 0) continue;  // only the kernel answers a dump; anything else is not ours
    return static_cast<std::size_t>(n);
  }
  return fail("recvmsg", "netlink", EINTR);
}

}  // namespace reach::sys
