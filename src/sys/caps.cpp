#include "sys/caps.hpp"

#include <sys/capability.h>
#include <sys/prctl.h>

#include <unistd.h>

#include <cerrno>

namespace reach::sys {

bool has_capability(int cap) {
  cap_t caps = cap_get_proc();
  if (!caps) return false;
  cap_flag_value_t v = CAP_CLEAR;
  cap_get_flag(caps, static_cast<cap_value_t>(cap), CAP_EFFECTIVE, &v);
  cap_free(caps);
  return v == CAP_SET;
}

namespace {

// Sets effective = permitted = `want`, inheritable and ambient empty, then no_new_privs, and
// reads the sets back: a drop that silently failed would leave root's powers to the parsers.
Result<void> set_exactly(cap_t want) {
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
    return fail("clear ambient capabilities", "", errno);
  if (cap_set_proc(want) != 0) return fail("drop capabilities", "", errno);
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return fail("prctl(NO_NEW_PRIVS)", "", errno);
  cap_t now = cap_get_proc();
  if (!now) return fail("cap_get_proc", "", errno);
  int differs = cap_compare(now, want);
  cap_free(now);
  if (differs != 0) return fail("drop capabilities", "", 0, "the kernel kept some");
  return {};
}

}  // namespace

Result<void> drop_all_capabilities() {
  cap_t none = cap_init();
  if (!none) return fail("cap_init", "", errno);
  auto r = set_exactly(none);
  cap_free(none);
  return r;
}

bool real_root() { return getuid() == 0; }

bool set_id_execution() { return getuid() != geteuid() || getgid() != getegid(); }

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
