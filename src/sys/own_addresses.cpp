#include "sys/own_addresses.hpp"

#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

#include "sys/socket.hpp"

namespace reach::sys {

Result<std::vector<IpAddr>> own_addresses() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return fail("getifaddrs", "", errno);
  std::vector<IpAddr> out;
  for (ifaddrs* i = list; i; i = i->ifa_next) {
    if (!i->ifa_addr) continue;
    const int fam = i->ifa_addr->sa_family;
    if (fam != AF_INET && fam != AF_INET6) continue;
    auto a = from_sockaddr(i->ifa_addr, fam == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6));
    if (a && std::find(out.begin(), out.end(), *a) == out.end()) out.push_back(a->with_scope(0));
  }
  freeifaddrs(list);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace reach::sys
