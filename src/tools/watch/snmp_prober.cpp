#include "tools/watch/snmp_prober.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "base/text.hpp"
#include "config/values.hpp"
#include "io/snmp.hpp"
#include "sys/clock.hpp"

namespace reach::tools::watch {
namespace {

engine::SnmpKind kind_of(std::uint8_t type) {
  using engine::SnmpKind;
  switch (type) {
    case io::kAsnInteger: return SnmpKind::integer;
    case io::kAsnCounter32: return SnmpKind::counter32;
    case io::kAsnCounter64: return SnmpKind::counter64;
    case io::kAsnGauge32: return SnmpKind::gauge32;
    case io::kAsnTimeTicks: return SnmpKind::timeticks;
    case io::kAsnOctets: return SnmpKind::text;
    case io::kNoSuchObject: return SnmpKind::no_such_object;
    case io::kNoSuchInstance: return SnmpKind::no_such_instance;
    case io::kEndOfMibView: return SnmpKind::end_of_mib_view;
    default: return SnmpKind::other;
  }
}

// The answer matched to the asked OIDs by OID, not position.
std::vector<engine::SnmpRead> reads_for(const config::SnmpTarget& t, const std::vector<io::SnmpVarbind>& vbs) {
  std::vector<engine::SnmpRead> out(t.oids.size());
  for (std::size_t i = 0; i < t.oids.size(); ++i)
    for (const io::SnmpVarbind& v : vbs)
      if (v.oid == t.oids[i].numeric) {
        out[i].kind = kind_of(v.type);
        out[i].number = v.number;
        if (out[i].kind == engine::SnmpKind::text) out[i].text = printable(v.octets);
        break;
      }
  return out;
}

struct Answer {
  Result<std::vector<io::SnmpVarbind>> vbs;
  TimeNs asked = 0, at = 0;  // the session opened, the answer came (v3 discovery included)
};

}  // namespace

std::string snmp_spec(const config::WatchTarget& t, config::SnmpTarget& out) {
  out = t.snmp;
  const bool v6 = t.host.find(':') != std::string::npos && t.host.front() != '[';
  const std::string host = v6 ? "[" + t.host + "]" : t.host;
  out.session.host = t.port ? host + ":" + std::to_string(t.port) : host;
  out.session.timeout = t.timeout;
  for (auto& o : out.oids) {
    if (!o.numeric.empty()) continue;
    auto n = io::snmp_resolve_name(o.text);
    if (!n) return n.error().message();
    o.numeric = std::move(*n);
  }
  return {};
}

std::vector<std::string> snmp_config_errors(const config::WatchConfig& cfg) {
  std::vector<std::string> out;
  for (const config::WatchTarget& t : cfg.targets) {
    if (t.probe != model::WatchProbe::snmp || !t.module.empty()) continue;
    for (const auto& o : t.snmp.oids)
      if (o.numeric.empty())
        if (auto n = io::snmp_resolve_name(o.text); !n)
          out.push_back(fmt::format("{}:{}: targets.{}.oids: {}", cfg.source, o.line, t.name, n.error().message()));
  }
  return out;
}

std::string snmp_failure_reason(const Error& e, int version, TimeNs timeout) {
  if (e.detail.find("timeout") != std::string::npos || e.detail.find("Timeout") != std::string::npos)
    return fmt::format("timed out: no SNMP answer within {}{}", config::format_duration(timeout),
                       version == 2 ? " (agents drop a wrong community without answering)" : "");
  return e.detail.empty() ? e.message() : e.detail;
}

void SnmpProber::run(std::uint32_t id, const config::SnmpTarget& target, model::RoundResult r, TimeNs start,
                     Done done) {
  auto finish = [this](Done d, model::RoundResult res) {
    reactor_.post([d = std::move(d), res = std::move(res)]() mutable { d(std::move(res)); });
  };
  for (const auto& [job, t] : jobs_)
    if (t == id) {
      r.reason = "the previous round's SNMP GET is still waiting for its answer";
      return finish(std::move(done), std::move(r));
    }
  std::size_t slot = 0;
  std::string error;
  io::Worker* worker = pick(slot, error);
  if (!worker) {
    r.reason = error;
    return finish(std::move(done), std::move(r));
  }
  const std::uint32_t job = next_job_++;
  jobs_[job] = id;
  ++busy_[slot];
  r.sent = 1;
  worker->run([this, slot, job, id, target, r = std::move(r), start, done = std::move(done)]() mutable -> io::Worker::Continuation {
    // The helper thread: only the session, no reactor state.
    auto answer = std::make_shared<Answer>();
    std::vector<io::SnmpOid> oids;
    for (const auto& o : target.oids) oids.push_back(o.numeric);
    answer->asked = sys::MonotonicClock().now();
    answer->vbs = io::SnmpSession::get_once(target.session, oids);
    answer->at = sys::MonotonicClock().now();
    return [this, slot, job, id, target, r = std::move(r), start, done = std::move(done), answer]() mutable {
      --busy_[slot];
      if (jobs_.erase(job) == 0) return;  // cancelled
      r.duration = answer->at - start;
      if (!answer->vbs) {
        r.reason = snmp_failure_reason(answer->vbs.error(), target.session.version, target.session.timeout);
        return done(std::move(r));
      }
      r.received = 1;
      r.rtts.push_back(answer->at - answer->asked);
      engine::SnmpVerdict v = engine::judge_snmp(target.oids, reads_for(target, *answer->vbs), answer->at, last_[id]);
      r.success = v.success;
      r.reason = std::move(v.reason);
      r.snmp = std::move(v.values);
      done(std::move(r));
    };
  });
}

io::Worker* SnmpProber::pick(std::size_t& slot, std::string& error) {
  for (slot = 0; slot < workers_.size(); ++slot)
    if (busy_[slot] == 0) return workers_[slot].get();
  if (workers_.size() < kMaxWorkers) {
    auto w = io::Worker::create(reactor_);
    if (w) {
      workers_.push_back(std::move(*w));
      busy_.push_back(0);
      slot = workers_.size() - 1;
      return workers_.back().get();
    }
    if (workers_.empty()) {
      error = w.error().message();
      return nullptr;
    }
  }
  slot = static_cast<std::size_t>(std::min_element(busy_.begin(), busy_.end()) - busy_.begin());
  return workers_[slot].get();
}

void SnmpProber::cancel(std::uint32_t id) {
  std::erase_if(jobs_, [&](const auto& kv) { return kv.second == id; });
  last_.erase(id);
}

}  // namespace reach::tools::watch
