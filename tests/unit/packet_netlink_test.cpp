// Netlink sock_diag readers and request builders, against answers captured from the kernel.
#include <gtest/gtest.h>

#include "hex.hpp"
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>
#include <string_view>

#include "packet/netlink.hpp"

namespace reach::packet::nl {
namespace {

using reach::test::hex;

// Captured on x86-64 (little endian) from a namespace with a TCP listener on 127.0.0.1:9000
// (backlog 5, inode 198177), one on [::1]:9001 (backlog 7, inode 198178) and a unix stream
// listener "\0reachtest" (inode 198179): SOCK_DIAG_BY_FAMILY answers, seq 7 and 9.
const Buffer kTcp4 = hex(
    "7c0000001400020007000000d37d0000020a0000232800007f000001000000000000000000000000000000000000000000000000000000"
    "000000000009000000000000000000000000000000050000000000000021060300050008000000000008000f00000000000c0015000100"
    "0000000000000600160052000000");
const Buffer kTcp6 = hex(
    "840000001400020007000000d37d00000a0a0000232900000000000000000000000000000000000100000000000000000000000000000000"
    "000000000a000000000000000000000000000000070000000000000022060300050008000000000005000b000100000008000f0000000000"
    "0c00150001000000000000000600160012000000");
const Buffer kUnix = hex(
    "440000001400020009000000d37d000001010a00230603000b000000000000000e0000000072656163687465737400000400030005000600"
    "000000000800070000000000");

Buffer concat(std::initializer_list<const Buffer*> parts) {
  Buffer b;
  for (const Buffer* p : parts) b.insert(b.end(), p->begin(), p->end());
  return b;
}

Buffer done_message(std::uint32_t seq, std::int32_t status) {
  Buffer b(20, 0);
  std::uint32_t len = 20;
  std::uint16_t type = NLMSG_DONE, flags = NLM_F_MULTI;
  std::memcpy(b.data(), &len, 4);
  std::memcpy(b.data() + 4, &type, 2);
  std::memcpy(b.data() + 6, &flags, 2);
  std::memcpy(b.data() + 8, &seq, 4);
  std::memcpy(b.data() + 16, &status, 4);
  return b;
}

TEST(PacketNetlink, SplitsABufferOfMessages) {
  const Buffer buf = concat({&kTcp4, &kTcp6});
  auto msgs = split(buf);
  ASSERT_TRUE(msgs);
  ASSERT_EQ(msgs->size(), 2u);
  EXPECT_EQ((*msgs)[0].type, SOCK_DIAG_BY_FAMILY);
  EXPECT_EQ((*msgs)[0].seq, 7u);
  EXPECT_EQ((*msgs)[0].flags, NLM_F_MULTI);
  EXPECT_EQ((*msgs)[0].payload.size(), kTcp4.size() - 16);
  EXPECT_EQ((*msgs)[1].payload.size(), kTcp6.size() - 16);
}

TEST(PacketNetlink, InetDiagIpv4Listener) {
  auto msgs = split(kTcp4);
  ASSERT_TRUE(msgs);
  auto d = parse_inet_diag((*msgs)[0].payload);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->family, AF_INET);
  EXPECT_EQ(d->state, 10);  // TCP_LISTEN
  EXPECT_EQ(d->sport, 9000);
  EXPECT_EQ(d->dport, 0);
  EXPECT_EQ(d->src.to_string(), "127.0.0.1");
  EXPECT_EQ(d->dst.to_string(), "0.0.0.0");
  EXPECT_EQ(d->rqueue, 0u);
  EXPECT_EQ(d->wqueue, 5u);  // the backlog of a listener
  EXPECT_EQ(d->uid, 0u);
  EXPECT_EQ(d->inode, 198177u);
  ASSERT_TRUE(d->shutdown);
  EXPECT_EQ(*d->shutdown, 0);
}

TEST(PacketNetlink, InetDiagIpv6Listener) {
  auto d = parse_inet_diag(Bytes(kTcp6).subspan(16));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->family, AF_INET6);
  EXPECT_EQ(d->sport, 9001);
  EXPECT_EQ(d->src.to_string(), "::1");
  EXPECT_EQ(d->wqueue, 7u);
  EXPECT_EQ(d->inode, 198178u);
}

