#include "sys/resolve.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdint>

#include "base/ip_prefix.hpp"
#include "sys/fd.hpp"
#include "sys/socket.hpp"

namespace reach::sys {

namespace {

// Interfaces that are up, not loopback, with an IPv6 link-local address: where a link-local
// target without a zone could be.
Result<std::vector<std::string>> link_local_interfaces() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return fail("getifaddrs", "", errno);
  std::vector<std::string> names;
  for (ifaddrs* i = list; i; i = i->ifa_next) {
    if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET6) continue;
    if (!(i->ifa_flags & IFF_UP) || (i->ifa_flags & IFF_LOOPBACK)) continue;
    auto a = from_sockaddr(i->ifa_addr, sizeof(sockaddr_in6));
    if (!a || !a->needs_zone()) continue;
    if (std::find(names.begin(), names.end(), i->ifa_name) == names.end()) names.emplace_back(i->ifa_name);
  }
  freeifaddrs(list);
  std::sort(names.begin(), names.end());
  return names;
}

Result<std::uint32_t> interface_index(const std::string& name) {
  bool digits = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (digits && name.size() <= 10) {
    char buf[IF_NAMESIZE] = {};
    auto index = std::stoul(name);
    if (index > 0 && index <= UINT32_MAX && if_indextoname(static_cast<unsigned>(index), buf))
      return static_cast<std::uint32_t>(index);
  }
  if (unsigned index = if_nametoindex(name.c_str()); index != 0) return index;
  return fail("interface", name, 0, "no interface " + name);
}

}  // namespace

Result<IpAddr> zone_for(const IpAddr& addr, const std::string& zone, const std::string& device) {
  std::string text = addr.to_string();
  if (!zone.empty()) {
    if (!addr.needs_zone())
      return fail("address", text + "%" + zone, 0,
                  "an interface (%" + zone + ") belongs only to a link-local address; -I chooses the interface");
    auto index = interface_index(zone);
    if (!index) return fail("address", text + "%" + zone, 0, index.error().detail);
    return addr.with_scope(*index);
  }
  if (!addr.needs_zone() || addr.scope() != 0) return addr;
  if (!device.empty()) {
    auto index = interface_index(device);
    if (!index) return fail("address", text, 0, index.error().detail);
    return addr.with_scope(*index);
  }
  auto names = link_local_interfaces();
  if (!names) return tl::unexpected(names.error());
  if (names->size() == 1) {
    auto index = interface_index(names->front());
    if (!index) return fail("address", text, 0, index.error().detail);
    return addr.with_scope(*index);
  }
  if (names->empty())
    return fail("address", text, 0, "link-local, and no interface is up with an IPv6 link-local address");
  std::string list;
  for (const auto& n : *names) list += (list.empty() ? "" : ", ") + n;
  return fail("address", text, 0,
              fmt::format("link-local: say which interface, as {}%IF, with IF one of {}", text, list));
}

std::string address_text(const IpAddr& addr) {
  char name[IF_NAMESIZE] = {};
  if (addr.scope() == 0) return addr.to_string();
  if (!if_indextoname(addr.scope(), name)) return addr.to_string() + "%" + std::to_string(addr.scope());
  return addr.to_string() + "%" + name;
}

Result<std::vector<IpAddr>> resolve(const std::string& target, std::optional<Family> family,
                                    const std::string& device) {
  auto t = parse_address(target, AddressForm::host);
  if (!t) return fail("resolve", target, 0, t.error().detail);
  return resolve(*t, family, device);
}

Result<std::vector<IpAddr>> resolve(const AddressText& target, std::optional<Family> family,
                                    const std::string& device) {
  const std::string& host = target.host;
  std::vector<IpAddr> out;
  if (target.literal) {
    // ::ffff:a.b.c.d is IPv4 on the wire (RFC 4291 2.5.5.2): an IPv6 socket cannot send to it,
    // so it is probed as the IPv4 address it names (as guard and relay read it too).
    const IpAddr addr = unmap_v4(*target.literal);
    if (family && addr.family() != *family)
      return fail("resolve", host, 0,
                  family == Family::v4 ? "not an IPv4 address"
                  : !target.literal->is_v4() ? "an IPv4-mapped address, IPv4 " + addr.to_string() + " on the wire, not IPv6"
                                       : "not an IPv6 address");
    out.push_back(addr);
  } else {
    addrinfo hints{};
    hints.ai_family = !family ? AF_UNSPEC : (*family == Family::v4 ? AF_INET : AF_INET6);
    hints.ai_socktype = SOCK_DGRAM;
    addrinfo* res = nullptr;
    int rc = getaddrinfo(host.c_str(), nullptr, &hints, &res);
    if (rc != 0) return fail("resolve", host, 0, gai_strerror(rc));
    for (addrinfo* ai = res; ai; ai = ai->ai_next) {
      if (auto a = from_sockaddr(ai->ai_addr, ai->ai_addrlen)) {
        bool seen = false;
        for (const auto& o : out) seen = seen || o == *a;
        if (!seen) out.push_back(*a);
      }
    }
    freeaddrinfo(res);
    if (out.empty()) return fail("resolve", host, 0, "no address");
  }
  for (auto& a : out) {
    auto z = zone_for(a, target.zone, device);
    if (!z) return fail("resolve", target.host_and_zone(), 0, z.error().detail);
    a = *z;
  }
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
