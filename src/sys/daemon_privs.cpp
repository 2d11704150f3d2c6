#include "sys/daemon_privs.hpp"

#include <grp.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <vector>

namespace reach::sys {
namespace {

using Caps = std::unique_ptr<std::remove_pointer_t<cap_t>, int (*)(void*)>;
Caps caps(cap_t c) { return Caps(c, cap_free); }

std::string cap_name(cap_value_t c) {
  char* n = cap_to_name(c);
  std::string s = n ? n : std::to_string(c);
  cap_free(n);
  return s;
}

bool kept(const std::vector<cap_value_t>& keep, cap_value_t c) {
  return std::find(keep.begin(), keep.end(), c) != keep.end();
}

bool has_flag(cap_t set, cap_value_t c, cap_flag_t flag) {
  cap_flag_value_t v = CAP_CLEAR;
  return cap_get_flag(set, c, flag, &v) == 0 && v == CAP_SET;
}

// Removes everything but `keep` from the bounding set. Needs CAP_SETPCAP in the effective set;
// it is raised for the moment when permitted (always so for root).
Result<void> reduce_bounding(const std::vector<cap_value_t>& keep) {
  auto cur = caps(cap_get_proc());
  if (!cur) return fail("cap_get_proc", "", errno);
  bool need = false;
  for (cap_value_t c = 0; c <= static_cast<cap_value_t>(cap_max_bits()) - 1; ++c)
    if (!kept(keep, c) && cap_get_bound(c) == 1) need = true;
  // Without CAP_SETPCAP (a service started as a user with an ambient CAP_NET_RAW, as the systemd
  // unit does) the bounding set stays as the service manager left it: with no_new_privs and the
  // permitted set reduced, nothing outside it can be gained again anyway.
  if (!need || !has_flag(cur.get(), CAP_SETPCAP, CAP_PERMITTED)) return {};
  cap_value_t setpcap = CAP_SETPCAP;
  if (cap_set_flag(cur.get(), CAP_EFFECTIVE, 1, &setpcap, CAP_SET) != 0 || cap_set_proc(cur.get()) != 0)
    return fail("cap_set_proc(cap_setpcap)", "", errno);
  for (cap_value_t c = 0; c <= static_cast<cap_value_t>(cap_max_bits()) - 1; ++c) {
    if (kept(keep, c) || cap_get_bound(c) != 1) continue;
    if (cap_drop_bound(c) != 0) return fail("cap_drop_bound", cap_name(c), errno);
  }
  return {};
}

Result<void> verify(const std::vector<cap_value_t>& keep, bool bounding_reduced) {
  auto cur = caps(cap_get_proc());
  if (!cur) return fail("cap_get_proc", "", errno);
  for (cap_value_t c = 0; c <= static_cast<cap_value_t>(cap_max_bits()) - 1; ++c) {
    bool want = kept(keep, c);
    if (has_flag(cur.get(), c, CAP_EFFECTIVE) != want || has_flag(cur.get(), c, CAP_PERMITTED) != want)
      return fail("verify capabilities", cap_name(c), 0, want ? "not held" : "still held");
    if (has_flag(cur.get(), c, CAP_INHERITABLE)) return fail("verify capabilities", cap_name(c), 0, "inheritable");
    if (cap_get_ambient(c) == 1) return fail("verify capabilities", cap_name(c), 0, "ambient");
    if (!want && cap_get_bound(c) == 1 && bounding_reduced)
      return fail("verify capabilities", cap_name(c), 0, "in the bounding set");
  }
  if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) return fail("verify no_new_privs", "", errno);
  return {};
}

}  // namespace