TEST(PacketNetlink, UnixDiagAbstractName) {
  auto d = parse_unix_diag(Bytes(kUnix).subspan(16));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->type, SOCK_STREAM);
  EXPECT_EQ(d->state, 10);
  EXPECT_EQ(d->inode, 198179u);
  ASSERT_TRUE(d->name);
  EXPECT_EQ(*d->name, "@reachtest");
  ASSERT_TRUE(d->uid);
  EXPECT_EQ(*d->uid, 0u);
  EXPECT_FALSE(d->peer);
}

TEST(PacketNetlink, EveryTruncationIsRefusedOrConsistent) {
  for (std::size_t n = 1; n < kTcp4.size(); ++n) EXPECT_FALSE(split(Bytes(kTcp4).first(n))) << n;
  const Bytes payload = Bytes(kTcp4).subspan(16);
  for (std::size_t m = 0; m <= payload.size(); ++m) {
    auto d = parse_inet_diag(payload.first(m));
    if (m < kInetDiagMsgLen) {
      EXPECT_FALSE(d) << m;
    } else if (d) {
      EXPECT_EQ(d->sport, 9000) << m;
      EXPECT_EQ(d->inode, 198177u) << m;
    }
  }
  EXPECT_TRUE(parse_inet_diag(payload.first(kInetDiagMsgLen)));  // no attributes at all is fine
  const Bytes upayload = Bytes(kUnix).subspan(16);
  for (std::size_t m = 0; m < kUnixDiagMsgLen; ++m) EXPECT_FALSE(parse_unix_diag(upayload.first(m))) << m;
}

TEST(PacketNetlink, BadLengthsAreRefused) {
  Buffer b = kTcp4;
  b[0] = 8;  // nlmsg_len shorter than the header
  EXPECT_FALSE(split(b));
  b[0] = 0xff;  // longer than the buffer
  EXPECT_FALSE(split(b));
  // An attribute whose length runs past the message.
  Buffer a = kTcp4;
  a[16 + 72] = 0x40;
  EXPECT_FALSE(parse_inet_diag(Bytes(a).subspan(16)));
  // An attribute shorter than its own header.
  a[16 + 72] = 2;
  EXPECT_FALSE(parse_inet_diag(Bytes(a).subspan(16)));
  // Unknown family.
  Buffer f = kTcp4;
  f[16] = 99;
  EXPECT_FALSE(parse_inet_diag(Bytes(f).subspan(16)));
}

TEST(PacketNetlink, AttributesWalk) {
  // type 1 "ab" (len 6, padded to 8), type 0x8002 (nested bit cleared) with 4 bytes, no padding at the end.
  const Buffer b = hex("0600010061620000" "0800028001020304");
  auto attrs = parse_attrs(b);
  ASSERT_TRUE(attrs);
  ASSERT_EQ(attrs->size(), 2u);
  EXPECT_EQ((*attrs)[0].type, 1);
  EXPECT_EQ((*attrs)[0].value.size(), 2u);
  EXPECT_EQ((*attrs)[1].type, 2);
  EXPECT_EQ((*attrs)[1].value.size(), 4u);
  // The last record without its padding is accepted.
  auto last = parse_attrs(Bytes(b).first(6));
  ASSERT_TRUE(last);
  EXPECT_EQ(last->size(), 1u);
  EXPECT_FALSE(parse_attrs(Bytes(b).first(3)));
}

TEST(PacketNetlink, DoneAndError) {
  const Buffer ok = done_message(3, 0);
  auto msgs = split(ok);
  ASSERT_TRUE(msgs);
  EXPECT_EQ((*msgs)[0].type, NLMSG_DONE);
  EXPECT_EQ(parse_done((*msgs)[0].payload), 0);
  const Buffer failed = done_message(3, -ENOENT);
  EXPECT_EQ(parse_done(Bytes(failed).subspan(16)), -ENOENT);
  std::int32_t e = -ENOENT;
  Buffer err(20, 0);
  std::memcpy(err.data(), &e, 4);
  ASSERT_TRUE(parse_error(err));
  EXPECT_EQ(*parse_error(err), ENOENT);
  e = 5;  // positive: not an errno
  std::memcpy(err.data(), &e, 4);
  EXPECT_FALSE(parse_error(err));
  EXPECT_FALSE(parse_error(Bytes(err).first(3)));
}

