#include "tools/watch/dnsbl_prober.hpp"

#include <algorithm>

#include "engine/watch_dnsbl.hpp"
#include "tools/dnsbl_lookup.hpp"
#include "tools/watch/probers.hpp"

namespace reach::tools::watch {

struct DnsblProber::Round {
  std::uint32_t target = 0;
  model::RoundResult result;
  Done done;
  io::DnsServer server;
  TimeNs timeout = 0, start = 0;
  std::size_t pending = 0;
};

void DnsblProber::run(const ProbeSpec& spec, Done done, model::RoundResult r) {
  auto finish_now = [&](std::string reason) {
    r.reason = std::move(reason);
    r.no_verdict = true;  // nothing was asked: it says nothing about the address
    reactor_.post([done = std::move(done), r = std::move(r)]() mutable { done(std::move(r)); });
  };
  std::string_view bare = spec.host;
  if (bare.size() > 2 && bare.front() == '[' && bare.back() == ']') bare = bare.substr(1, bare.size() - 2);
  auto addr = IpAddr::parse(bare);
  if (!addr) return finish_now("'" + spec.host + "' is not an IP address");
  auto server = dnsbl_dns_server(spec.dnsbl_server, "dns_server");
  if (!server) return finish_now(server.error().message());
  if (!dns_) {
    auto d = io::DnsAsync::create(reactor_);
    if (!d) return finish_now(d.error().message());
    dns_ = std::move(*d);
  }
  auto round = std::make_shared<Round>();
  round->target = spec.id;
  round->result = std::move(r);
  round->done = std::move(done);
  round->server = *server;
  round->timeout = spec.timeout;
  round->start = reactor_.refresh_now();
  for (const auto& z : spec.dnsbl_zones) round->result.dnsbl.push_back(dnsbl_row(spec.host, *addr, z));
  round->result.addr = round->result.dnsbl.empty() ? addr->to_string() : round->result.dnsbl.front().addr.to_string();
  round->result.ipv6 = !addr->is_v4() && !(round->result.dnsbl.empty() || round->result.dnsbl.front().mapped_v4);
  round->pending = round->result.dnsbl.size();
  const std::uint32_t job = next_job_++;
  rounds_[job] = round;
  if (round->pending == 0) {
    round->pending = 1;
    reactor_.post([this, job] { zone_done(job); });
    return;
  }
  for (std::size_t i = 0; i < round->result.dnsbl.size(); ++i) ask(job, i);
}

void DnsblProber::ask(std::uint32_t job, std::size_t i) {
  Round& rd = *rounds_.at(job);
  model::DnsblOutcome& row = rd.result.dnsbl[i];
  ++row.attempts;
  ++rd.result.sent;
  auto sent = dns_->query(dnsbl_query(rd.server, row, "A", rd.timeout), [this, job, i](io::DnsResult a) {
    auto it = rounds_.find(job);
    if (it == rounds_.end()) return;  // cancelled
    Round& r = *it->second;
    if (a.answered) ++r.result.received;
    if (!take_dnsbl_answer(r.result.dnsbl[i], a, r.timeout)) return zone_done(job);
    auto txt = dns_->query(dnsbl_query(r.server, r.result.dnsbl[i], "TXT", r.timeout), [this, job, i](io::DnsResult t) {
      auto it2 = rounds_.find(job);
      if (it2 == rounds_.end()) return;
      take_dnsbl_txt(it2->second->result.dnsbl[i], t);
      zone_done(job);
    });
    if (!txt) zone_done(job);
  });
  if (!sent) {
    row.reason = sent.error().message();
    reactor_.post([this, job] { zone_done(job); });
  }
}

void DnsblProber::zone_done(std::uint32_t job) {
  auto it = rounds_.find(job);
  if (it == rounds_.end()) return;
  if (--it->second->pending > 0) return;
  std::shared_ptr<Round> rd = std::move(it->second);
  rounds_.erase(it);
  model::RoundResult& r = rd->result;
  for (const auto& z : r.dnsbl)
    if (z.time) r.rtts.push_back(*z.time);
  std::sort(r.rtts.begin(), r.rtts.end());
  if (!r.rtts.empty()) r.phases.emplace_back("request", r.rtts.back());
  const engine::DnsblRound v = engine::judge_dnsbl_round(r.dnsbl);
  r.success = v.success;
  r.no_verdict = v.no_verdict;
  r.reason = v.reason;
  r.duration = reactor_.refresh_now() - rd->start;
  rd->done(std::move(r));
}

void DnsblProber::cancel(std::uint32_t target) {
  std::erase_if(rounds_, [&](const auto& kv) { return kv.second->target == target; });
}

}  // namespace reach::tools::watch
