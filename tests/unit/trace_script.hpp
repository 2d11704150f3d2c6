#pragma once
// Scripted answers to trace probes, built with the packet layer from the bytes the engine asked
// us to send: what a router (time exceeded, unreachable, possibly truncated quotes) or the
// target (echo reply, SYN-ACK/RST) would put on the wire. Shared by the engine test and fuzzer.
#include <algorithm>

#include "engine/trace_engine.hpp"
#include "packet/checksum.hpp"
#include "packet/icmp.hpp"
#include "packet/ip.hpp"
#include "packet/tcp.hpp"
#include "packets.hpp"

namespace reach::test {

using packet::Buffer;

inline std::uint8_t l4_proto(model::TraceMethod m, bool v4) {
  if (m == model::TraceMethod::udp) return packet::kProtoUdp;
  if (m == model::TraceMethod::tcp) return packet::kProtoTcp;
  return v4 ? packet::kProtoIcmp : packet::kProtoIcmpV6;
}

// An ICMP error from `router` quoting probe `o` (its upper layer cut to `quote_l4` bytes).
// IPv4 comes with the IP header, as a raw ICMP socket delivers it; IPv6 without.
inline Buffer trace_error(const engine::TraceConfig& c, const engine::TraceOutgoing& o, const IpAddr& router,
                         std::uint8_t type, std::uint8_t code, std::size_t quote_l4 = 1000) {
  bool v4 = c.target.is_v4();
  Buffer l4(o.bytes.begin(), o.bytes.begin() + static_cast<long>(std::min(quote_l4, o.bytes.size())));
  Buffer quoted = ip_packet(c.target.family(), c.source, c.target, l4_proto(c.method, v4), l4);
  if (v4) packet::put16(quoted, 2, static_cast<std::uint16_t>(20 + o.bytes.size()));  // the original length
  Buffer icmp = test::icmp_error(c.target.family(), type, code, quoted);
  if (!v4) return icmp;
  return ipv4(router, c.source, packet::kProtoIcmp, icmp);
}

// The target's own answer: an echo reply (ICMP) or SYN-ACK / RST (TCP).
inline Buffer target_reply(const engine::TraceConfig& c, const engine::TraceOutgoing& o, bool rst = false) {
  bool v4 = c.target.is_v4();
  if (c.method == model::TraceMethod::tcp) {
    auto syn = packet::parse_tcp(o.bytes);
    Buffer t(20, 0);
    packet::put16(t, 0, syn->dport);
    packet::put16(t, 2, syn->sport);
    packet::put32(t, 8, syn->seq + 1);
    t[12] = 5 << 4;
    t[13] = rst ? (packet::kTcpRst | packet::kTcpAck) : (packet::kTcpSyn | packet::kTcpAck);
    return v4 ? ipv4(c.target, c.source, packet::kProtoTcp, t) : t;
  }
  Buffer e = o.bytes;
  e[0] = v4 ? packet::kIcmp4EchoReply : packet::kIcmp6EchoReply;
  if (!v4) return e;
  return ipv4(c.target, c.source, packet::kProtoIcmp, fix_icmp4(e));
}

inline engine::TraceIncoming incoming(const engine::TraceConfig& c, const Buffer& b, const IpAddr& from, TimeNs rx,
                                      bool tcp = false) {
  engine::TraceIncoming in;
  in.kind = tcp ? engine::TraceIncoming::Kind::tcp : engine::TraceIncoming::Kind::icmp;
  in.family = c.target.family();
  in.data = b;
  in.has_ip_header = c.target.is_v4();
  in.from = from;
  in.rx = rx;
  in.kernel_rx = true;
  return in;
}

}  // namespace reach::test
