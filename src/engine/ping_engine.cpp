#include "engine/ping_engine.hpp"

#include "engine/connect_outcome.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "engine/cookie.hpp"
#include "packet/icmp.hpp"
#include "packet/tcp.hpp"

namespace reach::engine {

using model::EventType;
using model::ProbeEvent;

PingEngine::PingEngine(PingConfig cfg, std::vector<TargetSpec> targets, std::uint64_t key, TimeNs start)
    : cfg_(cfg), key_(key), start_(start) {
  targets_.reserve(targets.size());
  TimeNs gap = targets.empty() ? 0 : std::min(cfg_.spread, cfg_.interval / static_cast<TimeNs>(targets.size()));
  for (auto& spec : targets) {
    TargetState t;
    t.spec = spec;
    t.next_send = start + gap * static_cast<TimeNs>(targets_.size());
    by_addr_[spec.addr].push_back(targets_.size());
    if (spec.group) groups_.push_back(targets_.size());
    t.last_activity = start;
    targets_.push_back(std::move(t));
  }
}

bool PingEngine::sending(const TargetState& t) const {
  if (stop_at_ >= 0) return false;
  if (cfg_.count < 0) return true;
  // With a deadline, ping keeps sending until `count` answers came back.
  if (cfg_.deadline) return t.received < static_cast<std::uint64_t>(cfg_.count);
  return t.transmitted < static_cast<std::uint64_t>(cfg_.count);
}

std::uint64_t PingEngine::probe_cookie(std::size_t target, std::uint32_t seq) const {
  const auto& a = targets_[target].spec.addr;
  std::uint64_t hi = 0, lo = 0;
  for (std::size_t i = 0; i < a.size(); ++i) (i < 8 ? hi : lo) = ((i < 8 ? hi : lo) << 8) | a.data()[i];
  return cookie(key_, {hi, lo, targets_[target].spec.ident, seq, static_cast<std::uint64_t>(cfg_.method)});
}

std::uint16_t PingEngine::tcp_sport(std::size_t target, std::uint32_t seq) const {
  // A new source port per probe (as hping3) so a lost RST never leaves the next SYN in a stale flow.
  return static_cast<std::uint16_t>(targets_[target].spec.ident + (seq & 0xff));
}

std::uint16_t PingEngine::tcp_check16(std::size_t target, std::uint16_t sport) const {
  return static_cast<std::uint16_t>(probe_cookie(target, sport) >> 48);
}

packet::Buffer PingEngine::build(std::size_t target, std::uint32_t seq) const {
  const auto& spec = targets_[target].spec;
  auto wire = static_cast<std::uint16_t>(seq);
  switch (cfg_.method) {
    case model::Method::icmp:
      return packet::build_echo_request(spec.addr.family(), spec.ident, wire, cfg_.payload,
                                        probe_cookie(target, seq));
    case model::Method::tcp_syn: {
      std::uint16_t sport = tcp_sport(target, seq);
      std::uint32_t tseq = (std::uint32_t{tcp_check16(target, sport)} << 16) | wire;
      return packet::build_tcp_syn(spec.source, spec.addr, sport, cfg_.port, tseq, cfg_.tcp_window, cfg_.payload);
    }
    case model::Method::udp: {
      // seq, then the cookie, then ping's pattern: a UDP echo service sends it back intact.
      packet::Buffer b(cfg_.payload);
      for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<std::uint8_t>(i);
      if (b.size() >= 12) {
        packet::put32(b, 0, seq);
        std::uint64_t c = probe_cookie(target, seq);
        packet::put32(b, 4, static_cast<std::uint32_t>(c >> 32));
        packet::put32(b, 8, static_cast<std::uint32_t>(c));
      }
      return b;
    }
    case model::Method::tcp_connect:
      break;
  }
  return {};
}

std::vector<Outgoing> PingEngine::due(TimeNs now) {
  std::vector<Outgoing> out;
  if (cfg_.deadline && now >= start_ + *cfg_.deadline) return out;
  for (std::size_t i = 0; i < targets_.size(); ++i) {
    auto& t = targets_[i];
    if (!sending(t) || now < t.next_send) continue;
    std::uint32_t seq = t.next_seq++;
    t.next_send += cfg_.interval;
    if (t.next_send <= now) t.next_send = now + cfg_.interval;  // after a stall: no burst to catch up
    Outgoing o;
    o.target = i;
    o.seq = seq;
    o.sport = cfg_.method == model::Method::tcp_syn ? tcp_sport(i, seq) : 0;
    o.bytes = build(i, seq);
    out.push_back(std::move(o));
  }
  return out;
}

void PingEngine::sent(std::size_t target, std::uint32_t seq, TimeNs user_tx, std::optional<TimeNs> after) {
  auto& t = targets_[target];
  ++t.transmitted;
  t.last_activity = std::max(t.last_activity, user_tx);
  Slot s;
  s.seq = seq;
  s.send.before = user_tx;
  s.send.after = std::max(user_tx, after.value_or(user_tx));
  t.slots[static_cast<std::uint16_t>(seq)] = s;
  expiries_.push_back({target, seq});
}

ProbeEvent PingEngine::send_failed(std::size_t target, std::uint32_t seq, TimeNs now, std::string error) {
  auto& t = targets_[target];
  ++t.transmitted;  // as ping: a probe the stack refused is a lost probe
  ++t.errors;
  t.last_activity = std::max(t.last_activity, now);
  ProbeEvent e;
  e.type = EventType::send_error;
  e.target = target;
  e.seq = seq;
  e.when = now;
  e.error = std::move(error);
  return e;
}

void PingEngine::tx_stamp(std::size_t target, std::uint32_t seq, TimeNs kernel_tx) {
  if (target >= targets_.size()) return;
  auto& t = targets_[target];
  auto it = t.slots.find(static_cast<std::uint16_t>(seq));
  if (it == t.slots.end() || it->second.seq != seq) return;
  it->second.send.kernel_tx = kernel_tx;  // checked where the RTT is computed (engine/rtt.hpp)
}

PingEngine::Slot* PingEngine::find(TargetState& t, std::uint16_t wire) {
  auto it = t.slots.find(wire);
  return it == t.slots.end() ? nullptr : &it->second;
}

void PingEngine::count_ignored(std::optional<std::size_t> target) {
  ++ignored_unmatched_;
  if (target && *target < targets_.size()) ++targets_[*target].ignored;
}

std::optional<ProbeEvent> PingEngine::answer(std::size_t target, std::uint16_t wire, EventType type,
                                             const RxTimes& rx) {
  auto& t = targets_[target];
  Slot* s = find(t, wire);
  if (!s) {
    count_ignored(target);
    return std::nullopt;
  }
  PairedRtt p = pair_stamps(s->send, rx);
  ProbeEvent e;
  e.type = type;
  e.target = target;
  e.seq = s->seq;
  e.when = rx.kernel && p.rx_drop == model::StampDrop::none ? *rx.kernel : rx.user;
  e.rtt = p.rtt;
  e.tx_source = p.tx_source;
  e.rx_source = p.rx_source;
  e.tx_drop = p.tx_drop;
  e.rx_drop = p.rx_drop;
  t.last_activity = std::max(t.last_activity, e.when);
  auto count_answer = [&] {
    s->state = SlotState::answered;
    ++t.received;
    TimeNs r = *e.rtt;
    if (t.received == 1 || r < t.rtt_min) t.rtt_min = r;
    if (t.received == 1 || r > t.rtt_max) t.rtt_max = r;
    t.rtt_sum += static_cast<double>(r);
    t.rtt_sum2 += static_cast<double>(r) * static_cast<double>(r);
    t.all_kernel = t.all_kernel && p.tx_source == model::StampSource::kernel &&
                   p.rx_source == model::StampSource::kernel;
    t.stamps_dropped += static_cast<std::uint64_t>(p.dropped());
  };
  switch (s->state) {
    case SlotState::outstanding:
      if (type == EventType::reply) {
        count_answer();
      } else {
        s->state = SlotState::errored;
        ++t.errors;
      }
      break;
    case SlotState::errored:
      if (type == EventType::reply) {
        // A real answer after an error (perhaps a forged one): the answer wins, counted once.
        --t.errors;
        count_answer();
        break;
      }
      [[fallthrough]];
    case SlotState::answered:
      e.duplicate = true;
      ++t.duplicates;
      break;
    case SlotState::expired:
      if (type != EventType::reply) {
        // An ICMP error is about the probe however late it comes (ARP gives up after 3 s).
        s->state = SlotState::errored;
        ++t.errors;
      } else if (*e.rtt <= cfg_.wait && !hard_stop_) {
        // Within the wait by the probe's own clock: the expiry only ran before this was read.
        count_answer();
      } else {
        e.late = true;
        ++t.late;
      }
      break;
  }
  return e;
}

std::optional<std::uint16_t> PingEngine::oldest_outstanding(std::size_t target) const {
  const Slot* best = nullptr;
  for (const auto& [wire, slot] : targets_[target].slots)
    if (slot.state == SlotState::outstanding && (!best || slot.seq < best->seq)) best = &slot;
  if (!best) return std::nullopt;
  return static_cast<std::uint16_t>(best->seq);
}

const PingEngine::Slot* PingEngine::waiting(const Expiry& x) const {
  const auto& slots = targets_[x.target].slots;
  auto it = slots.find(static_cast<std::uint16_t>(x.seq));
  if (it == slots.end() || it->second.seq != x.seq || it->second.state != SlotState::outstanding) return nullptr;
  return &it->second;
}

const PingEngine::Slot* PingEngine::lingering(const Expiry& x, TimeNs now) const {
  const auto& slots = targets_[x.target].slots;
  auto it = slots.find(static_cast<std::uint16_t>(x.seq));
  if (it == slots.end() || it->second.seq != x.seq || it->second.state != SlotState::expired) return nullptr;
  return error_deadline(it->second) > now ? &it->second : nullptr;
}

std::vector<ProbeEvent> PingEngine::expire(TimeNs now) {
  std::vector<ProbeEvent> out;
  while (!lingering_.empty() && (hard_stop_ || !lingering(lingering_.front(), now))) lingering_.pop_front();
  while (!expiries_.empty()) {
    Expiry x = expiries_.front();
    const Slot* w = waiting(x);
    if (w && !hard_stop_ && deadline(*w) > now) break;
    expiries_.pop_front();
    if (!w) continue;
    TimeNs at = deadline(*w);
    find(targets_[x.target], static_cast<std::uint16_t>(x.seq))->state = SlotState::expired;
    if (hard_stop_ && at > now) continue;  // cut short, not timed out
    if (cfg_.error_wait > cfg_.wait && !hard_stop_) lingering_.push_back(x);
    ProbeEvent e;
    e.type = EventType::timeout;
    e.target = x.target;
    e.seq = x.seq;
    e.when = at;
    out.push_back(e);
  }
  return out;
}

void PingEngine::stop(TimeNs now, bool hard) {
  if (stop_at_ < 0) stop_at_ = now;
  hard_stop_ = hard_stop_ || hard;
}

std::optional<TimeNs> PingEngine::next_wakeup() const {
  std::optional<TimeNs> next;
  auto take = [&](TimeNs t) { next = next ? std::min(*next, t) : t; };
  for (const auto& t : targets_)
    if (sending(t)) take(t.next_send);
  // Skip expiries of probes already answered: they are popped lazily.
  for (const auto& x : expiries_)
    if (const Slot* w = waiting(x)) {
      take(deadline(*w));
      break;
    }
  if (!lingering_.empty() && !hard_stop_) {
    const auto& slots = targets_[lingering_.front().target].slots;
    auto it = slots.find(static_cast<std::uint16_t>(lingering_.front().seq));
    if (it != slots.end()) take(error_deadline(it->second));
  }
  if (next && cfg_.deadline) next = std::min(*next, start_ + *cfg_.deadline);
  return next;
}

bool PingEngine::done(TimeNs now) const {
  if (cfg_.deadline && now >= start_ + *cfg_.deadline) return true;
  if (hard_stop_) return true;
  for (const auto& t : targets_)
    if (sending(t)) return false;
  for (const auto& x : expiries_)
    if (waiting(x)) return false;
  for (const auto& x : lingering_)
    if (lingering(x, now)) return false;
  return true;
}

model::PingSummary PingEngine::summary(std::size_t target, TimeNs now) const {
  const auto& t = targets_[target];
  model::PingSummary s;
  s.target = target;
  s.transmitted = t.transmitted;
  s.received = t.received;
  s.duplicates = t.duplicates;
  s.errors = t.errors;
  s.late = t.late;
  s.ignored = t.ignored;
  s.elapsed = std::max<TimeNs>(0, std::min(now, t.last_activity) - start_);
  s.all_kernel_stamps = t.all_kernel;
  s.stamps_dropped = t.stamps_dropped;
  if (t.received > 0) {
    double n = static_cast<double>(t.received);
    s.rtt_min = t.rtt_min;
    s.rtt_max = t.rtt_max;
    s.rtt_avg = t.rtt_sum / n;
    double var = t.rtt_sum2 / n - s.rtt_avg * s.rtt_avg;
    s.rtt_mdev = var > 0 ? std::sqrt(var) : 0.0;
  }
  return s;
}

std::vector<ProbeEvent> PingEngine::on_connect(std::size_t target, std::uint32_t seq, const ConnectOutcome& out) {
  std::vector<ProbeEvent> evs;
  if (target >= targets_.size()) return evs;
  auto& t = targets_[target];
  Slot* s = find(t, static_cast<std::uint16_t>(seq));
  if (!s || s->seq != seq) return evs;
  auto verdict = classify_connect_outcome(out.kind == ConnectOutcome::Kind::connected ? 0 : out.err, out.icmp,
                                          out.immediate);
  if (verdict.state == model::PortState::filtered) {
    // An ICMP error names its sender (a router, not the target) and its meaning; a local
    // refusal names the errno.
    if (!verdict.answered) return evs;  // the kernel gave up: our own timeout says it
    auto e = answer(target, static_cast<std::uint16_t>(seq), EventType::icmp_error, RxTimes{out.when, {}, {}});
    if (e) {
      e->from = verdict.icmp && verdict.icmp->from ? *verdict.icmp->from : t.spec.addr;
      e->error = verdict.text;
      if (verdict.icmp) {
        e->icmp_type = verdict.icmp->type;
        e->icmp_code = verdict.icmp->code;
        e->icmp_name = packet::icmp_error_name(verdict.icmp->v6 ? Family::v6 : Family::v4, e->icmp_type, e->icmp_code);
      }
      evs.push_back(*e);
    }
    return evs;
  }
  // The kernel's own handshake RTT (TCP_INFO) is exact where the user-space clock is not.
  RxTimes rx{out.when, {}, out.kind == ConnectOutcome::Kind::connected ? out.kernel_rtt : std::nullopt};
  auto e = answer(target, static_cast<std::uint16_t>(seq), EventType::reply, rx);
  if (!e) return evs;
  e->from = t.spec.addr;
  e->sport = cfg_.port;
  e->refused = verdict.state == model::PortState::closed;
  e->tcp_flags = e->refused ? (packet::kTcpRst | packet::kTcpAck) : (packet::kTcpSyn | packet::kTcpAck);
  evs.push_back(*e);
  return evs;
}

std::size_t max_payload(model::Method m, Family f) {
  const std::size_t ip = f == Family::v4 ? 20 : 0;
  switch (m) {
    case model::Method::icmp:
    case model::Method::udp: return 65535 - ip - 8;
    case model::Method::tcp_syn: return 65535 - ip - 24;
    case model::Method::tcp_connect: return 0;
  }
  return 0;
}

}  // namespace reach::engine
