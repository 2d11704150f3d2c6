#pragma once
// Privileges of a long-running daemon (watch, relay, guard): keep exactly the capabilities it
// needs to open raw sockets after a reload (CAP_NET_RAW; CAP_NET_BIND_SERVICE only when it
// listens below 1024) and nothing else; optionally run as an unprivileged user. The one-shot
// commands use sys/caps.hpp's drop_all_capabilities, or keep_only_capabilities here when they
// still need one (check --policy keeps CAP_SYS_ADMIN for its namespaces) (docs/ARCHITECTURE.md).
#include <sys/capability.h>

#include <initializer_list>
#include <string>

#include "base/error.hpp"

namespace reach::sys {

// permitted = effective = `keep`; inheritable and ambient cleared; every other capability
// removed from the bounding set when we hold CAP_SETPCAP (root; a service started with only an
// ambient CAP_NET_RAW keeps the bounding set its manager gave it); no_new_privs set. Verified by reading the sets back (an
// error names the first capability that is not as asked). Keeping a capability we do not hold
// is an error (EPERM) naming it. Process-wide only in a single-threaded process.
Result<void> keep_only_capabilities(std::initializer_list<cap_value_t> keep);

// Switches to `user` (getpwnam_r): supplementary groups from the group database (initgroups),
// setresgid, then setresuid with PR_SET_KEEPCAPS so the kept capabilities survive the change,
// then keep_only_capabilities(keep). Needs root (CAP_SETUID/CAP_SETGID). Errors name the user:
// `switch user "nobdy": no such user`.
Result<void> switch_user(const std::string& user, std::initializer_list<cap_value_t> keep);

// Whether `user` is in the user database (for --validate): `user "nobdy": no such user`.
Result<void> check_user(const std::string& user);

// For logs: "uid=65534 gid=65534 caps=cap_net_raw=ep" (libcap's text of the current sets).
std::string effective_capabilities_text();

}  // namespace reach::sys
