#include "sys/link_stats.hpp"

#include <net/if.h>

#include "packet/rtnl_link.hpp"
#include "sys/netlink.hpp"
#include "sys/procfs.hpp"

namespace reach::sys {

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
                          out.push_back(LinkStats{m->ifindex, std::move(m->name), std::move(m->mac),
                                                  std::move(m->perm_mac), *m->rx_bytes, *m->tx_bytes,
                                                  m->stats64 ? 64 : 32, (m->flags & IFF_UP) != 0});
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