Result<void> keep_only_capabilities(std::initializer_list<cap_value_t> keep_list) {
  std::vector<cap_value_t> keep(keep_list);
  auto cur = caps(cap_get_proc());
  if (!cur) return fail("cap_get_proc", "", errno);
  for (cap_value_t c : keep)
    if (!has_flag(cur.get(), c, CAP_PERMITTED)) return fail("keep capability", cap_name(c), EPERM, "not permitted");
  auto before = caps(cap_get_proc());
  const bool can_bound = before && has_flag(before.get(), CAP_SETPCAP, CAP_PERMITTED);
  if (auto r = reduce_bounding(keep); !r) return r;
  if (cap_reset_ambient() != 0) return fail("clear ambient capabilities", "", errno);
  auto want = caps(cap_init());
  if (!want) return fail("cap_init", "", errno);
  if (!keep.empty() && (cap_set_flag(want.get(), CAP_PERMITTED, static_cast<int>(keep.size()), keep.data(), CAP_SET) != 0 ||
                        cap_set_flag(want.get(), CAP_EFFECTIVE, static_cast<int>(keep.size()), keep.data(), CAP_SET) != 0))
    return fail("cap_set_flag", "", errno);
  if (cap_set_proc(want.get()) != 0) return fail("cap_set_proc", "", errno);
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return fail("prctl(PR_SET_NO_NEW_PRIVS)", "", errno);
  return verify(keep, can_bound);
}

namespace {

// getpwnam_r with a buffer that grows as it asks; nullptr when there is no such user.
Result<passwd*> lookup_user(const std::string& user, passwd& pw, std::vector<char>& buf) {
  passwd* found = nullptr;
  buf.resize(16384);
  int rc;
  while ((rc = getpwnam_r(user.c_str(), &pw, buf.data(), buf.size(), &found)) == ERANGE && buf.size() < (1u << 20))
    buf.resize(buf.size() * 2);
  if (rc != 0) return fail("user", "\"" + user + "\"", rc, "getpwnam_r");
  return found;
}

}  // namespace

Result<void> check_user(const std::string& user) {
  passwd pw{};
  std::vector<char> buf;
  auto found = lookup_user(user, pw, buf);
  if (!found) return tl::unexpected(found.error());
  if (!*found) return fail("user", "\"" + user + "\"", 0, "no such user");
  return {};
}

Result<void> switch_user(const std::string& user, std::initializer_list<cap_value_t> keep) {
  const std::string who = "\"" + user + "\"";
  passwd pw{};
  std::vector<char> buf;
  auto found = lookup_user(user, pw, buf);
  if (!found) return tl::unexpected(found.error());
  if (!*found) return fail("switch user", who, 0, "no such user");
  const uid_t uid = pw.pw_uid;
  const gid_t gid = pw.pw_gid;
  // The bounding set can only be reduced while CAP_SETPCAP is still effective (before setuid).
  if (auto r = reduce_bounding(std::vector<cap_value_t>(keep)); !r) return r;
  if (initgroups(pw.pw_name, gid) != 0) return fail("switch user", who, errno, "initgroups");
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return fail("switch user", who, errno, "PR_SET_KEEPCAPS");
  if (setresgid(gid, gid, gid) != 0) return fail("switch user", who, errno, "setresgid");
  if (setresuid(uid, uid, uid) != 0) return fail("switch user", who, errno, "setresuid");
  prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
  uid_t ru, eu, su;
  gid_t rg, eg, sg;
  if (getresuid(&ru, &eu, &su) != 0 || getresgid(&rg, &eg, &sg) != 0 || ru != uid || eu != uid || su != uid ||
      rg != gid || eg != gid || sg != gid)
    return fail("switch user", who, 0, "ids not changed");
  return keep_only_capabilities(keep);
}

std::string effective_capabilities_text() {
  std::string out = "uid=" + std::to_string(geteuid()) + " gid=" + std::to_string(getegid()) + " caps=";
  auto cur = caps(cap_get_proc());
  if (!cur) return out + "?";
  ssize_t len = 0;
  char* t = cap_to_text(cur.get(), &len);
  out += t ? std::string(t, static_cast<std::size_t>(len)) : "?";
  cap_free(t);
  return out;
}

}  // namespace reach::sys
