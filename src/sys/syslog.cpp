#include "sys/syslog.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "sys/fd.hpp"
#include "sys/resolve.hpp"
#include "sys/socket.hpp"

namespace reach::sys {

Result<void> send_syslog(bool tcp, const std::string& host, std::uint16_t port, const std::string& message) {
  auto addrs = resolve(host, std::nullopt);
  if (!addrs) return tl::unexpected(addrs.error());
  if (addrs->empty()) return fail("resolve", host, 0, "no address");
  const IpAddr& a = addrs->front();
  const std::string where = host + ":" + std::to_string(port);
  auto fd = open_socket(a.family(), (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0, "socket(syslog)");
  if (!fd) return tl::unexpected(fd.error());
  // A short send timeout: a stuck collector must not stall the daemon's loop for long.
  timeval tv{0, 200000};
  ::setsockopt(fd->get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (auto c = connect_to(fd->get(), a, port); !c) return fail("syslog connect", where, c.error().err);
  const std::string framed = tcp ? std::to_string(message.size()) + " " + message : message;
  std::size_t off = 0;
  while (off < framed.size()) {
    ssize_t n = ::send(fd->get(), framed.data() + off, framed.size() - off, MSG_NOSIGNAL);
    if (n < 0) return fail("syslog send", where, errno);
    off += static_cast<std::size_t>(n);
  }
  return {};
}

Result<void> send_local_syslog(const std::string& message) {
  Fd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return fail("socket(unix)", "/dev/log", errno);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::strcpy(sa.sun_path, "/dev/log");
  if (::sendto(fd.get(), message.data(), message.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0)
    return fail("syslog send", "/dev/log", errno);
  return {};
}

}  // namespace reach::sys
