#include "tools/usage/sources.hpp"

#include <algorithm>
#include <cctype>

#include "config/mrtg_output.hpp"
#include "io/snmp.hpp"
#include "sys/spawn.hpp"

namespace reach::tools::usage {
namespace {

constexpr TimeNs kNsPerTick = 10 * kNsPerMs;  // TimeTicks: hundredths of a second

auto source_error(const config::UsageSource& src, std::string detail) {
  return fail("usage source", src.id.empty() ? src.interface : src.id, 0, std::move(detail));
}

SourceSample pair(std::uint64_t rx, std::uint64_t tx, int bits, const std::string& base, TimeNs wall,
                  TimeNs restarted = 0) {
  SourceSample s;
  s.rx = engine::CounterReading{wall, rx, bits, base, restarted};
  s.tx = engine::CounterReading{wall, tx, bits, base, restarted};
  return s;
}

}  // namespace

Result<SourceSample> interface_sample(const config::UsageSource& src, const std::vector<sys::LinkStats>& links,
                                      const std::string& boot_id, TimeNs wall) {
  const sys::LinkStats* link = nullptr;
  if (!src.mac.empty()) {
    const std::string mac = [&] {
      std::string m = src.mac;
      std::transform(m.begin(), m.end(), m.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      return m;
    }();
    // The permanent address first: a bond or bridge port may wear another link's MAC.
    for (const bool perm : {true, false}) {
      std::vector<const sys::LinkStats*> found;
      for (const auto& l : links)
        if ((perm ? l.perm_mac : l.mac) == mac) found.push_back(&l);
      if (found.size() > 1) {
        const std::size_t shared = found.size();
        std::erase_if(found, [&](const sys::LinkStats* l) { return l->name != src.interface; });
        if (found.size() != 1)
          return source_error(src, std::to_string(shared) + " interfaces have MAC " + mac +
                                       (src.interface.empty() ? "; name one of them too (interface:)"
                                                              : " and none is named " + src.interface));
      }
      if (found.size() == 1) {
        link = found.front();
        break;
      }
    }
    if (!link) return source_error(src, "no interface with MAC " + mac);
  } else {
    for (const auto& l : links)
      if (l.name == src.interface) link = &l;
    if (!link) return source_error(src, "no interface named " + src.interface);
  }
  SourceSample s = pair(link->rx_bytes, link->tx_bytes, link->bits, boot_id + "/" + std::to_string(link->ifindex), wall);
  s.display = link->name;
  return s;
}

SourceSample snmp_readings(const std::string& host, const io::SnmpIfCounters& c, TimeNs wall) {
  // When the counters last started over, on our wall clock: the agent's start, or a later
  // discontinuity (both TimeTicks since the agent's start).
  const TimeNs started = wall - static_cast<TimeNs>(c.sys_uptime) * kNsPerTick;
  TimeNs restarted = started;
  if (c.discontinuity && *c.discontinuity <= c.sys_uptime)
    restarted = std::max(restarted, started + static_cast<TimeNs>(*c.discontinuity) * kNsPerTick);
  const std::string base = "snmp:" + host + "/" + std::to_string(c.if_index);
  SourceSample s = c.hc_in && c.hc_out ? pair(*c.hc_in, *c.hc_out, 64, base, wall, restarted)
                                       : pair(c.in32, c.out32, 32, base, wall, restarted);
  if (c.speed) s.max_rate = static_cast<double>(*c.speed) / 8;
  s.display = host + " ifIndex " + std::to_string(c.if_index);
  return s;
}

SnmpSampler::SnmpSampler(config::SnmpSource source) : source_(std::move(source)), if_index_(source_.if_index) {}
SnmpSampler::~SnmpSampler() = default;
SnmpSampler::SnmpSampler(SnmpSampler&&) noexcept = default;
SnmpSampler& SnmpSampler::operator=(SnmpSampler&&) noexcept = default;

Result<SourceSample> SnmpSampler::sample(const Clock& wall) {
  if (!session_) {
    auto s = io::SnmpSession::open(source_);
    if (!s) return tl::unexpected(s.error());
    session_ = std::move(*s);
  }
  const bool by_name = source_.if_index <= 0;
  for (int attempt = 0;; ++attempt) {
    if (by_name && if_index_ <= 0) {
      auto r = session_->resolve_if(source_.if_name);
      if (!r) return tl::unexpected(r.error());
      if_index_ = *r;
    }
    auto c = session_->if_counters(if_index_);
    if (!c) {
      if (by_name) if_index_ = 0;  // the name may have moved: look again next time
      return tl::unexpected(c.error());
    }
    // With a name, look again when the agent restarted (a router may renumber its interfaces
    // when it reboots) or the row is not up (a re-created interface leaves its old row behind).
    const bool restarted = c->sys_uptime < last_uptime_;
    last_uptime_ = c->sys_uptime;
    if (by_name && attempt == 0 && (restarted || (c->oper_status && *c->oper_status != 1))) {
      auto r = session_->resolve_if(source_.if_name);
      if (r && *r != if_index_) {
        if_index_ = *r;
        continue;
      }
    }
    SourceSample s = snmp_readings(source_.host, *c, wall.now());
    if (by_name) s.display = source_.if_name;
    return s;
  }
}

Result<SourceSample> mrtg_readings(std::string_view output, TimeNs wall) {
  auto r = config::parse_mrtg_output(output);
  if (!r) return tl::unexpected(r.error());
  SourceSample s = pair(r->in, r->out, 64, "", wall);
  s.display = r->name;
  return s;
}

Result<SourceSample> mrtg_sample(const config::UsageSource& src, TimeNs timeout, const Clock& wall) {
  auto out = sys::run_command(src.mrtg_argv, sys::current_environment(), timeout);
  if (!out) return tl::unexpected(out.error());
  auto s = mrtg_readings(*out, wall.now());
  if (!s) return source_error(src, s.error().detail);
  return s;
}

}  // namespace reach::tools::usage
