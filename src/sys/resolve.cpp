#include "sys/resolve.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include "sys/fd.hpp"
#include "sys/socket.hpp"

namespace reach::sys {

Result<std::vector<IpAddr>> resolve(const std::string& host, std::optional<Family> family) {
  if (auto lit = IpAddr::parse(host)) {
    if (family && lit->family() != *family)
      return fail("resolve", host, 0, family == Family::v4 ? "not an IPv4 address" : "not an IPv6 address");
    return std::vector<IpAddr>{*lit};
  }
  addrinfo hints{};
  hints.ai_family = !family ? AF_UNSPEC : (*family == Family::v4 ? AF_INET : AF_INET6);
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* res = nullptr;
  int rc = getaddrinfo(host.c_str(), nullptr, &hints, &res);
  if (rc != 0) return fail("resolve", host, 0, gai_strerror(rc));
  std::vector<IpAddr> out;
  for (addrinfo* ai = res; ai; ai = ai->ai_next) {
    if (auto a = from_sockaddr(ai->ai_addr, ai->ai_addrlen)) {
      bool seen = false;
      for (const auto& o : out) seen = seen || o == *a;
      if (!seen) out.push_back(*a);
    }
  }
  freeaddrinfo(res);
  if (out.empty()) return fail("resolve", host, 0, "no address");
  return out;
}

Result<IpAddr> source_address_for(const IpAddr& dst, const std::string& device) {
  auto fd = open_socket(dst.family(), SOCK_DGRAM, 0, "socket(udp) for source selection");
  if (!fd) return tl::unexpected(fd.error());
  if (!device.empty()) {
    if (auto r = bind_to_device(fd->get(), device); !r) return tl::unexpected(r.error());
  }
  if (auto r = connect_to(fd->get(), dst, 9); !r) return tl::unexpected(r.error());
  return local_address(fd->get());
}

std::unordered_map<std::uint16_t, std::string> tcp_service_names() {
  std::unordered_map<std::uint16_t, std::string> names;
  setservent(0);
  while (servent* s = getservent()) {
    if (std::string(s->s_proto) != "tcp") continue;
    names.emplace(ntohs(static_cast<std::uint16_t>(s->s_port)), s->s_name);  // the first name wins, as getservbyport
  }
  endservent();
  return names;
}

}  // namespace reach::sys
