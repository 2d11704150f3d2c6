#include "engine/watch_icmp.hpp"

#include <algorithm>

#include "engine/cookie.hpp"
#include "packet/icmp.hpp"

namespace reach::engine {

namespace {
bool is_echo_reply(Family f, std::uint8_t type) {
  return type == (f == Family::v4 ? packet::kIcmp4EchoReply : packet::kIcmp6EchoReply);
}
}  // namespace

std::uint64_t EchoRounds::cookie_of(std::uint32_t probe, const IpAddr& addr) const {
  std::uint64_t a = 0;
  for (std::size_t i = 0; i < addr.size(); ++i) a = a * 131 + addr.data()[i];
  return cookie(key_, {probe, a});
}

EchoRounds::Round* EchoRounds::round_of(const Probe& p) {
  auto it = rounds_.find(p.round);
  return it != rounds_.end() ? &it->second : nullptr;
}

std::uint32_t EchoRounds::probe_of(std::uint16_t ident, std::uint16_t seq) const {
  if (!kernel_ident_) return (static_cast<std::uint32_t>(ident ^ ident_base_) << 16) | seq;
  // Only the sequence number came back: the newest probe with these low 16 bits.
  const std::uint32_t hi = (next_probe_ - 1) & 0xffff0000u;
  const std::uint32_t p = hi | seq;
  return p < next_probe_ ? p : p - 0x10000u;
}

void EchoRounds::start(std::uint32_t target, const EchoRoundSpec& spec, TimeNs now) {
  Round r;
  r.id = next_round_++;
  r.spec = spec;
  r.spec.packets = std::max(spec.packets, 1);
  r.spec.payload = std::max<std::size_t>(spec.payload, 8);
  r.result.target = target;
  r.pending = r.spec.packets;
  for (int i = 0; i < r.spec.packets; ++i) {
    std::uint32_t probe = next_probe_++;
    if (next_probe_ == 0) next_probe_ = 1;
    Probe& p = probes_[probe];
    p.target = target;
    p.round = r.id;
    p.send_at = now + i * spec.spacing;
    sendq_.push({now + i * spec.spacing, probe});
  }
  rounds_[r.id] = std::move(r);
}

void EchoRounds::cancel(std::uint32_t target) {
  // Their probes stay until sent or expired, then find no round and are dropped.
  std::erase_if(rounds_, [&](const auto& kv) { return kv.second.result.target == target; });
}

std::vector<EchoOut> EchoRounds::due(TimeNs now, std::size_t max) {
  std::vector<EchoOut> out;
  while (!sendq_.empty() && sendq_.top().first <= now && out.size() < max) {
    const std::uint32_t probe = sendq_.top().second;
    sendq_.pop();
    auto it = probes_.find(probe);
    if (it == probes_.end()) continue;
    Round* r = round_of(it->second);
    if (!r) {
      probes_.erase(it);
      continue;
    }
    const Family f = r->spec.addr.family();
    out.push_back(EchoOut{probe, r->spec.addr,
                          packet::build_echo_request(f, ident_of(probe, ident_base_), static_cast<std::uint16_t>(probe),
                                                     r->spec.payload, cookie_of(probe, r->spec.addr))});
  }
  return out;
}

void EchoRounds::sent(std::uint32_t probe, TimeNs before, TimeNs after) {
  auto it = probes_.find(probe);
  if (it == probes_.end()) return;
  Probe& p = it->second;
  Round* r = round_of(p);
  if (!r) return;
  p.sent = true;
  p.times.before = before;
  p.times.after = after;
  p.deadline = before + r->spec.timeout;
  ++r->result.sent;
  expiry_.push({p.deadline, probe});
}

void EchoRounds::send_failed(std::uint32_t probe, const std::string& error) {
  auto it = probes_.find(probe);
  if (it == probes_.end()) return;
  if (Round* r = round_of(it->second)) {
    ++r->result.errors;
    if (r->result.error.empty()) r->result.error = error;
  }
  settle(probe, it->second);
}

void EchoRounds::tx_stamp(std::uint32_t probe, TimeNs kernel_tx) {
  auto it = probes_.find(probe);
  if (it == probes_.end() || it->second.done || !it->second.sent) return;
  it->second.times.kernel_tx = kernel_tx;
}

void EchoRounds::settle(std::uint32_t probe, Probe& p) {
  if (Round* r = round_of(p); r && !p.done) {
    p.done = true;
    if (--r->pending == 0) {
      std::sort(r->result.rtts.begin(), r->result.rtts.end());
      done_.push_back(std::move(r->result));
      rounds_.erase(p.round);
    }
  }
  probes_.erase(probe);
}

bool EchoRounds::on_reply(Family f, packet::Bytes icmp, const IpAddr& from, const RxTimes& rx, int ttl) {
  auto m = packet::parse_icmp(icmp);
  if (!m) return (!icmp.empty() && is_echo_reply(f, icmp[0]) ? ++ignored_ : 0), false;  // truncated
  if (!is_echo_reply(f, m->type)) return false;
  const std::uint32_t probe = probe_of(m->ident, m->seq);
  auto it = probes_.find(probe);
  if (it == probes_.end() || !it->second.sent) return ++ignored_, false;
  Probe& p = it->second;
  Round* r = round_of(p);
  auto c = packet::echo_cookie(m->body);
  if (!r || !(from == r->spec.addr) || !c || *c != cookie_of(probe, r->spec.addr)) return ++ignored_, false;
  const PairedRtt rtt = pair_stamps(p.times, rx);
  r->result.stamps_dropped += rtt.dropped();
  r->result.rtts.push_back(rtt.rtt);
  ++r->result.received;
  if (ttl >= 0) r->result.reply_ttl = ttl;
  settle(probe, p);
  return true;
}

bool EchoRounds::on_error(Family f, std::uint8_t type, std::uint8_t code, packet::Bytes quoted_icmp,
                          const IpAddr* quoted_dst, const IpAddr& from) {
  auto m = packet::parse_icmp(quoted_icmp);
  const std::uint8_t req = f == Family::v4 ? packet::kIcmp4EchoRequest : packet::kIcmp6EchoRequest;
  if (!m || m->type != req) return false;
  const std::uint32_t probe = probe_of(m->ident, m->seq);
  auto it = probes_.find(probe);
  if (it == probes_.end() || !it->second.sent) return ++ignored_, false;
  Round* r = round_of(it->second);
  if (!r || (quoted_dst && !(*quoted_dst == r->spec.addr))) return ++ignored_, false;
  ++r->result.errors;
  if (r->result.error.empty())
    r->result.error = packet::icmp_error_name(f, type, code) + " from " + from.to_string();
  settle(probe, it->second);
  return true;
}

std::vector<EchoRound> EchoRounds::finished(TimeNs now) {
  while (!expiry_.empty() && expiry_.top().first <= now) {
    const std::uint32_t probe = expiry_.top().second;
    expiry_.pop();
    auto it = probes_.find(probe);
    if (it != probes_.end() && it->second.deadline <= now) settle(probe, it->second);
  }
  // Answered probes leave their deadlines in the heap; drop them from its top, or next_wakeup()
  // would wake the loop once more for every echo that was answered long ago.
  while (!expiry_.empty() && !probes_.count(expiry_.top().second)) expiry_.pop();
  std::vector<EchoRound> out;
  out.swap(done_);
  for (EchoRound& r : out) std::sort(r.rtts.begin(), r.rtts.end());
  return out;
}

std::optional<TimeNs> EchoRounds::next_wakeup() const {
  std::optional<TimeNs> t;
  if (!sendq_.empty()) t = sendq_.top().first;
  if (!expiry_.empty() && (!t || expiry_.top().first < *t)) t = expiry_.top().first;
  return t;
}

}  // namespace reach::engine
