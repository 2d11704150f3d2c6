// Reply matching for the ping engine: which probe, if any, a received packet answers.
// Every check that fails counts the packet as ignored; nothing here trusts a length field.
#include "engine/cookie.hpp"
#include "engine/ping_engine.hpp"
#include "packet/icmp.hpp"
#include "packet/ip.hpp"
#include "packet/tcp.hpp"
#include "packet/udp.hpp"

namespace reach::engine {

using model::EventType;
using model::ProbeEvent;

std::optional<std::size_t> PingEngine::target_by_addr(const IpAddr& a) const {
  auto it = by_addr_.find(a);
  if (it == by_addr_.end()) return std::nullopt;
  return it->second.front();
}

std::optional<std::size_t> PingEngine::target_for(const IpAddr& a, std::uint16_t id) const {
  // The same address may be given twice: the identifier (ICMP) or source port (TCP) tells which.
  auto fits = [&](std::size_t i) {
    const auto& spec = targets_[i].spec;
    return cfg_.method == model::Method::tcp_syn ? static_cast<std::uint16_t>(id - spec.ident) <= 0xff
                                                 : id == spec.ident;
  };
  if (auto it = by_addr_.find(a); it != by_addr_.end())
    for (std::size_t i : it->second)
      if (fits(i)) return i;
  for (std::size_t i : groups_)
    if (fits(i)) return i;
  return std::nullopt;
}

std::vector<ProbeEvent> PingEngine::on_packet(const Incoming& in) {
  switch (in.channel) {
    case Channel::icmp_raw:
    case Channel::icmp_dgram:
      return match_icmp(in);
    case Channel::tcp_raw:
      return match_tcp(in);
    case Channel::udp:
      return match_udp(in);
  }
  return {};
}

namespace {

// Splits what a socket delivered into the upper-layer message, its sender, TTL and IP length.
struct L4 {
  packet::Bytes data;
  IpAddr from;
  int ttl;
  std::uint32_t ip_len;
  std::optional<std::uint16_t> ip_id;
  bool df = false;
};

std::optional<L4> strip_ip(const Incoming& in, bool has_ip_header, std::uint8_t proto) {
  if (has_ip_header) {
    auto ip = packet::parse_ipv4(in.data);
    if (!ip || ip->protocol != proto || ip->frag_offset != 0) return std::nullopt;
    return L4{ip->payload, ip->src, ip->ttl, ip->total_len, ip->id, ip->dont_fragment};
  }
  std::uint32_t hdr = in.family == Family::v4 ? 20 : 40;
  return L4{in.data, in.from, in.ttl, static_cast<std::uint32_t>(in.data.size()) + hdr, std::nullopt, false};
}

}  // namespace

std::vector<ProbeEvent> PingEngine::match_icmp(const Incoming& in) {
  std::vector<ProbeEvent> out;
  if (in.target && *in.target >= targets_.size()) return out;
  bool has_ip = in.channel == Channel::icmp_raw && in.family == Family::v4;
  auto l4 = strip_ip(in, has_ip, in.family == Family::v4 ? packet::kProtoIcmp : packet::kProtoIcmpV6);
  // A shared raw socket does not know the target: the sender's address names it.
  std::optional<std::size_t> sender = in.target ? in.target : target_by_addr(in.from);
  if (!l4) {
    count_ignored(sender);
    return out;
  }
  auto msg = packet::parse_icmp(l4->data);
  if (!msg) {
    count_ignored(sender);
    return out;
  }
  if (in.family == Family::v4 && in.channel == Channel::icmp_raw && !packet::icmp4_checksum_ok(l4->data)) {
    count_ignored(sender);
    return out;
  }
  bool v4 = in.family == Family::v4;
  std::uint8_t reply_type = v4 ? packet::kIcmp4EchoReply : packet::kIcmp6EchoReply;
  std::uint8_t request_type = v4 ? packet::kIcmp4EchoRequest : packet::kIcmp6EchoRequest;
  if (msg->type == request_type) return out;  // our own request looped back (pinging a local address)
  if (cfg_.method == model::Method::icmp && msg->type == reply_type) {
    std::optional<std::size_t> t = in.target;
    if (!t) t = target_for(l4->from, msg->ident);
    if (!t || (targets_[*t].spec.addr != l4->from && !targets_[*t].spec.group)) {
      // Someone else's echo reply (another ping on this host): not ours, not suspicious.
      return out;
    }
    Slot* s = find(targets_[*t], msg->seq);
    auto c = packet::echo_cookie(msg->body);
    // Probes with 8 or more payload bytes carry the cookie: an answer without it is not ours.
    if (!s || (cfg_.payload >= 8 && (!c || *c != probe_cookie(*t, s->seq)))) {
      count_ignored(t);
      return out;
    }
    auto e = answer(*t, msg->seq, EventType::reply, rx_of(in));
    if (!e) return out;
    e->from = l4->from;
    e->bytes = static_cast<std::uint32_t>(l4->data.size());
    e->ip_len = l4->ip_len;
    e->ttl = l4->ttl;
    e->ip_id = l4->ip_id;
    e->dont_fragment = l4->df;
    out.push_back(*e);
    return out;
  }
  if (packet::classify_icmp(in.family, msg->type, msg->code) == packet::IcmpErrorKind::not_error) return out;
  if (in.channel == Channel::icmp_dgram) return out;  // errors of datagram sockets come on the error queue
  return match_icmp_error(in.family, l4->data, l4->from, rx_of(in), l4->ttl, l4->ip_len);
}

std::vector<ProbeEvent> PingEngine::match_icmp_error(Family f, packet::Bytes icmp, const IpAddr& from,
                                                     const RxTimes& rx, int ttl, std::uint32_t ip_len) {
  std::vector<ProbeEvent> out;
  auto msg = packet::parse_icmp(icmp);
  if (!msg) return out;
  auto q = packet::parse_quoted(f, msg->body);
  if (!q) return out;  // an error about something we cannot read: not ours
  std::optional<std::size_t> t;
  std::optional<std::uint16_t> wire;
  switch (cfg_.method) {
    case model::Method::icmp: {
      std::uint8_t proto = f == Family::v4 ? packet::kProtoIcmp : packet::kProtoIcmpV6;
      auto qm = packet::parse_icmp(q->ip.payload);
      if (q->ip.protocol != proto || !qm) return out;
      t = target_for(q->ip.dst, qm->ident);
      if (!t) return out;  // another host's traffic, or another program's ping
      // Routers quote at least 8 bytes past the ICMP header: when the cookie is there, it must fit.
      Slot* s = find(targets_[*t], qm->seq);
      auto c = packet::echo_cookie(qm->body);
      if (s && cfg_.payload >= 8 && c && *c != probe_cookie(*t, s->seq)) {
        count_ignored(t);
        return out;
      }
      wire = qm->seq;
      break;
    }
    case model::Method::tcp_syn: {
      auto ports = packet::parse_l4_ports(q->ip.payload);
      if (q->ip.protocol != packet::kProtoTcp || !ports || ports->dport != cfg_.port) return out;
      t = target_for(q->ip.dst, ports->sport);
      if (!t) return out;
      std::uint16_t off = static_cast<std::uint16_t>(ports->sport - targets_[*t].spec.ident);
      if ((ports->seq >> 16) != tcp_check16(*t, ports->sport) || (ports->seq & 0xff) != off) {
        count_ignored(t);
        return out;
      }
      wire = static_cast<std::uint16_t>(ports->seq);
      break;
    }
    default:
      return out;  // UDP and connect errors come through their own sockets
  }
  Slot* s = find(targets_[*t], *wire);
  if (!s) {
    count_ignored(t);
    return out;
  }
  auto e = answer(*t, *wire, EventType::icmp_error, rx);
  if (!e) return out;
  e->from = from;
  e->ttl = ttl;
  e->ip_len = ip_len;
  e->bytes = static_cast<std::uint32_t>(icmp.size());
  e->icmp_type = msg->type;
  e->icmp_code = msg->code;
  e->icmp_name = packet::icmp_error_name(f, msg->type, msg->code);
  out.push_back(*e);
  return out;
}

std::vector<ProbeEvent> PingEngine::match_tcp(const Incoming& in) {
  std::vector<ProbeEvent> out;
  auto l4 = strip_ip(in, in.family == Family::v4, packet::kProtoTcp);
  if (!l4) return out;
  auto tcp = packet::parse_tcp(l4->data);
  if (!tcp || tcp->sport != cfg_.port) return out;
  auto t = target_for(l4->from, tcp->dport);
  if (!t) return out;  // to another local port: not one of our probes
  std::uint16_t off = static_cast<std::uint16_t>(tcp->dport - targets_[*t].spec.ident);
  bool syn = (tcp->flags & packet::kTcpSyn) != 0;
  bool answers_syn = (tcp->flags & packet::kTcpAck) && (syn || (tcp->flags & packet::kTcpRst));
  // A SYN-ACK acknowledges the SYN only (data in a SYN is not taken); a RST acknowledges all we sent.
  std::uint32_t probe_seq = tcp->ack - 1 - (syn ? 0 : static_cast<std::uint32_t>(cfg_.payload));
  // No checksum check here: a raw socket sees segments before TCP verifies them, and over veth
  // (checksum offload) their checksum field is legitimately incomplete. The keyed ack is the check.
  if (!answers_syn || (probe_seq >> 16) != tcp_check16(*t, tcp->dport) || (probe_seq & 0xff) != off) {
    count_ignored(t);
    return out;
  }
  auto e = answer(*t, static_cast<std::uint16_t>(probe_seq), EventType::reply, rx_of(in));
  if (!e) return out;
  e->from = l4->from;
  e->ip_len = l4->ip_len;
  e->bytes = static_cast<std::uint32_t>(l4->data.size());
  e->ttl = l4->ttl;
  e->ip_id = l4->ip_id;
  e->dont_fragment = l4->df;
  e->sport = tcp->sport;
  e->tcp_flags = tcp->flags;
  e->tcp_window = tcp->window;
  e->refused = (tcp->flags & packet::kTcpRst) != 0;
  out.push_back(*e);
  return out;
}

std::optional<std::uint32_t> PingEngine::udp_probe_seq(std::size_t target, packet::Bytes payload) const {
  if (payload.size() < 12) return std::nullopt;
  std::uint32_t seq = packet::be32(payload, 0);
  std::uint64_t c = (std::uint64_t{packet::be32(payload, 4)} << 32) | packet::be32(payload, 8);
  if (c != probe_cookie(target, seq)) return std::nullopt;
  return seq;
}

std::vector<ProbeEvent> PingEngine::match_udp(const Incoming& in) {
  std::vector<ProbeEvent> out;
  if (!in.target || *in.target >= targets_.size()) return out;
  std::size_t t = *in.target;
  std::optional<ProbeEvent> e;
  // An echo service returns our payload: then we know exactly which probe it answers.
  if (auto seq = udp_probe_seq(t, in.data))
    e = answer(t, static_cast<std::uint16_t>(*seq), EventType::reply, rx_of(in));
  if (!e) {
    auto wire = oldest_outstanding(t);
    if (!wire) {
      count_ignored(t);
      return out;
    }
    e = answer(t, *wire, EventType::reply, rx_of(in));
  }
  if (!e) return out;
  e->from = in.from;
  e->bytes = static_cast<std::uint32_t>(in.data.size());
  e->ip_len = e->bytes + 8 + (in.family == Family::v4 ? 20 : 40);
  e->ttl = in.ttl;
  e->sport = cfg_.port;
  out.push_back(*e);
  return out;
}

std::vector<ProbeEvent> PingEngine::on_error(const IncomingError& in) {
  std::vector<ProbeEvent> out;
  if (!in.target || *in.target >= targets_.size()) return out;
  std::size_t t = *in.target;
  std::optional<std::uint16_t> wire;
  if (in.channel == Channel::udp) {
    // Payloads under 12 bytes carry no seq: such errors answer the oldest probe waiting.
    if (auto seq = udp_probe_seq(t, in.original)) wire = static_cast<std::uint16_t>(*seq);
    else if (cfg_.payload < 12) wire = oldest_outstanding(t);
    if (!wire) {
      count_ignored(t);
      return out;
    }
  } else if (in.channel == Channel::icmp_dgram) {
    auto qm = packet::parse_icmp(in.original);
    if (!qm) return out;
    wire = qm->seq;
  } else {
    return out;
  }
  auto kind = packet::classify_icmp(in.family, in.type, in.code);
  // Port unreachable from the target itself proves it alive, as a reply does.
  bool alive = kind == packet::IcmpErrorKind::port_unreachable && in.offender == targets_[t].spec.addr &&
               cfg_.method == model::Method::udp;
  auto e = answer(t, *wire, alive ? EventType::reply : EventType::icmp_error, rx_of(in));
  if (!e) return out;
  e->from = in.offender;
  e->icmp_type = in.type;
  e->icmp_code = in.code;
  e->icmp_name = packet::icmp_error_name(in.family, in.type, in.code);
  e->sport = cfg_.port;
  out.push_back(*e);
  return out;
}

}  // namespace reach::engine
