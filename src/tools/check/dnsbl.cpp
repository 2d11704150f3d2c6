#include "tools/check/dnsbl.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <memory>

#include "base/address.hpp"
#include "engine/dnsbl.hpp"
#include "format/check_writer.hpp"
#include "format/dnsbl_writer.hpp"
#include "io/dns_async.hpp"
#include "io/reactor.hpp"
#include "sys/caps.hpp"
#include "sys/clock.hpp"
#include "tools/dnsbl_lookup.hpp"

namespace reach::tools {
namespace {

using model::DnsblOutcome;
using model::DnsblStatus;

constexpr std::size_t kMaxInFlight = 100;  // queries at once to one resolver

struct Plan {
  std::vector<DnsblOutcome> rows;
  io::DnsServer server;
  std::size_t addresses = 0, zones = 0;
};

// Options that belong to other kinds of check: given with --dnsbl they would change nothing.
std::string foreign_option(const CheckOptions& o) {
  if (!o.file.empty()) return "--file";
  if (!o.nodes_json.empty()) return "--nodes-json";
  if (!o.policy.empty()) return "--policy";
  if (!o.kind.empty()) return "--kind";
  if (!o.headers.empty()) return "--header";
  if (!o.select.empty()) return "--select";
  if (!o.http_options.empty()) return o.http_options.front();
  if (o.path != "/") return "--path";
  if (o.insecure) return "--insecure";
  if (!o.cacert.empty()) return "--cacert";
  if (o.family) return "-4/-6";
  if (!o.warn.empty() || !o.crit.empty()) return "-w/-c";
  return {};
}

Result<Plan> plan(const CheckOptions& o) {
  if (auto f = foreign_option(o); !f.empty()) return fail(f, "", 0, "does not apply to --dnsbl");
  if (o.json && o.nagios) return fail("--json and --nagios", "", 0, "exclude each other");
  if (!(o.timeout > 0) || !std::isfinite(o.timeout) || o.timeout > 3600)
    return fail("-W", fmt::format("{}", o.timeout), 0, "seconds, more than 0 and at most 3600");
  if (o.retries > 10) return fail("-r", fmt::format("{}", o.retries), 0, "at most 10 retries");
  if (o.jobs < 1 || o.jobs > 65536) return fail("-j", fmt::format("{}", o.jobs), 0, "from 1 to 65536");
  if (o.endpoints.empty()) return fail("--dnsbl", "", 0, "give the addresses to look up");
  Plan p;
  std::vector<std::string> zones;
  for (const auto& z : o.dnsbl_zones.empty() ? config::default_dnsbl_zones() : o.dnsbl_zones) {
    auto ok = engine::dnsbl_zone(z);
    if (!ok) return tl::unexpected(ok.error());
    if (std::find(zones.begin(), zones.end(), *ok) == zones.end()) zones.push_back(*ok);
  }
  std::vector<IpAddr> seen;
  for (const auto& text : o.endpoints) {
    auto ip = IpAddr::parse(text);
    if (!ip && text.find('%') != std::string::npos)
      return fail("--dnsbl", "'" + text + "'", 0, "an address with a zone: blocklists list global addresses only");
    if (!ip)
      return fail("--dnsbl", "'" + text + "'", 0,
                  "not an IP address (blocklists list addresses: give addresses, not names or ports)");
    auto t = engine::dnsbl_target(*ip);
    if (std::find(seen.begin(), seen.end(), t.addr) != seen.end()) continue;  // ::ffff:a.b.c.d and a.b.c.d too
    seen.push_back(t.addr);
    for (const auto& z : zones) p.rows.push_back(dnsbl_row(text, *ip, z));
  }
  p.addresses = seen.size();
  p.zones = zones.size();
  auto s = dnsbl_dns_server(o.dns_server);
  if (!s) return tl::unexpected(s.error());
  p.server = *s;
  return p;
}

// Sends every A query (and a TXT query for each listing), at most kMaxInFlight at once, and
// runs the reactor until each row has its answer. Bounded: every query has its timeout, and
// a deadline past the last possible one ends the run whatever c-ares does.
class Lookups {
 public:
  Lookups(const CheckOptions& o, Plan& p, io::Reactor& r, io::DnsAsync& dns)
      : plan_(p), reactor_(r), dns_(dns), timeout_(static_cast<TimeNs>(o.timeout * 1e9)),
        tries_(1 + (o.retries_set ? o.retries : 1)), limit_(std::min(o.jobs, kMaxInFlight)) {}

