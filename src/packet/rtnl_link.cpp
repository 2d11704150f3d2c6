#include "packet/rtnl_link.hpp"

#include <linux/if_link.h>
#include <linux/netlink.h>

#include "packet/netlink.hpp"

namespace reach::packet::nl {

std::string format_hw_addr(Bytes addr) {
  bool any = false;
  for (std::uint8_t b : addr) any = any || b != 0;
  if (!any) return {};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < addr.size(); ++i) {
    if (i) out += ':';
    out += kHex[addr[i] >> 4];
    out += kHex[addr[i] & 15];
  }
  return out;
}

std::optional<LinkMessage> parse_link(Bytes payload) {
  if (payload.size() < kIfInfoMsgLen) return std::nullopt;
  LinkMessage m;
  // struct ifinfomsg: family(1) pad(1) type(2) index(4) flags(4) change(4)
  m.ifindex = static_cast<int>(host32(payload, 4));
  m.flags = host32(payload, 8);
  auto attrs = parse_attrs(payload.subspan(kIfInfoMsgLen));
  if (!attrs) return std::nullopt;
  for (const Attr& a : *attrs) {
    switch (a.type) {
      case IFLA_IFNAME: {
        std::string n(a.value.begin(), a.value.end());
        if (auto z = n.find('\0'); z != std::string::npos) n.resize(z);
        m.name = std::move(n);
        break;
      }
      case IFLA_ADDRESS:
        m.mac = format_hw_addr(a.value);
        break;
      case IFLA_PERM_ADDRESS:
        m.perm_mac = format_hw_addr(a.value);
        break;
      case IFLA_STATS64:
        // struct rtnl_link_stats64: rx_packets, tx_packets, rx_bytes, tx_bytes, ... (u64)
        if (a.value.size() >= 32) {
          m.rx_bytes = host64(a.value, 16);
          m.tx_bytes = host64(a.value, 24);
          m.stats64 = true;
        }
        break;
      case IFLA_STATS:
        // struct rtnl_link_stats: the same fields as u32; only when no IFLA_STATS64 came.
        if (a.value.size() >= 16 && !m.stats64) {
          m.rx_bytes = host32(a.value, 8);
          m.tx_bytes = host32(a.value, 12);
        }
        break;
      default:
        break;
    }
  }
  return m;
}

Buffer build_getlink_request(std::uint32_t seq) {
  // ifinfomsg all zero: AF_UNSPEC, every link.
  return build_header(kIfInfoMsgLen, kRtmGetLink, NLM_F_REQUEST | NLM_F_DUMP, seq);
}

}  // namespace reach::packet::nl
