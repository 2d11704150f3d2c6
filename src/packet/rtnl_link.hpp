#pragma once
// rtnetlink link messages (RTM_NEWLINK answers to an RTM_GETLINK dump): a pure reader and the
// dump request. Host byte order, fields at fixed offsets, as packet/netlink.hpp.
#include <cstdint>
#include <optional>
#include <string>

#include "packet/bytes.hpp"

namespace reach::packet::nl {

inline constexpr std::size_t kIfInfoMsgLen = 16;        // struct ifinfomsg
inline constexpr std::uint16_t kRtmNewLink = 16, kRtmGetLink = 18;

struct LinkMessage {
  int ifindex = 0;
  std::uint32_t flags = 0;          // IFF_*
  std::string name;                 // IFLA_IFNAME
  std::string mac;                  // IFLA_ADDRESS as "aa:bb:..", empty when absent or all zero
  std::string perm_mac;             // IFLA_PERM_ADDRESS, same form
  std::optional<std::uint64_t> rx_bytes, tx_bytes;  // IFLA_STATS64, else IFLA_STATS (32-bit)
  bool stats64 = false;             // the byte counts came from IFLA_STATS64
};

// The payload of an RTM_NEWLINK message; nullopt when shorter than ifinfomsg or with malformed
// attributes. Attributes shorter than their type needs are ignored.
std::optional<LinkMessage> parse_link(Bytes payload);

// A dump request for every link (RTM_GETLINK, AF_UNSPEC).
Buffer build_getlink_request(std::uint32_t seq);

// "aa:bb:cc:dd:ee:ff" for any length of hardware address; empty for none or all zero bytes
// (loopback, tunnels: no identity to match on).
std::string format_hw_addr(Bytes addr);

}  // namespace reach::packet::nl
