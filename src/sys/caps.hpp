#pragma once
// Capabilities: what we hold, and giving all of it up once the sockets are open.
#include <initializer_list>
#include <optional>
#include <utility>

#include "base/error.hpp"

namespace reach::sys {

bool has_net_raw();
// Clears every capability set (effective, permitted, inheritable, ambient) and sets
// no_new_privs so nothing can be regained; reads the sets back and fails unless they are empty.
Result<void> drop_all_capabilities();

// The capabilities a command may still need once its raw sockets are open.
enum class Cap { net_raw, sys_admin };
// Keeps only `keep` (those of them we hold) in the effective and permitted sets, clears the
// rest as drop_all_capabilities does, and checks the result.
Result<void> keep_only_capabilities(std::initializer_list<Cap> keep);

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