  void run() {
    for (std::size_t i = 0; i < plan_.rows.size(); ++i) waiting_.push_back(i);
    const TimeNs deadline =
        reactor_.refresh_now() +
        static_cast<TimeNs>((plan_.rows.size() + limit_ - 1) / limit_) * (tries_ + 1) * timeout_ + 5 * kNsPerSec;
    fill();
    while (done_ < plan_.rows.size()) {
      TimeNs now = reactor_.refresh_now();
      if (now >= deadline) break;
      if (!reactor_.run_once(deadline - now)) break;
      fill();
    }
    for (auto& r : plan_.rows)
      if (r.reason.empty()) r.reason = "no answer (gave up)";
  }

 private:
  void fill() {
    while (in_flight_ < limit_ && !waiting_.empty()) {
      std::size_t i = waiting_.front();
      waiting_.pop_front();
      ask_a(i);
    }
  }

  io::DnsQuery query(std::size_t i, const char* type) const {
    return dnsbl_query(plan_.server, plan_.rows[i], type, timeout_);
  }

  void finish(std::size_t) {
    --in_flight_;
    ++done_;
  }

  void ask_a(std::size_t i) {
    ++in_flight_;
    ++plan_.rows[i].attempts;
    auto sent = dns_.query(query(i, "A"), [this, i](io::DnsResult r) { on_a(i, std::move(r)); });
    if (!sent) {
      plan_.rows[i].reason = sent.error().message();
      finish(i);
    }
  }

  void on_a(std::size_t i, io::DnsResult r) {
    DnsblOutcome& row = plan_.rows[i];
    if (!r.answered && r.timed_out && row.attempts < tries_) {
      --in_flight_;
      ask_a(i);
      return;
    }
    if (!take_dnsbl_answer(row, r, timeout_)) return finish(i);
    // The reason of a listing, when the zone publishes one: one try, and no TXT is no error.
    auto sent = dns_.query(query(i, "TXT"), [this, i](io::DnsResult t) {
      take_dnsbl_txt(plan_.rows[i], t);
      finish(i);
    });
    if (!sent) finish(i);
  }

  Plan& plan_;
  io::Reactor& reactor_;
  io::DnsAsync& dns_;
  TimeNs timeout_;
  unsigned tries_;
  std::size_t limit_;
  std::deque<std::size_t> waiting_;
  std::size_t in_flight_ = 0, done_ = 0;
};

}  // namespace

int run_dnsbl(const CheckOptions& o, std::ostream& out, std::ostream& err) {
  auto bad = [&](const std::string& why) {
    if (o.nagios) return format::write_nagios_unknown(out, why);
    err << "reach check: " << why << '\n';
    return 2;
  };
  auto p = plan(o);
  if (!p) return bad(p.error().message());
  // DNS queries need no privilege: none is kept while answers from the network are read.
  if (auto r = sys::drop_all_capabilities(); !r) return bad(r.error().message());
  auto reactor = io::Reactor::create();
  if (!reactor) return bad(reactor.error().message());
  auto dns = io::DnsAsync::create(**reactor);
  if (!dns) return bad(dns.error().message());
  sys::MonotonicClock clock;
  TimeNs t0 = clock.now();
  Lookups(o, *p, **reactor, **dns).run();
  model::DnsblSummary s;
  s.total = p->rows.size();
  s.addresses = p->addresses;
  s.zones = p->zones;
  std::vector<IpAddr> listed;
  for (const auto& r : p->rows) {
    if (r.status == DnsblStatus::listed) {
      ++s.listed;
      if (std::find(listed.begin(), listed.end(), r.addr) == listed.end()) listed.push_back(r.addr);
    }
    if (r.status == DnsblStatus::not_listed) ++s.not_listed;
    if (r.status == DnsblStatus::error) ++s.errors;
  }
  s.listed_addresses = listed.size();
  s.elapsed = clock.now() - t0;
  if (o.nagios) return format::write_dnsbl_nagios(out, p->rows, s);
  if (o.json) format::write_dnsbl_json(out, p->rows, s);
  else format::write_dnsbl_text(out, p->rows, s);
  return s.listed + s.errors == 0 ? 0 : 1;
}

}  // namespace reach::tools
