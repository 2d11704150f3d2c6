#pragma once
// Capabilities: what we hold, and giving all of it up once the sockets are open.
#include <linux/capability.h>

#include <optional>
#include <utility>

#include "base/error.hpp"

namespace reach::sys {

// Whether `cap` (CAP_NET_RAW, CAP_SYS_ADMIN... of <linux/capability.h>) is effective now.
bool has_capability(int cap);
inline bool has_net_raw() { return has_capability(CAP_NET_RAW); }
// Clears every capability set (effective, permitted, inheritable, ambient) and sets
// no_new_privs so nothing can be regained; reads the sets back and fails unless they are empty.
// To keep some, see sys/daemon_privs.hpp's keep_only_capabilities.
Result<void> drop_all_capabilities();

// What only root may do (flood pings, fast raw scans, entering namespaces) is tied to the real
// uid, as iputils does: a user given the binary with `setcap cap_net_raw+ep` holds the
// capability but is not root.
bool real_root();
// Set-user-ID or set-group-ID execution (real and effective ids differ): reach refuses it.
bool set_id_execution();

}  // namespace reach::sys

namespace reach::sys {
// net.ipv4.ping_group_range of this network namespace: the groups allowed ICMP datagram sockets.
std::optional<std::pair<long, long>> ping_group_range();
// Real and effective group of this process, for the message that explains a refused socket.
long current_gid();
}  // namespace reach::sys
