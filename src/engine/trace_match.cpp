// Reply matching for the trace engine: which probe an ICMP error, echo reply or TCP answer
// belongs to. Nothing is trusted: a quote must name our target, protocol and five-tuple, carry a
// probe number we sent, and, where the router quoted enough, the keyed cookie of that probe.
#include "engine/cookie.hpp"
#include "engine/trace_engine.hpp"
#include "packet/icmp.hpp"
#include "packet/icmp_ext.hpp"
#include "packet/ip.hpp"
#include "packet/tcp.hpp"

namespace reach::engine {

using model::TraceAnswer;

namespace {

std::uint8_t proto_of(model::TraceMethod m, Family f) {
  switch (m) {
    case model::TraceMethod::udp: return packet::kProtoUdp;
    case model::TraceMethod::tcp: return packet::kProtoTcp;
    case model::TraceMethod::icmp: break;
  }
  return f == Family::v4 ? packet::kProtoIcmp : packet::kProtoIcmpV6;
}

// seq/id + cookie at the start of a payload we built (fill_payload); nullopt when too short.
struct PayloadMark {
  std::uint32_t wire;
  std::uint64_t cookie;
};
std::optional<PayloadMark> payload_mark(packet::Bytes p) {
  if (p.size() < 12) return std::nullopt;
  return PayloadMark{packet::be32(p, 0), (std::uint64_t{packet::be32(p, 4)} << 32) | packet::be32(p, 8)};
}

}  // namespace

std::optional<std::uint32_t> TraceEngine::match_quote(const Quote& q) {
  if (q.dst != cfg_.target || q.proto != proto_of(cfg_.method, cfg_.target.family()) || q.l4.size() < 8) {
    ++counters_.ignored;  // about someone else's packet
    return std::nullopt;
  }
  const packet::Bytes l4 = q.l4;
  std::optional<std::uint32_t> id;
  packet::Bytes payload;
  switch (cfg_.method) {
    case model::TraceMethod::udp: {
      std::uint16_t sport = packet::be16(l4, 0), dport = packet::be16(l4, 2);
      if (cfg_.classic) {
        std::uint16_t off = static_cast<std::uint16_t>(dport - cfg_.dport);
        if (off < probe_count()) id = off;
      } else if (dport == cfg_.dport) {
        id = id_from_wire(packet::be16(l4, 6));  // the checksum: present even in an 8-byte quote
      }
      if (!id || sport != static_cast<std::uint16_t>(cfg_.sport + flow_of(*id))) {
        ++counters_.wrong_flow;
        return std::nullopt;
      }
      payload = l4.subspan(8);
      break;
    }
    case model::TraceMethod::icmp: {
      std::uint8_t req = cfg_.target.is_v4() ? packet::kIcmp4EchoRequest : packet::kIcmp6EchoRequest;
      if (l4[0] != req || (!cfg_.kernel_header && packet::be16(l4, 4) != cfg_.sport)) {
        ++counters_.wrong_flow;
        return std::nullopt;
      }
      id = id_from_wire(packet::be16(l4, 6));
      payload = l4.subspan(8);
      break;
    }
    case model::TraceMethod::tcp: {
      std::uint16_t sport = packet::be16(l4, 0), dport = packet::be16(l4, 2);
      std::uint32_t seq = packet::be32(l4, 4);
      if (dport != cfg_.dport) {
        ++counters_.wrong_flow;
        return std::nullopt;
      }
      id = id_from_wire(static_cast<std::uint16_t>(seq));
      std::uint16_t want = id ? static_cast<std::uint16_t>(cfg_.classic ? cfg_.sport + *id : cfg_.sport + flow_of(*id))
                              : 0;
      if (!id || sport != want) {
        ++counters_.wrong_flow;
        return std::nullopt;
      }
      if ((seq >> 16) != check16(*id)) {
        ++counters_.ignored;
        return std::nullopt;
      }
      return id;
    }
  }
  if (!id) {
    ++counters_.ignored;
    return std::nullopt;
  }
  // Routers that quote more than 8 bytes give us the payload: its mark must be this probe's.
  if (auto m = payload_mark(payload); m && (m->wire != wire_id(*id) || m->cookie != cookie_of(*id))) {
    ++counters_.ignored;
    return std::nullopt;
  }
  return id;
}

std::optional<model::TraceProbe> TraceEngine::on_packet(const TraceIncoming& in) {
  packet::Bytes data = in.data;
  IpAddr from = in.from;
  int ttl = in.ttl;
  if (in.has_ip_header) {
    auto ip = packet::parse_ip(data);
    if (!ip || ip->frag_offset != 0) {
      ++counters_.ignored;
      return std::nullopt;
    }
    data = ip->payload;
    from = ip->src;
    ttl = ip->ttl;
  }
  if (in.kind == TraceIncoming::Kind::tcp) return match_tcp(in, data, from, ttl);
  return match_icmp(in, data, from, ttl);
}

std::optional<model::TraceProbe> TraceEngine::match_icmp(const TraceIncoming& in, packet::Bytes icmp,
                                                         const IpAddr& from, int ttl) {
  auto msg = packet::parse_icmp(icmp);
  if (!msg || (in.family == Family::v4 && in.has_ip_header && !packet::icmp4_checksum_ok(icmp))) {
    ++counters_.ignored;
    return std::nullopt;
  }
  bool v4 = in.family == Family::v4;
  if (msg->type == (v4 ? packet::kIcmp4EchoRequest : packet::kIcmp6EchoRequest)) return std::nullopt;
  if (msg->type == (v4 ? packet::kIcmp4EchoReply : packet::kIcmp6EchoReply)) {
    // Echo replies of other pings on this host are not suspicious: only ours are looked at.
    if (cfg_.method != model::TraceMethod::icmp || from != cfg_.target ||
        (!cfg_.kernel_header && msg->ident != cfg_.sport))
      return std::nullopt;
    auto id = id_from_wire(msg->seq);
    auto m = payload_mark(msg->body);
    if (!id || !m || m->wire != wire_id(*id) || m->cookie != cookie_of(*id)) {
      ++counters_.ignored;
      return std::nullopt;
    }
    return answer(*id, TraceAnswer::reply, from, rx_of(in), ttl, msg->type, msg->code);
  }
  auto kind = packet::classify_icmp(in.family, msg->type, msg->code);
  if (kind == packet::IcmpErrorKind::not_error) return std::nullopt;  // router adverts, ND, ...
  auto q = packet::parse_quoted(in.family, msg->body);
  if (!q) {
    ++counters_.ignored;
    return std::nullopt;
  }
  auto id = match_quote(Quote{q->ip.protocol, q->ip.src, q->ip.dst, q->ip.payload});
  if (!id) return std::nullopt;
  bool exceeded = kind == packet::IcmpErrorKind::time_exceeded;
  auto p = answer(*id, exceeded ? TraceAnswer::time_exceeded : TraceAnswer::unreachable, from, rx_of(in),
                  ttl, msg->type, msg->code);
  // MPLS label stacks the router appended (RFC 4884 extensions, RFC 4950 objects).
  if (p)
    if (auto ext = packet::parse_icmp_extensions(in.family, icmp); ext && !ext->mpls.empty()) {
      for (const auto& l : ext->mpls) p->mpls.push_back({l.label, l.tc, l.bottom, l.ttl});
      slots_[*id].probe.mpls = p->mpls;
    }
  return p;
}

std::optional<model::TraceProbe> TraceEngine::match_tcp(const TraceIncoming& in, packet::Bytes seg,
                                                        const IpAddr& from, int ttl) {
  auto tcp = packet::parse_tcp(seg);
  if (cfg_.method != model::TraceMethod::tcp || !tcp || from != cfg_.target || tcp->sport != cfg_.dport)
    return std::nullopt;  // other connections of this host
  bool syn = (tcp->flags & packet::kTcpSyn) != 0;
  bool rst = (tcp->flags & packet::kTcpRst) != 0;
  bool answers_syn = (tcp->flags & packet::kTcpAck) && (syn || rst);
  // A bare ACK is the target's challenge ACK: a SYN of ours reached it while it still held the
  // half-open connection of an earlier probe of the flow, whose sequence the ACK names.
  bool challenge = (tcp->flags & packet::kTcpAck) && !syn && !rst && !(tcp->flags & packet::kTcpFin);
  std::uint32_t probe_seq = tcp->ack - 1;
  auto id = id_from_wire(static_cast<std::uint16_t>(probe_seq));
  if (!(answers_syn || challenge) || !id || (probe_seq >> 16) != check16(*id)) {
    ++counters_.ignored;
    return std::nullopt;
  }
  std::uint16_t want = static_cast<std::uint16_t>(cfg_.classic ? cfg_.sport + *id : cfg_.sport + flow_of(*id));
  if (tcp->dport != want) {
    ++counters_.wrong_flow;
    return std::nullopt;
  }
  if (challenge) {
    // It answers a probe of the same flow that got as far: the oldest such still waiting.
    std::optional<std::uint32_t> who;
    for (std::uint32_t i = 0; i < slots_.size() && !who; ++i)
      if (i != *id && !cfg_.classic && slots_[i].state == State::in_flight && wanted(i) && ttl_of(i) >= ttl_of(*id) &&
          flow_of(i) == flow_of(*id))
        who = i;
    if (!who) {
      ++counters_.duplicates;
      return std::nullopt;
    }
    id = who;
  }
  auto p = answer(*id, TraceAnswer::reply, from, rx_of(in), ttl, 0, 0);
  if (p) {
    slots_[*id].probe.tcp_flags = tcp->flags;
    p->tcp_flags = tcp->flags;
    if (tcp->flags & packet::kTcpRst) slots_[*id].probe.flag = p->flag = "";
  }
  return p;
}

std::optional<model::TraceProbe> TraceEngine::on_queued_error(const TraceQueuedError& in) {
  // The kernel already matched the error to our socket (its five-tuple); the quote is what is left.
  packet::Bytes payload = in.original;
  std::uint32_t wire = 0;
  if (cfg_.method == model::TraceMethod::icmp) {
    auto msg = packet::parse_icmp(in.original);
    if (msg) {
      wire = msg->seq;
      payload = msg->body;
    }
  }
  auto m = payload_mark(payload);
  if (m && cfg_.method == model::TraceMethod::udp) wire = m->wire;
  std::optional<std::uint32_t> id = wire <= 0xffff ? id_from_wire(static_cast<std::uint16_t>(wire)) : std::nullopt;
  // UDP errors need the mark (the kernel quotes only our payload); ICMP ones check it when quoted.
  bool mark_ok = m ? (id && m->wire == wire_id(*id) && m->cookie == cookie_of(*id))
                   : cfg_.method == model::TraceMethod::icmp;
  if (!mark_ok) id.reset();
  auto kind = packet::classify_icmp(in.family, in.type, in.code);
  if (!id || kind == packet::IcmpErrorKind::not_error) {
    ++counters_.ignored;
    return std::nullopt;
  }
  bool exceeded = kind == packet::IcmpErrorKind::time_exceeded;
  return answer(*id, exceeded ? TraceAnswer::time_exceeded : TraceAnswer::unreachable, in.offender, rx_of(in),
                -1, in.type, in.code);
}

}  // namespace reach::engine
