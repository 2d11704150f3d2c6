// Daemon privileges, each case in a forked child (capabilities are per process and one-way).
// Needs root to mean anything; skips otherwise (CI runs as root).
#include "sys/daemon_privs.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <string>

namespace reach::sys {
namespace {

std::map<std::string, std::string> proc_status() {
  std::map<std::string, std::string> out;
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    auto v = line.substr(colon + 1);
    v.erase(0, v.find_first_not_of(" \t"));
    out[line.substr(0, colon)] = v;
  }
  return out;
}

// Runs `body` in a child; the child's failures come back as text through a pipe.
std::string in_child(const std::function<std::string()>& body) {
  int p[2];
  if (pipe(p) != 0) return "pipe failed";
  pid_t pid = fork();
  if (pid == 0) {
    close(p[0]);
    std::string why = body();
    if (!why.empty()) (void)!write(p[1], why.data(), why.size());
    _exit(why.empty() ? 0 : 1);
  }
  close(p[1]);
  std::string out;
  char buf[512];
  ssize_t n;
  while ((n = read(p[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  close(p[0]);
  int st = 0;
  waitpid(pid, &st, 0);
  if (!WIFEXITED(st)) return "child died";
  return out;
}

constexpr const char* kNetRawOnly = "0000000000002000";  // 1 << CAP_NET_RAW (13)

std::string check_sets(const std::string& bounding) {
  auto st = proc_status();
  std::string why;
  if (st["CapEff"] != kNetRawOnly) why += " CapEff=" + st["CapEff"];
  if (st["CapPrm"] != kNetRawOnly) why += " CapPrm=" + st["CapPrm"];
  if (st["CapInh"] != "0000000000000000") why += " CapInh=" + st["CapInh"];
  if (st["CapAmb"] != "0000000000000000") why += " CapAmb=" + st["CapAmb"];
  if (st["CapBnd"] != bounding) why += " CapBnd=" + st["CapBnd"];
  if (st["NoNewPrivs"] != "1") why += " NoNewPrivs=" + st["NoNewPrivs"];
  return why;
}

std::string can_open_raw_icmp() {
  int s = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
  if (s < 0) return " raw ICMP socket refused";
  close(s);
  return "";
}

std::string cannot_bind_80() {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(80);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int r = bind(s, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  int e = errno;
  close(s);
  return r == 0 || e != EACCES ? " could bind port 80" : "";
}

class DaemonPrivs : public ::testing::Test {
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root";
  }
};

TEST_F(DaemonPrivs, SwitchToNobodyKeepsOnlyNetRaw) {
  std::string why = in_child([] {
    auto r = switch_user("nobody", {CAP_NET_RAW});
    if (!r) return r.error().message();
    std::string why = check_sets(kNetRawOnly) + can_open_raw_icmp() + cannot_bind_80();
    if (open("/etc/shadow", O_RDONLY) >= 0 || errno != EACCES) why += " could read /etc/shadow";
    if (getuid() != 65534 || geteuid() != 65534) why += " uid=" + std::to_string(getuid());
    if (setuid(0) == 0) why += " regained uid 0";
    if (effective_capabilities_text().find("cap_net_raw=ep") == std::string::npos)
      why += " text: " + effective_capabilities_text();
    return why;
  });
  EXPECT_EQ(why, "");
}

TEST_F(DaemonPrivs, StayingRootKeepsOnlyTheListedCapabilities) {
  // A 0600 file of another user: root reads it only through CAP_DAC_OVERRIDE, which goes.
  char path[] = "/tmp/reach-privs-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(fchown(fd, 65534, 65534), 0);
  ASSERT_EQ(fchmod(fd, 0600), 0);
  close(fd);
  std::string why = in_child([&] {
    auto r = keep_only_capabilities({CAP_NET_RAW});
    std::string why = r ? "" : r.error().message();
    why += check_sets(kNetRawOnly) + can_open_raw_icmp() + cannot_bind_80();
    if (open(path, O_RDONLY) >= 0 || errno != EACCES) why += " could read another user's 0600 file";
    // Asking for a capability given up is an error naming it.
    auto again = keep_only_capabilities({CAP_NET_RAW, CAP_SYS_ADMIN});
    if (again || again.error().message().find("cap_sys_admin") == std::string::npos) why += " regained cap_sys_admin";
    return why;
  });
  unlink(path);
  EXPECT_EQ(why, "");
}

TEST_F(DaemonPrivs, ListeningBelow1024KeepsBindService) {
  std::string why = in_child([] {
    auto r = switch_user("nobody", {CAP_NET_RAW, CAP_NET_BIND_SERVICE});
    if (!r) return r.error().message();
    auto st = proc_status();
    if (st["CapEff"] != "0000000000002400") return "CapEff=" + st["CapEff"];
    return cannot_bind_80().empty() ? std::string(" port 80 refused") : std::string();
  });
  EXPECT_EQ(why, "");
}

TEST_F(DaemonPrivs, UnknownUserIsNamed) {
  std::string why = in_child([] {
    auto r = switch_user("no-such-user-reach", {CAP_NET_RAW});
    if (r) return std::string("switched?");
    if (r.error().message() != "switch user \"no-such-user-reach\": no such user") return r.error().message();
    return std::string();
  });
  EXPECT_EQ(why, "");
}

}  // namespace
}  // namespace reach::sys
