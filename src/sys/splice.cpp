#include "sys/splice.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "sys/socket.hpp"

namespace reach::sys {

Result<std::optional<Accepted>> accept_connection(int listen_fd, const std::string& name) {
  for (;;) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    const int fd = ::accept4(listen_fd, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      Accepted a;
      a.fd = Fd(fd);
      auto peer = from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
      if (!peer) continue;  // not an IP peer: cannot happen on our sockets; drop it
      a.peer = *peer;
      a.peer_port = ntohs(ss.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&ss)->sin_port
                                                 : reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
      return std::optional<Accepted>(std::move(a));
    }
    if (errno == EINTR || errno == ECONNABORTED || errno == EPERM || errno == EPROTO) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return std::optional<Accepted>();
    return fail("accept", name, errno);
  }
}

Result<OpenPipe> open_pipe(int bytes) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0) return fail("pipe2", "", errno);
  OpenPipe o;
  o.r = Fd(p[0]);
  o.w = Fd(p[1]);
  // Best effort: over /proc/sys/fs/pipe-max-size (or the per-user pipe quota) keeps the default.
  // F_SETPIPE_SZ answers with the capacity set, so no F_GETPIPE_SZ is needed after it.
  int cap = bytes > 0 ? ::fcntl(p[1], F_SETPIPE_SZ, bytes) : -1;
  if (cap <= 0) cap = ::fcntl(p[1], F_GETPIPE_SZ);
  o.capacity = cap > 0 ? static_cast<std::size_t>(cap) : 65536;
  return o;
}

Result<std::optional<std::size_t>> splice_move(int in, int out, std::size_t max) {
  for (;;) {
    const ssize_t n = ::splice(in, nullptr, out, nullptr, max, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (n >= 0) return std::optional<std::size_t>(static_cast<std::size_t>(n));
    if (errno == EINTR) continue;
    if (errno == EAGAIN) return std::optional<std::size_t>();
    return fail("splice", "", errno);
  }
}

Result<void> delay_handshake_ack(int fd) {
  const int off = 0;
  if (::setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &off, sizeof off) != 0)
    return fail("setsockopt(TCP_QUICKACK)", "", errno);
  return {};
}

Result<void> shutdown_write(int fd) {
  if (::shutdown(fd, SHUT_WR) != 0 && errno != ENOTCONN) return fail("shutdown", "", errno);
  return {};
}

Result<std::pair<IpAddr, std::uint16_t>> local_endpoint(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return fail("getsockname", "", errno);
  auto a = from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
  if (!a) return fail("getsockname", "", EAFNOSUPPORT);
  const std::uint16_t port = ntohs(ss.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&ss)->sin_port
                                                           : reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  return std::pair<IpAddr, std::uint16_t>(*a, port);
}

}  // namespace reach::sys
