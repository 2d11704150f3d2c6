#include "sys/listen.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace reach::sys {

Result<Fd> listen_tcp(const std::optional<IpAddr>& addr, std::uint16_t port, int backlog, const std::string& name) {
  bool v4 = addr && addr->is_v4();
  int s = ::socket(v4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (s < 0) return fail("listen", name, errno, "socket");
  Fd fd(s);
  int one = 1;
  if (::setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) return fail("listen", name, errno, "SO_REUSEADDR");
  sockaddr_storage ss{};
  socklen_t len = 0;
  if (v4) {
    auto* sa = reinterpret_cast<sockaddr_in*>(&ss);
    sa->sin_family = AF_INET;
    sa->sin_port = htons(port);
    std::memcpy(&sa->sin_addr, addr->data(), 4);
    len = sizeof *sa;
  } else {
    int v6only = addr ? 1 : 0;
    if (::setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only) != 0)
      return fail("listen", name, errno, "IPV6_V6ONLY");
    auto* sa = reinterpret_cast<sockaddr_in6*>(&ss);
    sa->sin6_family = AF_INET6;
    sa->sin6_port = htons(port);
    if (addr) std::memcpy(&sa->sin6_addr, addr->data(), 16);
    len = sizeof *sa;
  }
  if (::bind(s, reinterpret_cast<sockaddr*>(&ss), len) != 0) return fail("listen", name, errno);
  if (::listen(s, backlog) != 0) return fail("listen", name, errno);
  return fd;
}

}  // namespace reach::sys
