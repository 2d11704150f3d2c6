// rtnetlink link reader: RTM_NEWLINK payloads built attribute by attribute as the kernel lays
// them out (ifinfomsg, then 4-byte aligned rtattrs in host order).
#include <gtest/gtest.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>

#include <cstring>

#include "packet/netlink.hpp"
#include "packet/rtnl_link.hpp"

namespace reach::packet::nl {
namespace {

struct Builder {
  Buffer b = Buffer(kIfInfoMsgLen, 0);
  Builder(int ifindex, std::uint32_t flags) {
    std::memcpy(b.data() + 4, &ifindex, 4);
    std::memcpy(b.data() + 8, &flags, 4);
  }
  Builder& attr(std::uint16_t type, const void* data, std::size_t n) {
    const auto len = static_cast<std::uint16_t>(4 + n);
    const std::size_t at = b.size();
    b.resize(at + ((len + 3u) & ~3u), 0);
    std::memcpy(b.data() + at, &len, 2);
    std::memcpy(b.data() + at + 2, &type, 2);
    if (n) std::memcpy(b.data() + at + 4, data, n);
    return *this;
  }
  Builder& str(std::uint16_t type, const char* s) { return attr(type, s, std::strlen(s) + 1); }
  Builder& stats64(std::uint64_t rx, std::uint64_t tx) {
    rtnl_link_stats64 st{};
    st.rx_packets = 7;
    st.tx_packets = 8;
    st.rx_bytes = rx;
    st.tx_bytes = tx;
    return attr(IFLA_STATS64, &st, sizeof st);
  }
  Builder& stats32(std::uint32_t rx, std::uint32_t tx) {
    rtnl_link_stats st{};
    st.rx_bytes = rx;
    st.tx_bytes = tx;
    return attr(IFLA_STATS, &st, sizeof st);
  }
};

TEST(PacketRtnlLink, ReadsNameMacsAndStats64) {
  const std::uint8_t mac[6] = {0x02, 0, 0, 0, 0xab, 0x0a};
  const std::uint8_t perm[6] = {0x52, 0x54, 0, 0x12, 0x34, 0x56};
  Builder m(7, IFF_UP | IFF_BROADCAST);
  // In whichever order the two come, IFLA_STATS64 wins over its 32-bit copy.
  m.str(IFLA_IFNAME, "wwan0").attr(IFLA_ADDRESS, mac, 6).stats32(0x1234, 0x5678)
      .stats64(0x1'0000'1234ULL, 0x2'0000'5678ULL).attr(IFLA_PERM_ADDRESS, perm, 6);
  auto l = parse_link(m.b);
  ASSERT_TRUE(l);
  EXPECT_EQ(l->ifindex, 7);
  EXPECT_TRUE(l->flags & IFF_UP);
  EXPECT_EQ(l->name, "wwan0");
  EXPECT_EQ(l->mac, "02:00:00:00:ab:0a");
  EXPECT_EQ(l->perm_mac, "52:54:00:12:34:56");
  EXPECT_TRUE(l->stats64);
  EXPECT_EQ(l->rx_bytes, 0x1'0000'1234ULL);
  EXPECT_EQ(l->tx_bytes, 0x2'0000'5678ULL);
}

TEST(PacketRtnlLink, FallsBackToStats32AndZeroMacIsNone) {
  const std::uint8_t zero[6] = {};
  Builder m(1, 0);
  m.str(IFLA_IFNAME, "lo").attr(IFLA_ADDRESS, zero, 6).stats32(100, 200);
  auto l = parse_link(m.b);
  ASSERT_TRUE(l);
  EXPECT_EQ(l->mac, "");
  EXPECT_EQ(l->perm_mac, "");
  EXPECT_FALSE(l->stats64);
  EXPECT_EQ(l->rx_bytes, 100u);
  EXPECT_EQ(l->tx_bytes, 200u);
}

TEST(PacketRtnlLink, ShortOrMalformed) {
  Builder ok(3, 0);
  ok.str(IFLA_IFNAME, "eth0");
  EXPECT_FALSE(parse_link(Bytes(ok.b).first(kIfInfoMsgLen - 1)));
  // A truncated attribute header makes the whole message malformed.
  EXPECT_FALSE(parse_link(Bytes(ok.b).first(kIfInfoMsgLen + 3)));
  // Stats attributes too short for their struct are ignored, not read past their end.
  Builder tiny(3, 0);
  std::uint8_t few[20] = {};
  tiny.attr(IFLA_STATS64, few, sizeof few).attr(IFLA_STATS, few, 12);
  auto l = parse_link(tiny.b);
  ASSERT_TRUE(l);
  EXPECT_FALSE(l->rx_bytes);
  // A name without its NUL is still read whole.
  Builder nonul(4, 0);
  nonul.attr(IFLA_IFNAME, "abc", 3);
  EXPECT_EQ(parse_link(nonul.b)->name, "abc");
}

TEST(PacketRtnlLink, HwAddrFormats) {
  const std::uint8_t ib[20] = {0x80, 0, 0, 0x48, 0xfe, 0x80};
  EXPECT_EQ(format_hw_addr(Bytes(ib, 6)), "80:00:00:48:fe:80");
  EXPECT_EQ(format_hw_addr(Bytes(ib, 20)).size(), 20u * 3 - 1);
  EXPECT_EQ(format_hw_addr(Bytes()), "");
}

TEST(PacketRtnlLink, GetlinkRequest) {
  const Buffer r = build_getlink_request(42);
  ASSERT_EQ(r.size(), kHeaderLen + kIfInfoMsgLen);
  auto msgs = split(r);
  ASSERT_TRUE(msgs);
  ASSERT_EQ(msgs->size(), 1u);
  EXPECT_EQ((*msgs)[0].type, RTM_GETLINK);
  EXPECT_EQ((*msgs)[0].flags, NLM_F_REQUEST | NLM_F_DUMP);
  EXPECT_EQ((*msgs)[0].seq, 42u);
}

}  // namespace
}  // namespace reach::packet::nl
