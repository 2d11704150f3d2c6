#include "engine/scan_engine.hpp"

#include <algorithm>

#include "engine/connect_outcome.hpp"
#include "engine/cookie.hpp"
#include "packet/icmp.hpp"
#include "packet/tcp.hpp"

namespace reach::engine {
namespace {

constexpr std::size_t kRing = 4096;

bool is_unreachable(Family f, std::uint8_t type) {
  return f == Family::v4 ? type == packet::kIcmp4DestUnreach : type == packet::kIcmp6DestUnreach;
}

void sort_results(std::vector<model::PortResult>& v) {
  std::sort(v.begin(), v.end(), [](const model::PortResult& x, const model::PortResult& y) {
    return x.addr == y.addr ? x.port < y.port : x.addr < y.addr;
  });
}

}  // namespace

ScanEngine::ScanEngine(const TargetSet& targets, std::vector<std::uint16_t> ports, ScanConfig cfg)
    : targets_(targets),
      ports_(std::move(ports)),
      cfg_(cfg),
      n_(targets.size() * ports_.size()),
      perm_(n_, cfg.seed),
      answered_((n_ + 63) / 64, 0),
      ring_(kRing) {
  summary_.addresses = targets.size();
  summary_.ports = ports_.size();
  summary_.probes = n_;
  if (n_ > 0) summary_.passes = 1;
}

std::uint64_t ScanEngine::cookie_of(std::uint64_t index) const { return cookie(cfg_.key, {index, 0x5ca7ULL}); }

ScanProbe ScanEngine::probe(std::uint64_t index) const {
  ScanProbe p;
  p.index = index;
  p.dst = targets_.at(index / ports_.size());
  p.dport = ports_[index % ports_.size()];
  std::uint64_t c = cookie_of(index);
  p.seq = static_cast<std::uint32_t>(c);
  p.sport = sport_of(c, pass_);
  return p;
}

std::uint16_t ScanEngine::sport_of(std::uint64_t c, int pass) const {
  // 1031 is prime to the port count: the passes of one probe never share a port.
  std::uint64_t off = (c >> 32) + static_cast<std::uint64_t>(pass) * 1031;
  return static_cast<std::uint16_t>(kScanPortBase + off % kScanPortCount);
}

bool ScanEngine::sent_from(std::uint64_t c, std::uint16_t sport) const {
  for (int k = 0; k <= pass_; ++k)
    if (sport_of(c, k) == sport) return true;
  return false;
}

std::optional<ScanProbe> ScanEngine::next_probe(TimeNs now) {
  while (cursor_ < n_) {
    std::uint64_t i = perm_.at(cursor_++);
    if (is_answered(i)) continue;
    ++summary_.sent;
    last_send_ = now;
    ring_[i % kRing] = Sent{i, now};
    return probe(i);
  }
  return std::nullopt;
}

TimeNs ScanEngine::current_wait() const {
  if (cfg_.fixed_wait || rtt_samples_ == 0) return cfg_.max_wait;
  // Three times the slowest answer seen so far: late replies come from queues the RTT
  // samples already went through.
  return std::clamp(3 * max_rtt_, cfg_.min_wait, cfg_.max_wait);
}

TimeNs ScanEngine::wait_until() const { return last_send_ + current_wait(); }

bool ScanEngine::advance(TimeNs now) {
  if (cursor_ < n_) return false;
  if (answered_count_ == n_) return true;
  if (now < wait_until()) return false;
  if (pass_ >= cfg_.retries) {
    // nmap's rule: keep retrying while retries still find answers, up to a hard limit.
    bool loss_seen = cfg_.retries > 0 && pass_ > 0 && answered_count_ > answered_before_pass_;
    if (!loss_seen || pass_ >= std::max(cfg_.retries, cfg_.max_retries)) return true;
  }
  answered_before_pass_ = answered_count_;
  ++pass_;
  ++summary_.passes;
  cursor_ = 0;
  return false;
}

std::optional<std::uint64_t> ScanEngine::index_of(const IpAddr& addr, std::uint16_t port) const {
  auto ai = targets_.index_of(addr);
  if (!ai) return std::nullopt;
  auto it = std::lower_bound(ports_.begin(), ports_.end(), port);
  if (it == ports_.end() || *it != port) return std::nullopt;
  return *ai * ports_.size() + static_cast<std::uint64_t>(it - ports_.begin());
}

ScanMatch ScanEngine::answer(std::uint64_t index, model::PortState state, model::PortReason reason,
                             const IpAddr& from, int ttl, TimeNs now) {
  if (is_answered(index)) {
    ++summary_.duplicates;
    return ScanMatch::duplicate;
  }
  answered_[index >> 6] |= std::uint64_t{1} << (index & 63);
  ++answered_count_;
  ++summary_.replies;
  const Sent& s = ring_[index % kRing];
  if (s.index == index && now >= s.at) {
    max_rtt_ = std::max(max_rtt_, now - s.at);
    ++rtt_samples_;
  }
  model::PortResult r;
  r.addr = targets_.at(index / ports_.size());
  r.port = ports_[index % ports_.size()];
  r.state = state;
  r.reason = reason;
  r.ttl = ttl;
  r.from = from;
  results_.push_back(std::move(r));
  return ScanMatch::answer;
}

ScanMatch ScanEngine::on_tcp(const IpAddr& from, std::uint16_t sport, std::uint16_t dport, std::uint32_t ack,
                             std::uint8_t flags, int ttl, TimeNs now) {
  if (!is_probe_port(dport)) return ScanMatch::unrelated;
  // A bare SYN is a probe (ours, seen again on loopback, or someone's connection), never a reply.
  if ((flags & packet::kTcpSyn) && !(flags & packet::kTcpAck)) return ScanMatch::unrelated;
  auto index = index_of(from, sport);
  if (!index) {
    ++summary_.ignored;
    return ScanMatch::ignored;
  }
  ScanProbe p = probe(*index);
  bool acks_us = (flags & packet::kTcpAck) && ack == p.seq + 1;
  if (!sent_from(cookie_of(*index), dport) || !acks_us) {
    ++summary_.ignored;
    return ScanMatch::ignored;
  }
  if ((flags & packet::kTcpRst))
    return answer(*index, model::PortState::closed, model::PortReason::rst, from, ttl, now);
  if ((flags & packet::kTcpSyn))
    return answer(*index, model::PortState::open, model::PortReason::syn_ack, from, ttl, now);
  ++summary_.ignored;
  return ScanMatch::ignored;
}

ScanMatch ScanEngine::on_icmp(const IpAddr& from, Family f, std::uint8_t type, std::uint8_t code,
                              const IpAddr& quoted_dst, std::uint16_t quoted_sport, std::uint16_t quoted_dport,
                              std::uint32_t quoted_seq, int ttl, TimeNs now) {
  if (!is_unreachable(f, type)) return ScanMatch::unrelated;
  if (!is_probe_port(quoted_sport)) return ScanMatch::unrelated;
  auto index = index_of(quoted_dst, quoted_dport);
  if (!index) {
    ++summary_.ignored;
    return ScanMatch::ignored;
  }
  ScanProbe p = probe(*index);
  if (!sent_from(cookie_of(*index), quoted_sport) || p.seq != quoted_seq) {
    ++summary_.ignored;
    return ScanMatch::ignored;
  }
  return answer(*index, model::PortState::filtered, icmp_port_reason(f, type, code), from, ttl, now);
}

void ScanEngine::record(std::uint64_t index, model::PortState state, model::PortReason reason, const IpAddr& from) {
  if (index < n_) answer(index, state, reason, from, -1, 0);
}

std::vector<model::PortResult> ScanEngine::results(bool complete) const {
  std::vector<model::PortResult> out = results_;
  if (!complete) sort_results(out);
  if (!complete) return out;
  std::vector<bool> up(targets_.size(), false);
  for (const auto& r : results_)
    if (auto ai = targets_.index_of(r.addr)) up[*ai] = true;
  // Unanswered probes of live addresses: filtered, nothing came back. The bitmap is scanned
  // once per live address only.
  for (std::uint64_t a = 0; a < targets_.size(); ++a) {
    if (!up[a]) continue;
    for (std::uint64_t p = 0; p < ports_.size(); ++p) {
      std::uint64_t i = a * ports_.size() + p;
      if (is_answered(i)) continue;
      model::PortResult r;
      r.addr = targets_.at(a);
      r.port = ports_[p];
      r.from = r.addr;
      out.push_back(std::move(r));
    }
  }
  sort_results(out);
  return out;
}

model::ScanSummary ScanEngine::summary() const {
  model::ScanSummary s = summary_;
  std::vector<bool> up(targets_.size(), false);
  for (const auto& r : results_)
    if (auto ai = targets_.index_of(r.addr)) up[*ai] = true;
  s.hosts_up = static_cast<std::uint64_t>(std::count(up.begin(), up.end(), true));
  return s;
}

}  // namespace reach::engine
