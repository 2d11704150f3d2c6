// Trace engine: probe order and window, what each probe carries, deadlines, completion.
#include "engine/trace_engine.hpp"

#include <algorithm>

#include "engine/cookie.hpp"
#include "packet/checksum.hpp"
#include "packet/icmp.hpp"
#include "packet/tcp.hpp"

namespace reach::engine {

using model::TraceAnswer;

TraceEngine::TraceEngine(TraceConfig cfg, TimeNs start) : cfg_(std::move(cfg)), start_(start) {
  cfg_.first_ttl = std::clamp(cfg_.first_ttl, 1, 255);
  cfg_.max_ttl = std::clamp(cfg_.max_ttl, cfg_.first_ttl, 255);
  cfg_.queries = std::clamp(cfg_.queries, 1, 10);
  cfg_.window = std::max(cfg_.window, 1);
  cfg_.payload = std::max<std::size_t>(cfg_.payload, 14);
  cfg_.payload += cfg_.payload & 1;  // the checksum adjustment sits on a 16-bit boundary
  if (!cfg_.manual) slots_.resize(probe_count());
  for (std::uint32_t id = 0; id < slots_.size(); ++id) {
    auto& p = slots_[id].probe;
    p.id = id;
    p.ttl = planned_ttl(id);
    p.index = static_cast<int>(id % cfg_.queries);
    p.flow = id < cfg_.flows.size() ? cfg_.flows[id] : 0;
  }
  next_send_ = start;
}

std::uint32_t TraceEngine::probe_count() const {
  if (cfg_.manual) return static_cast<std::uint32_t>(slots_.size());
  return static_cast<std::uint32_t>((cfg_.max_ttl - cfg_.first_ttl + 1) * cfg_.queries);
}

std::uint16_t TraceEngine::flow_of(std::uint32_t id) const { return id < slots_.size() ? slots_[id].probe.flow : 0; }

// 1..0xfffe: never 0 (a UDP checksum of 0 means "none") nor 0xffff (how a computed 0 is sent).
std::uint16_t TraceEngine::wire_id(std::uint32_t id) const {
  return static_cast<std::uint16_t>(1 + (std::uint32_t{cfg_.id_base} + id) % 0xfffe);
}

std::optional<std::uint32_t> TraceEngine::id_from_wire(std::uint16_t wire) const {
  if (wire == 0 || wire == 0xffff) return std::nullopt;
  std::uint32_t x = (std::uint32_t{wire} - 1 + 0xfffe - std::uint32_t{cfg_.id_base} % 0xfffe) % 0xfffe;
  if (x >= slots_.size()) return std::nullopt;
  return x;
}

std::uint64_t TraceEngine::cookie_of(std::uint32_t id) const {
  return cookie(cfg_.key, {std::uint64_t{wire_id(id)}, std::uint64_t{cfg_.id_base}});
}

std::uint16_t TraceEngine::check16(std::uint32_t id) const {
  // Keyed per four-tuple, not per probe: the SYNs of one flow then carry neighbouring sequence
  // numbers, so a SYN that reaches the target while an earlier one's SYN-ACK is pending lies
  // in its window and draws a RST (RFC 793's "SYN in window"), an answer naming this very
  // probe, instead of a challenge ACK naming the earlier one (rate-limited to one per 500 ms).
  std::uint16_t sport = static_cast<std::uint16_t>(cfg_.classic ? cfg_.sport + id : cfg_.sport + flow_of(id));
  return static_cast<std::uint16_t>(cookie(cfg_.key, {std::uint64_t{sport}, std::uint64_t{cfg_.id_base}, 0x7c9}) >> 48);
}

namespace {

// The 16-bit word that, put in the message, makes its checksum `want` (one's complement algebra:
// ~fold(S + x) == want  <=>  x == ~want - S).
std::uint16_t checksum_fix(std::uint32_t sum_without, std::uint16_t want) {
  std::uint32_t s = sum_without;
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  std::uint32_t x = std::uint32_t{static_cast<std::uint16_t>(~want)} + (~s & 0xffff);
  while (x >> 16) x = (x & 0xffff) + (x >> 16);
  return static_cast<std::uint16_t>(x);
}

void fill_payload(packet::Buffer& b, std::size_t from, std::uint32_t id, std::uint64_t c) {
  for (std::size_t i = from; i < b.size(); ++i) b[i] = static_cast<std::uint8_t>(0x40 + (i & 0x3f));
  packet::put32(b, from, id);
  packet::put32(b, from + 4, static_cast<std::uint32_t>(c >> 32));
  packet::put32(b, from + 8, static_cast<std::uint32_t>(c));
}

}  // namespace

packet::Buffer TraceEngine::build(std::uint32_t id, std::uint16_t& sport, std::uint16_t& dport) const {
  const std::uint16_t wire = wire_id(id);
  const std::uint16_t flow = flow_of(id);
  sport = static_cast<std::uint16_t>(cfg_.sport + flow);
  dport = cfg_.dport;
  switch (cfg_.method) {
    case model::TraceMethod::udp: {
      if (cfg_.classic) dport = static_cast<std::uint16_t>(cfg_.dport + id);
      if (cfg_.kernel_header) {
        packet::Buffer b(cfg_.payload);
        fill_payload(b, 0, wire, cookie_of(id));
        return b;
      }
      // The checksum is the probe's identity: the last two payload bytes make it come out so.
      packet::Buffer b(8 + cfg_.payload);
      packet::put16(b, 0, sport);
      packet::put16(b, 2, dport);
      packet::put16(b, 4, static_cast<std::uint16_t>(b.size()));
      fill_payload(b, 8, wire, cookie_of(id));
      packet::put16(b, b.size() - 2, 0);
      std::uint32_t s = packet::sum16(b, packet::pseudo_header_sum(cfg_.source, cfg_.target, packet::kProtoUdp,
                                                                   static_cast<std::uint32_t>(b.size())));
      packet::put16(b, b.size() - 2, checksum_fix(s, wire));
      packet::put16(b, 6, wire);
      return b;
    }
    case model::TraceMethod::icmp: {
      bool v4 = cfg_.target.is_v4();
      packet::Buffer b(8 + cfg_.payload);
      b[0] = v4 ? packet::kIcmp4EchoRequest : packet::kIcmp6EchoRequest;
      packet::put16(b, 4, cfg_.sport);
      packet::put16(b, 6, wire);
      fill_payload(b, 8, wire, cookie_of(id));
      packet::put16(b, b.size() - 2, 0);
      if (!cfg_.classic) {
        // Paris: the checksum, which per-flow load balancers hash, stays the same for every probe
        // of a flow (ICMPv6 adds a constant pseudo header, so it stays constant there too).
        std::uint16_t flow_sum = static_cast<std::uint16_t>(1 + (cfg_.key + flow) % 0xfffe);
        packet::put16(b, b.size() - 2, checksum_fix(packet::sum16(b), flow_sum));
      }
      if (v4) packet::put16(b, 2, packet::checksum(b));
      return b;
    }
    case model::TraceMethod::tcp: {
      if (cfg_.classic) sport = static_cast<std::uint16_t>(cfg_.sport + id);
      std::uint32_t seq = (std::uint32_t{check16(id)} << 16) | wire;
      return packet::build_tcp_syn(cfg_.source, cfg_.target, sport, dport, seq, 5840);
    }
  }
  return {};
}

bool TraceEngine::wanted(std::uint32_t id) const {
  return cfg_.manual || !final_ttl_ || ttl_of(id) <= *final_ttl_;
}

std::optional<TraceOutgoing> TraceEngine::probe(int ttl, std::uint16_t flow, TimeNs now) {
  if (!cfg_.manual || slots_.size() >= 0xfffe || ttl < 1 || ttl > 255) return std::nullopt;
  auto id = static_cast<std::uint32_t>(slots_.size());
  Slot s;
  s.state = State::in_flight;
  s.send = SendTimes{now, now, {}};
  s.probe.id = id;
  s.probe.ttl = ttl;
  s.probe.flow = flow;
  s.probe.sent = now;
  slots_.push_back(std::move(s));
  TraceOutgoing o;
  o.id = id;
  o.ttl = ttl;
  o.bytes = build(id, o.sport, o.dport);
  ++in_flight_;
  ++counters_.sent;
  return o;
}

std::vector<TraceOutgoing> TraceEngine::due(TimeNs now) {
  std::vector<TraceOutgoing> out;
  while (!cfg_.manual && next_ < slots_.size() && wanted(next_) && in_flight_ < cfg_.window && now >= next_send_) {
    std::uint32_t id = next_++;
    TraceOutgoing o;
    o.id = id;
    o.ttl = ttl_of(id);
    o.bytes = build(id, o.sport, o.dport);
    Slot& s = slots_[id];
    s.state = State::in_flight;
    s.send = SendTimes{now, now, {}};
    s.probe.sent = now;
    ++in_flight_;
    ++counters_.sent;
    if (cfg_.send_gap > 0) next_send_ = now + cfg_.send_gap;
    out.push_back(std::move(o));
  }
  return out;
}

void TraceEngine::sent(std::uint32_t id, TimeNs when, std::optional<TimeNs> after) {
  if (id >= slots_.size() || slots_[id].state != State::in_flight) return;
  slots_[id].send = SendTimes{when, std::max(when, after.value_or(when)), {}};
  slots_[id].probe.sent = when;
}

void TraceEngine::send_failed(std::uint32_t id, TimeNs) {
  if (id >= slots_.size() || slots_[id].state != State::in_flight) return;
  slots_[id].state = State::failed;
  slots_[id].probe.flag = "!E";
  --in_flight_;
  --counters_.sent;
}

void TraceEngine::tx_stamp(std::uint32_t id, TimeNs stamp) {
  if (id >= slots_.size() || slots_[id].state == State::unsent) return;
  slots_[id].send.kernel_tx = stamp;  // checked where the RTT is computed (engine/rtt.hpp)
}

TraceEngine::HopRtts TraceEngine::hop_rtts() const {
  HopRtts r(257);
  for (const Slot& o : slots_)
    if (o.state == State::answered && o.probe.rtt) {
      auto& m = r[static_cast<std::size_t>(o.probe.ttl)];
      m = std::max(m.value_or(0), *o.probe.rtt);
    }
  return r;
}

TimeNs TraceEngine::deadline(std::uint32_t id, const HopRtts& rtts) const {
  const Slot& s = slots_[id];
  TimeNs base = send_origin(s.send);  // the origin the RTT counts from
  TimeNs limit = cfg_.wait;
  auto ttl = static_cast<std::size_t>(ttl_of(id));
  // traceroute's adaptive wait: an answer from this hop or the nearest later one says how long
  // a live router takes; a probe that has waited many times that will not be answered.
  std::optional<TimeNs> near;
  for (std::size_t t = ttl + 1; t < rtts.size() && !near; ++t) near = rtts[t];
  if (rtts[ttl] && cfg_.here > 0) limit = std::min(limit, static_cast<TimeNs>(cfg_.here * static_cast<double>(*rtts[ttl])));
  if (near && cfg_.near > 0) limit = std::min(limit, static_cast<TimeNs>(cfg_.near * static_cast<double>(*near)));
  limit = std::max(limit, std::min(cfg_.min_adaptive_wait, cfg_.wait));
  return base + std::max<TimeNs>(limit, 0);
}

std::vector<model::TraceProbe> TraceEngine::expire(TimeNs now) {
  std::vector<model::TraceProbe> out;
  const HopRtts rtts = hop_rtts();
  for (std::uint32_t id = 0; id < slots_.size(); ++id) {
    Slot& s = slots_[id];
    if (s.state != State::in_flight) continue;
    if (!wanted(id)) {  // above the end of the trace: nobody will look at it
      s.state = State::timed_out;
      --in_flight_;
      continue;
    }
    if (now < deadline(id, rtts)) continue;
    s.state = State::timed_out;
    --in_flight_;
    out.push_back(s.probe);
  }
  return out;
}

std::optional<TimeNs> TraceEngine::next_wakeup() const {
  std::optional<TimeNs> w;
  const HopRtts rtts = hop_rtts();
  for (std::uint32_t id = 0; id < slots_.size(); ++id)
    if (slots_[id].state == State::in_flight) {
      TimeNs d = deadline(id, rtts);
      w = std::min(w.value_or(d), d);
    }
  if (!cfg_.manual && next_ < slots_.size() && wanted(next_) && in_flight_ < cfg_.window)
    w = std::min(w.value_or(next_send_), next_send_);
  return w;
}

bool TraceEngine::done() const {
  for (std::uint32_t id = 0; id < slots_.size(); ++id)
    if (wanted(id) && !resolved(slots_[id])) return false;
  return true;
}

std::vector<model::TraceHop> TraceEngine::take_hops() {
  std::vector<model::TraceHop> out;
  if (cfg_.manual) return out;  // no hops of its own: the caller keeps the answers
  int last = final_ttl_.value_or(cfg_.max_ttl);
  while (true) {
    int ttl = std::max(emitted_ttl_ + 1, cfg_.first_ttl);
    if (ttl > last) break;
    std::uint32_t first = static_cast<std::uint32_t>((ttl - cfg_.first_ttl) * cfg_.queries);
    model::TraceHop hop{ttl, {}};
    bool complete = true;
    for (int q = 0; q < cfg_.queries && complete; ++q) {
      const Slot& s = slots_[first + q];
      complete = resolved(s);
      hop.probes.push_back(s.probe);
    }
    if (!complete) break;
    emitted_ttl_ = ttl;
    out.push_back(std::move(hop));
  }
  return out;
}

model::TraceResult TraceEngine::result(TimeNs now) const {
  model::TraceResult r;
  int last = cfg_.manual ? 0 : final_ttl_.value_or(cfg_.max_ttl);
  for (int ttl = cfg_.first_ttl; ttl <= last; ++ttl) {
    model::TraceHop hop{ttl, {}};
    std::uint32_t first = static_cast<std::uint32_t>((ttl - cfg_.first_ttl) * cfg_.queries);
    for (int q = 0; q < cfg_.queries; ++q) hop.probes.push_back(slots_[first + q].probe);
    r.hops.push_back(std::move(hop));
  }
  r.reached = reached_;
  r.final_ttl = final_ttl_;
  r.counters = counters_;
  r.elapsed = now - start_;
  return r;
}

std::optional<model::TraceProbe> TraceEngine::answer(std::uint32_t id, TraceAnswer kind, const IpAddr& from,
                                                     const RxTimes& rx, int ttl, std::uint8_t type,
                                                     std::uint8_t code) {
  Slot& s = slots_[id];
  bool late = s.state == State::timed_out;
  // A second answer (ICMP storms, duplicates), or a late one for a hop already shown: dropped.
  if (late && ttl_of(id) <= emitted_ttl_) {
    ++counters_.late;
    return std::nullopt;
  }
  if (s.state == State::answered || s.state == State::unsent || s.state == State::failed) {
    ++counters_.duplicates;
    return std::nullopt;
  }
  if (s.state == State::in_flight) --in_flight_;
  s.state = State::answered;
  ++counters_.answered;
  auto& p = s.probe;
  p.answer = kind;
  p.from = from;
  PairedRtt r = pair_stamps(s.send, rx);
  p.rtt = r.rtt;
  p.tx_source = r.tx_source;
  p.rx_source = r.rx_source;
  p.tx_drop = r.tx_drop;
  p.rx_drop = r.rx_drop;
  counters_.stamps_dropped += static_cast<std::uint64_t>(r.dropped());
  p.icmp_type = type;
  p.icmp_code = code;
  p.reply_ttl = ttl;
  p.late = late;
  p.at_target = from == cfg_.target;
  bool port_unreach = kind == TraceAnswer::unreachable &&
                      packet::classify_icmp(from.family(), type, code) == packet::IcmpErrorKind::port_unreachable;
  if (kind == TraceAnswer::unreachable && !port_unreach)
    p.flag = packet::icmp_error_flag(from.family(), type, code);
  // The trace ends at the first hop where the target answered or a router refused to go on.
  if (p.at_target || kind == TraceAnswer::unreachable) {
    if (!final_ttl_ || p.ttl < *final_ttl_) {
      final_ttl_ = p.ttl;
      reached_ = p.at_target;
    } else if (p.ttl == *final_ttl_ && p.at_target) {
      reached_ = true;
    }
  }
  return p;
}

}  // namespace reach::engine
