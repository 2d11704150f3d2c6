#include "sys/link_stats.hpp"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>

#include "packet/netlink.hpp"
#include "packet/rtnl_link.hpp"
#include "sys/netlink.hpp"
#include "sys/procfs.hpp"

namespace reach::sys {

namespace {

LinkStats stats_of(packet::nl::LinkMessage& m) {
  return LinkStats{m.ifindex, std::move(m.name), std::move(m.mac), std::move(m.perm_mac), *m.rx_bytes, *m.tx_bytes,
                   m.stats64 ? 64 : 32, (m.flags & IFF_UP) != 0};
}

}  // namespace

Result<LinkMonitor> LinkMonitor::open() {
  int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
  if (fd < 0) return fail("socket(netlink route)", "link events", errno);
  Fd owned(fd);
  int size = 1 << 20;  // best effort: room for the link events of a busy host between reads
  (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  local.nl_groups = RTMGRP_LINK;
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0)
    return fail("bind(netlink RTMGRP_LINK)", "link events", errno);
  return LinkMonitor(std::move(owned));
}

Result<std::vector<LinkStats>> LinkMonitor::deleted() {
  std::vector<LinkStats> out;
  std::vector<std::uint8_t> buf(1 << 16);
  for (int i = 0; i < 4096; ++i) {  // bounded: a flood of events is read over several calls
    ssize_t n = ::recv(fd_.get(), buf.data(), buf.size(), MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (n < 0) return fail("netlink link events", "", errno);
    auto msgs = packet::nl::split(packet::Bytes(buf.data(), static_cast<std::size_t>(n)));
    if (!msgs) continue;
    for (const auto& m : *msgs) {
      if (m.type != RTM_DELLINK) continue;
      auto link = packet::nl::parse_link(m.payload);
      if (link && link->rx_bytes && link->tx_bytes) out.push_back(stats_of(*link));
    }
  }
  return out;
}

Result<std::vector<LinkStats>> read_link_stats() {
  auto fd = open_rtnetlink();
  if (!fd) return tl::unexpected(fd.error());
  constexpr std::uint32_t kSeq = 1;
  const auto request = packet::nl::build_getlink_request(kSeq);
  std::vector<LinkStats> out;
  auto r = netlink_dump(fd->get(), request, kSeq, packet::nl::kRtmNewLink, "netlink getlink", "",
                        [&](packet::Bytes payload) {
                          auto m = packet::nl::parse_link(payload);
                          if (!m || !m->rx_bytes || !m->tx_bytes) return;
                          out.push_back(stats_of(*m));
                        });
  if (!r) return tl::unexpected(r.error());
  return out;
}

Result<std::string> boot_id() {
  const std::string path = "/proc/sys/kernel/random/boot_id";
  auto text = read_text_file(path);
  if (!text) return tl::unexpected(text.error());
  std::string id = *text;
  while (!id.empty() && (id.back() == '\n' || id.back() == ' ')) id.pop_back();
  if (id.empty()) return fail("read", path, 0, "empty boot id");
  return id;
}

}  // namespace reach::sys