TEST(PacketNetlink, InetRequestLayout) {
  const Buffer r = build_inet_diag_request(AF_INET6, IPPROTO_UDP, 0x1ffe, 42);
  ASSERT_EQ(r.size(), 16 + sizeof(inet_diag_req_v2));
  nlmsghdr h;
  std::memcpy(&h, r.data(), sizeof h);  // test side: compare with the kernel's own struct
  EXPECT_EQ(h.nlmsg_len, r.size());
  EXPECT_EQ(h.nlmsg_type, SOCK_DIAG_BY_FAMILY);
  EXPECT_EQ(h.nlmsg_flags, NLM_F_REQUEST | NLM_F_DUMP);
  EXPECT_EQ(h.nlmsg_seq, 42u);
  inet_diag_req_v2 q;
  std::memcpy(&q, r.data() + 16, sizeof q);
  EXPECT_EQ(q.sdiag_family, AF_INET6);
  EXPECT_EQ(q.sdiag_protocol, IPPROTO_UDP);
  EXPECT_EQ(q.idiag_states, 0x1ffeu);
  EXPECT_EQ(q.id.idiag_cookie[0], INET_DIAG_NOCOOKIE);
  EXPECT_EQ(q.id.idiag_cookie[1], INET_DIAG_NOCOOKIE);
  EXPECT_EQ(q.id.idiag_sport, 0);
}

TEST(PacketNetlink, UnixRequestLayout) {
  const Buffer r = build_unix_diag_request(1u << 10, UDIAG_SHOW_NAME | UDIAG_SHOW_PEER, 9);
  ASSERT_EQ(r.size(), 16 + sizeof(unix_diag_req));
  unix_diag_req q;
  std::memcpy(&q, r.data() + 16, sizeof q);
  EXPECT_EQ(q.sdiag_family, AF_UNIX);
  EXPECT_EQ(q.udiag_states, 1u << 10);
  EXPECT_EQ(q.udiag_show, static_cast<std::uint32_t>(UDIAG_SHOW_NAME | UDIAG_SHOW_PEER));
}

TEST(PacketNetlink, ProcNetRawLines) {
  auto h = parse_proc_net_line(
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer "
      "drops",
      Family::v4);
  EXPECT_FALSE(h);
  // On a little-endian machine 0100007F is 127.0.0.1; the test builds the word the same way.
  std::uint32_t word = 0;
  const std::uint8_t lo[4] = {127, 0, 0, 1};
  std::memcpy(&word, lo, 4);
  char line[200];
  std::snprintf(line, sizeof line,
                "   1: %08X:0001 00000000:0000 07 00000010:00000020 00:00000000 00000000  1000        0 4242 2 "
                "0000000000000000 0",
                word);
  auto r = parse_proc_net_line(line, Family::v4);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->local.to_string(), "127.0.0.1");
  EXPECT_EQ(r->lport, 1);  // the IP protocol of a raw socket
  EXPECT_EQ(r->remote.to_string(), "0.0.0.0");
  EXPECT_EQ(r->state, 7);
  EXPECT_EQ(r->tx_queue, 0x10u);
  EXPECT_EQ(r->rx_queue, 0x20u);
  EXPECT_EQ(r->uid, 1000u);
  EXPECT_EQ(r->inode, 4242u);
  auto v6 = parse_proc_net_line(
      "   5: 00000000000000000000000001000000:003A 00000000000000000000000000000000:0000 07 00000000:00000000 "
      "00:00000000 00000000     0        0 777 2 0000000000000000 0",
      Family::v6);
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->lport, 58);
  EXPECT_EQ(v6->inode, 777u);
  // Wrong family, short lines, bad hex: refused.
  EXPECT_FALSE(parse_proc_net_line(line, Family::v6));
  EXPECT_FALSE(parse_proc_net_line("   1: 0100007F:0001 00000000:0000 07", Family::v4));
  EXPECT_FALSE(parse_proc_net_line(
      "   1: 0100007G:0001 00000000:0000 07 00000000:00000000 00:00000000 00000000 0 0 1 2", Family::v4));
}

}  // namespace
}  // namespace reach::packet::nl
