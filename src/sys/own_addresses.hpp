#pragma once
// The machine's own addresses (every interface, up or not), which reach guard never bans: a
// line that names one of them (a local client, a misattributed log line) must not cut the host
// off from itself. Read from getifaddrs (netlink RTM_GETADDR underneath), in the calling
// thread's network namespace.
#include <vector>

#include "base/error.hpp"
#include "base/ip_addr.hpp"

namespace reach::sys {

Result<std::vector<IpAddr>> own_addresses();  // {op "getifaddrs"}

}  // namespace reach::sys
