#include "sys/caps.hpp"

#include <sys/capability.h>
#include <sys/prctl.h>

#include <cerrno>

namespace reach::sys {

bool has_net_raw() {
  cap_t caps = cap_get_proc();
  if (!caps) return false;
  cap_flag_value_t v = CAP_CLEAR;
  cap_get_flag(caps, CAP_NET_RAW, CAP_EFFECTIVE, &v);
  cap_free(caps);
  return v == CAP_SET;
}

Result<void> drop_all_capabilities() {
  cap_t none = cap_init();
  if (!none) return fail("cap_init", "", errno);
  int rc = cap_set_proc(none);
  int err = errno;
  cap_free(none);
  if (rc != 0) return fail("drop capabilities", "", err);
  prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return fail("prctl(NO_NEW_PRIVS)", "", errno);
  return {};
}

}  // namespace reach::sys

#include <unistd.h>

#include <fstream>

namespace reach::sys {

std::optional<std::pair<long, long>> ping_group_range() {
  std::ifstream f("/proc/sys/net/ipv4/ping_group_range");
  long lo = 0, hi = 0;
  if (!(f >> lo >> hi)) return std::nullopt;
  return std::make_pair(lo, hi);
}

long current_gid() { return static_cast<long>(getegid()); }

}  // namespace reach::sys
