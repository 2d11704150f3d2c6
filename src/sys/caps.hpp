#pragma once
// Capabilities: what we hold, and giving all of it up once the sockets are open.
#include <optional>
#include <utility>

#include "base/error.hpp"

namespace reach::sys {

bool has_net_raw();
// Clears every capability set (effective, permitted, inheritable, ambient) and sets
// no_new_privs so nothing can be regained.
Result<void> drop_all_capabilities();

}  // namespace reach::sys

namespace reach::sys {
// net.ipv4.ping_group_range of this network namespace: the groups allowed ICMP datagram sockets.
std::optional<std::pair<long, long>> ping_group_range();
// Real and effective group of this process, for the message that explains a refused socket.
long current_gid();
}  // namespace reach::sys
