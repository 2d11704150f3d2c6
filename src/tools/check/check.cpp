#include "tools/check/check.hpp"

#include "base/address.hpp"

#include <fmt/format.h>

#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <sstream>

#include "config/endpoint.hpp"
#include "config/nodes_json.hpp"
#include "config/policy.hpp"
#include "config/values.hpp"
#include "engine/check_engine.hpp"
#include "engine/check_http.hpp"
#include "format/check_writer.hpp"
#include "io/http_client.hpp"
#include "io/probe_socket.hpp"
#include "sys/caps.hpp"
#include "sys/daemon_privs.hpp"
#include "sys/clock.hpp"
#include "sys/input_file.hpp"
#include "sys/limits.hpp"
#include "sys/netns.hpp"
#include "sys/resolve.hpp"
#include "tools/check/dnsbl.hpp"
#include "tools/check/tcp_checks.hpp"
#include "tools/ping/ping.hpp"

namespace reach::tools {
namespace {

using model::CheckKind;
using model::CheckOutcome;
using model::CheckStatus;

// Bad input: one line (stderr, or the Nagios UNKNOWN line on stdout) and exit 2 / 3.
struct BadInput {
  std::string why;
};

struct Item {
  config::Endpoint ep;
  std::optional<config::Flow> flow;
};

// Collects what reach ping's engine reports, per target.
class PingCollector final : public format::PingWriter {
 public:
  explicit PingCollector(std::size_t targets) : seen_(targets) {}
  void start(const format::PingRunInfo&) override {}
  void summary(const model::PingSummary& s) override {
    if (s.target < seen_.size()) seen_[s.target].sent = static_cast<unsigned>(s.transmitted);
  }
  void notice(const std::string&) override {}
  void event(const model::ProbeEvent& e) override {
    if (e.target >= seen_.size()) return;
    Seen& s = seen_[e.target];
    if (e.type == model::EventType::reply && !e.duplicate && !e.late && !s.reply) s.reply = e;
    if (e.type == model::EventType::icmp_error) s.icmp = e;
    if (e.type == model::EventType::send_error) s.send_error = e.error;
  }
  void judge(std::size_t target, CheckKind kind, CheckOutcome& r) const {
    const Seen& s = seen_.at(target);
    r.attempts = std::max(1u, s.sent);
    if (s.reply) {
      r.time = s.reply->rtt;
      if (kind == CheckKind::icmp) {
        r.status = CheckStatus::alive;
        r.reason = "echo reply";
      } else if (s.reply->refused) {
        r.status = CheckStatus::refused;
        r.reason = "RST to our SYN";
      } else {
        r.status = CheckStatus::open;
        r.reason = "SYN-ACK";
      }
      r.ok = r.status != CheckStatus::refused;
      return;
    }
    if (s.icmp) {
      model::IcmpSeen i{s.icmp->icmp_type, s.icmp->icmp_code, !s.icmp->from.is_v4(), s.icmp->from};
      auto c = engine::classify_icmp(i);
      r.status = c.status;
      r.reason = c.reason;
      r.icmp = i;
      r.time = s.icmp->rtt;
      return;
    }
    if (!s.send_error.empty()) {
      r.status = CheckStatus::error;
      r.reason = s.send_error;
      return;
    }
    r.status = CheckStatus::timeout;
    r.reason = "no answer (filtered or down)";
  }

 private:
  struct Seen {
    std::optional<model::ProbeEvent> reply, icmp;
    std::string send_error;
    unsigned sent = 0;
  };
  std::vector<Seen> seen_;
};

class CheckRun {
 public:
  CheckRun(const CheckOptions& o, std::ostream& out, std::ostream& err) : o_(o), out_(out), err_(err) {}

  int run() {
    std::string why = validate();
    // One socket per check in flight: make room for -j of them.
    std::size_t fds = sys::raise_fd_limit(o_.jobs + 64);
    jobs_ = std::min(o_.jobs, fds > 64 ? fds - 64 : 1);
    // Nothing from the network is read before this.
    if (why.empty()) why = limit_capabilities();
    if (why.empty()) why = gather();
    if (why.empty()) why = http_options_apply();
    if (why.empty()) why = resolve_all();
    if (!why.empty()) return bad_input(why);
    // --nagios prints no addresses: there --geo reads nothing.
    if (!o_.nagios && !open_geo(o_.geo, "reach check", err_, geo_)) return 2;
    TimeNs t0 = clock_.now();
    std::vector<CheckOutcome> rows(items_.size());
    // Raw probes on the sockets opened before the drop, then TCP connects (a policy's setns),
    // then no capability at all (checked again) while libcurl and OpenSSL talk to servers.
    if (auto r = run_ping_kinds(rows); !r.empty()) return bad_input(r);
    if (auto r = run_tcp(rows); !r.empty()) return bad_input(r);
    if (auto r = sys::drop_all_capabilities(); !r) return bad_input(r.error().message());
    if (auto r = run_http(rows); !r.empty()) return bad_input(r);
    model::CheckSummary s;
    s.total = rows.size();
    for (const auto& row : rows) (row.ok ? s.ok : s.failed)++;
    s.elapsed = clock_.now() - t0;
    if (o_.nagios) return format::write_check_nagios(out_, rows, thresholds_);
    if (o_.json) format::write_check_json(out_, rows, s, geo_);
    else format::write_check_text(out_, rows, s, geo_);
    return s.failed == 0 ? 0 : 1;
  }

 private:
  // Bad input, or a run that cannot go on: one line and exit 2 (Nagios: UNKNOWN, 3).
  int bad_input(const std::string& why) {
    if (o_.nagios) return format::write_nagios_unknown(out_, why);
    err_ << "reach check: " << why << '\n';
    return 2;
  }

  std::string validate() {
    int sources = !o_.endpoints.empty() + !o_.file.empty() + !o_.nodes_json.empty();
    if (!o_.policy.empty() && sources > 0) return "--policy checks the flows of its file; give no other endpoints";
    if (o_.policy.empty() && sources == 0) return "nothing to check: give endpoints, --file, --nodes-json or --policy";
    if (o_.jobs < 1 || o_.jobs > 65536) return fmt::format("-j {}: from 1 to 65536", o_.jobs);
    if (!(o_.timeout > 0) || !std::isfinite(o_.timeout) || o_.timeout > 3600)
      return fmt::format("-W {}: seconds, more than 0 and at most 3600", o_.timeout);
    if (o_.retries > 10) return fmt::format("-r {}: at most 10 retries", o_.retries);
    if (!(o_.cert_days >= 0) || o_.cert_days > 100000) return fmt::format("--cert-days {}: a number of days", o_.cert_days);
    if (!o_.kind.empty() && o_.kind != "tcp" && o_.kind != "http" && o_.kind != "https" && o_.kind != "icmp" &&
        o_.kind != "syn")
      return fmt::format("--kind {}: tcp, http, https, icmp or syn", o_.kind);
    if (!o_.policy.empty() && !o_.kind.empty()) return "--kind does not apply to --policy (its flows are TCP)";
    if (!o_.cacert.empty() && ::access(o_.cacert.c_str(), R_OK) != 0)
      return fmt::format("--cacert {}: {}", o_.cacert, std::strerror(errno));
    if (o_.path.empty() || o_.path.front() != '/') return fmt::format("--path {}: must start with '/'", o_.path);
    if (!o_.headers.empty() && o_.nodes_json.empty()) return "--header goes with --nodes-json";
    if (!o_.select.empty() && o_.nodes_json.empty()) return "--select goes with --nodes-json";
    for (const auto& h : o_.headers)
      if (h.find(':') == std::string::npos || h.find_first_of("\r\n") != std::string::npos)
        return fmt::format("--header '{}': write 'Name: value'", h);
    auto st = config::parse_status_set(o_.expect_status);
    if (!st) return st.error().message();
    expect_.statuses = st->ranges;
    expect_.statuses_text = o_.expect_status;
    expect_.body = o_.body;
    expect_.cert_days = o_.cert_days;
    if (!o_.body_regex.empty()) {
      auto re = engine::Pattern::compile(o_.body_regex, "--body-regex");
      if (!re) return re.error().message();
      expect_.body_regex = std::move(*re);
    }
    if ((!o_.warn.empty() || !o_.crit.empty()) && !o_.nagios) return "-w and -c go with --nagios";
    if (!o_.warn.empty()) {
      auto t = config::parse_threshold(o_.warn);
      if (!t) return "-w: " + t.error().message();
      thresholds_.warn_seconds = t->seconds;
      thresholds_.warn_failed = t->failed;
    }
    if (!o_.crit.empty()) {
      auto t = config::parse_threshold(o_.crit);
      if (!t) return "-c: " + t.error().message();
      thresholds_.crit_seconds = t->seconds;
      thresholds_.crit_failed = t->failed;
    }
    if (o_.json && o_.nagios) return "--json and --nagios exclude each other";
    return {};
  }

  // --kind icmp|syn: the raw sockets every ping run will need, for both families, opened now
  // (the addresses may come from a node list fetched later); a policy keeps CAP_SYS_ADMIN for
  // its namespaces (its flows are TCP only); everything else goes.
  std::string limit_capabilities() {
    if (o_.kind == "icmp" || o_.kind == "syn") {
      for (Family f : {Family::v4, Family::v6}) {
        std::vector<io::SocketKind> kinds{io::SocketKind::icmp_raw};
        if (o_.kind == "syn") kinds.push_back(io::SocketKind::tcp_raw);
        for (auto k : kinds) {
          auto s = io::ProbeSocket::open(k, f, {});
          // No privilege (icmp falls back to datagram sockets, syn says what it needs) or no
          // IPv6 here: the ping run finds out and says so itself.
          if (s) raw_pool_.push_back(std::make_unique<io::ProbeSocket>(std::move(*s)));
        }
      }
    }
    // Without CAP_SYS_ADMIN (not root) the flows that need a namespace say so themselves.
    Result<void> r = !o_.policy.empty() && sys::has_capability(CAP_SYS_ADMIN)
                         ? sys::keep_only_capabilities({CAP_SYS_ADMIN})
                         : sys::drop_all_capabilities();
    return r ? std::string() : r.error().message();
  }

  std::string http_options_apply() const {
    if (o_.http_options.empty()) return {};
    for (const auto& it : items_)
      if (it.ep.kind == CheckKind::http || it.ep.kind == CheckKind::https) return {};
    return fmt::format("{} applies to HTTP checks only, and none is one (use http:// URLs or --kind http/https)",
                       o_.http_options.front());
  }

  static Result<std::string> read_file(const std::string& path) { return sys::read_input_file(path); }

  // host:port endpoints become URLs under --kind http/https, ping probes under icmp/syn.
  config::Endpoint with_kind(config::Endpoint e) const {
    if (e.kind != CheckKind::tcp || o_.kind.empty() || o_.kind == "tcp") return e;
    if (o_.kind == "icmp" || o_.kind == "syn") {
      e.kind = o_.kind == "icmp" ? CheckKind::icmp : CheckKind::syn;
      if (e.kind == CheckKind::icmp && e.name == join_host_port(e.host, e.port)) e.name = e.host;
      return e;
    }
    e.kind = o_.kind == "https" ? CheckKind::https : CheckKind::http;
    e.url = fmt::format("{}://{}{}", o_.kind, join_host_port(e.host, e.port), o_.path);
    if (e.name == join_host_port(e.host, e.port)) e.name = e.url;
    return e;
  }

  std::string gather() {
    for (const auto& a : o_.endpoints) {
      auto e = config::parse_endpoint(a);
      if (!e && o_.kind == "icmp")  // a bare host, as ping takes it
        if (auto h = parse_address(a, AddressForm::host)) e = config::Endpoint{a, h->host_and_zone(), 0, CheckKind::tcp, {}};
      if (!e) return e.error().message();
      items_.push_back({with_kind(*e), std::nullopt});
    }
    if (!o_.file.empty()) {
      auto text = read_file(o_.file);
      if (!text) return text.error().message();
      auto list = config::parse_endpoint_file(*text, o_.file);
      if (!list) return list.error().message();
      if (list->empty()) return fmt::format("{}: no endpoints in the file", o_.file);
      for (auto& e : *list) items_.push_back({with_kind(std::move(e)), std::nullopt});
    }
    if (!o_.nodes_json.empty()) {
      if (auto why = gather_nodes(); !why.empty()) return why;
    }
    if (!o_.policy.empty()) {
      auto text = read_file(o_.policy);
      if (!text) return text.error().message();
      auto p = config::parse_policy(*text, o_.policy);
      if (!p) return p.error().message();
      if (p->timeout) timeout_ = static_cast<TimeNs>(*p->timeout * 1e9);
      for (auto& f : p->flows) {
        if (!f.from_netns.empty()) {
          auto ns = sys::named_netns(f.from_netns);
          if (!ns) return fmt::format("{} line {}: {}", o_.policy, f.line, ns.error().message());
        }
        config::Endpoint e = f.to;
        e.name = f.name;
        items_.push_back({std::move(e), std::move(f)});
      }
    }
    return {};
  }

  std::string gather_nodes() {
    std::string text;
    const std::string& src = o_.nodes_json;
    if (src.rfind("http://", 0) == 0 || src.rfind("https://", 0) == 0) {
      io::HttpRequest req;
      req.url = src;
      req.headers = o_.headers;
      req.timeout = static_cast<TimeNs>(o_.timeout * 1e9);
      req.verify_tls = !o_.insecure;
      req.ca_file = o_.cacert;
      req.max_body = 64 << 20;
      auto r = io::fetch(req);
      if (!r) return r.error().message();
      if (!r->completed)
        return fmt::format("fetch node list {}: {}", src,
                           r->timed_out ? fmt::format("timed out after {:g}s", o_.timeout) : r->error);
      if (r->status < 200 || r->status > 299)
        return fmt::format("fetch node list {}: HTTP {}{}", src, r->status,
                           r->status == 401   ? " Unauthorized (missing or wrong --header 'X-Auth-Token: ...'?)"
                           : r->status == 403 ? " Forbidden"
                           : r->status == 404 ? " Not Found"
                                              : "");
      text = std::move(r->body);
    } else {
      auto t = read_file(src);
      if (!t) return t.error().message();
      text = std::move(*t);
    }
    std::optional<config::Select> sel;
    if (!o_.select.empty()) {
      auto s = config::parse_select(o_.select);
      if (!s) return s.error().message();
      sel = *s;
    }
    auto nodes = config::parse_nodes_json(text, src, sel);
    if (!nodes) return nodes.error().message();
    if (nodes->empty()) return fmt::format("node list {}: no nodes in it", src);
    for (const auto& n : *nodes) {
      std::string hp = join_host_port(n.address, n.port);
      config::Endpoint e{n.name.empty() ? hp : n.name, n.address, n.port, CheckKind::tcp, {}};
      if (!n.enabled) e.name += " (disabled)";
      std::string before = e.name;
      e = with_kind(std::move(e));
      if (e.kind != CheckKind::tcp) e.name = before;
      items_.push_back({std::move(e), std::nullopt});
    }
    return {};
  }

  std::string resolve_all() {
    addrs_.resize(items_.size());
    std::map<std::string, IpAddr> cache;
    for (std::size_t i = 0; i < items_.size(); ++i) {
      const std::string& h = items_[i].ep.host;
      if (auto it = cache.find(h); it != cache.end()) {
        addrs_[i] = it->second;
        continue;
      }
      auto r = sys::resolve(h, o_.family);  // literals, zones and names alike
      if (!r) return r.error().message();
      addrs_[i] = r->front();
      cache.emplace(h, addrs_[i]);
    }
    return {};
  }

  CheckOutcome base_row(std::size_t i) const {
    const Item& it = items_[i];
    CheckOutcome r;
    r.name = it.ep.name;
    r.endpoint = it.ep.kind == CheckKind::icmp                                ? it.ep.host
                 : it.ep.kind == CheckKind::tcp || it.ep.kind == CheckKind::syn ? join_host_port(it.ep.host, it.ep.port)
                                                                                : it.ep.url;
    r.kind = it.ep.kind;
    r.addr = addrs_[i];
    r.port = it.ep.port;
    if (it.flow) {
      r.must_pass = it.flow->must_pass;
      r.from = !it.flow->from_netns.empty() ? it.flow->from_netns : it.flow->from_address;
    }
    return r;
  }

  std::string run_tcp(std::vector<CheckOutcome>& rows) {
    std::vector<std::size_t> idx;
    std::vector<TcpTarget> targets;
    for (std::size_t i = 0; i < items_.size(); ++i) {
      if (items_[i].ep.kind != CheckKind::tcp) continue;
      TcpTarget t{addrs_[i], items_[i].ep.port, {}, std::nullopt};
      if (const auto& f = items_[i].flow) {
        if (!f->from_netns.empty()) t.netns_path = "/run/netns/" + f->from_netns;
        if (!f->from_address.empty()) t.source = IpAddr::parse(f->from_address);
        if (t.source && t.source->family() != t.addr.family())
          return fmt::format("{} line {}: source {} and destination {} are of different families", o_.policy,
                             f->line, f->from_address, t.addr.to_string());
      }
      idx.push_back(i);
      targets.push_back(std::move(t));
    }
    if (targets.empty()) return {};
    auto results = run_tcp_checks(targets, {jobs_, o_.retries, timeout_}, clock_);
    if (!results) return results.error().message();
    for (std::size_t k = 0; k < idx.size(); ++k) {
      const TcpResult& t = (*results)[k];
      CheckOutcome& r = rows[idx[k]];
      r = base_row(idx[k]);
      r.status = t.status;
      r.reason = t.reason;
      r.time = t.time;
      r.attempts = t.attempts;
      r.icmp = t.icmp;
      r.err = t.err;
      r.ok = t.status == CheckStatus::open;
      if (r.must_pass) {
        r.ok = r.ok == *r.must_pass;
        if (!r.ok && !*r.must_pass) r.reason = "reachable, but the policy says it must be blocked";
      }
    }
    return {};
  }

  std::string run_http(std::vector<CheckOutcome>& rows) {
    std::vector<std::size_t> idx;
    std::vector<io::HttpRequest> reqs;
    for (std::size_t i = 0; i < items_.size(); ++i) {
      if (items_[i].ep.kind != CheckKind::http && items_[i].ep.kind != CheckKind::https) continue;
      idx.push_back(i);
      io::HttpRequest& q = reqs.emplace_back();
      q.url = items_[i].ep.url;
      q.timeout = timeout_;
      q.verify_tls = !o_.insecure;
      q.ca_file = o_.cacert;
    }
    if (reqs.empty()) return {};
    auto resps = io::fetch_all(reqs, std::min<std::size_t>(jobs_, 256));
    if (!resps) return resps.error().message();
    TimeNs wall = sys::WallClock().now();
    std::vector<std::size_t> no_connect;
    for (std::size_t k = 0; k < idx.size(); ++k) {
      rows[idx[k]] = base_row(idx[k]);
      judge_http((*resps)[k], wall, rows[idx[k]]);
      if ((*resps)[k].connect_failed) no_connect.push_back(idx[k]);
    }
    return explain_connect_failures(no_connect, rows);
  }

  // curl says only "Couldn't connect" and an errno (admin prohibited is EHOSTUNREACH there):
  // a TCP check of the same endpoint gives the precise reason, ICMP code and sender included.
  std::string explain_connect_failures(const std::vector<std::size_t>& which, std::vector<CheckOutcome>& rows) {
    if (which.empty()) return {};
    std::vector<TcpTarget> targets;
    for (std::size_t i : which) targets.push_back({addrs_[i], items_[i].ep.port, {}, std::nullopt});
    auto results = run_tcp_checks(targets, {jobs_, o_.retries, timeout_}, clock_);
    if (!results) return results.error().message();
    for (std::size_t k = 0; k < which.size(); ++k) {
      const TcpResult& t = (*results)[k];
      CheckOutcome& r = rows[which[k]];
      if (t.status == CheckStatus::open) continue;  // it answered this time: keep curl's words
      r.status = t.status;
      r.reason = "cannot connect: " + t.reason;
      r.icmp = t.icmp;
      r.err = t.err;
    }
    return {};
  }

  // icmp and syn: reach ping's engine and sockets, one run per destination port, every address
  // once; the first answer of each target decides, else its last ICMP error, else a timeout.
  std::string run_ping_kinds(std::vector<CheckOutcome>& rows) {
    std::map<std::pair<CheckKind, std::uint16_t>, std::vector<std::size_t>> groups;
    for (std::size_t i = 0; i < items_.size(); ++i) {
      CheckKind k = items_[i].ep.kind;
      if (k == CheckKind::icmp || k == CheckKind::syn) groups[{k, k == CheckKind::syn ? items_[i].ep.port : 0}].push_back(i);
    }
    for (const auto& [key, members] : groups) {
      PingOptions po;
      po.raw_pool = &raw_pool_;
      po.method = key.first == CheckKind::icmp ? model::Method::icmp : model::Method::tcp_syn;
      if (key.first == CheckKind::syn) po.port = key.second;
      po.count = 1 + o_.retries;
      po.wait = static_cast<double>(timeout_) / 1e9;
      po.interval = o_.retries ? po.wait : 1.0;
      po.numeric = true;
      std::map<IpAddr, std::size_t> target_of;
      for (std::size_t i : members)
        if (target_of.emplace(addrs_[i], po.targets.size()).second) po.targets.push_back(sys::address_text(addrs_[i]));
      PingCollector seen(po.targets.size());
      std::ostringstream ping_err;
      int code = run_ping(po, seen, ping_err);
      if (code == 2) {
        std::string m = ping_err.str();
        while (!m.empty() && m.back() == '\n') m.pop_back();
        // ping's own lines begin with "reach ping: "; ours are prefixed "reach check: " once.
        if (m.rfind("reach ping: ", 0) == 0) m.erase(0, 12);
        if (m.find("CAP_NET_RAW") != std::string::npos && po.method == model::Method::tcp_syn)
          return "--kind syn sends raw SYN packets and needs CAP_NET_RAW: run as root, or grant it with `setcap "
                 "cap_net_raw+ep reach`; --kind tcp (connect) needs no privilege";
        return m.empty() ? "the ping engine failed" : m;
      }
      for (std::size_t i : members) {
        rows[i] = base_row(i);
        seen.judge(target_of.at(addrs_[i]), key.first, rows[i]);
      }
    }
    return {};
  }

  void judge_http(const io::HttpResponse& h, TimeNs wall, CheckOutcome& r) const {
    r.attempts = 1;
    r.http_status = h.status;
    r.timings = h.timings;
    if (h.timings.total > 0) r.time = h.timings.total;
    if (h.cert_expire)
      if (auto t = config::parse_cert_time(*h.cert_expire))
        r.cert_days = (static_cast<double>(*t) - static_cast<double>(wall) / 1e9) / 86400.0;
    engine::Classified c;
    if (!h.completed) {
      r.err = h.os_errno;
      c = engine::judge_http_failure(h.timed_out, h.tls_failed, h.connect_failed, h.os_errno, h.error);
    } else {
      c = engine::judge_http_response(h.status, h.body, r.cert_days, expect_);
    }
    r.status = c.status;
    r.reason = std::move(c.reason);
    r.ok = r.status == CheckStatus::http_ok;
  }

  const CheckOptions& o_;
  std::ostream& out_;
  std::ostream& err_;
  format::GeoOf geo_;
  sys::MonotonicClock clock_;
  std::vector<Item> items_;
  std::vector<IpAddr> addrs_;
  engine::HttpExpect expect_;
  format::NagiosThresholds thresholds_;
  TimeNs timeout_ = static_cast<TimeNs>(o_.timeout * 1e9);
  std::size_t jobs_ = 1;
  std::vector<std::unique_ptr<io::ProbeSocket>> raw_pool_;  // opened before the drop, lent to ping runs
};

}  // namespace

int run_check(const CheckOptions& o, std::ostream& out, std::ostream& err) {
  if (o.dnsbl) return run_dnsbl(o, out, err);
  return CheckRun(o, out, err).run();
}

}  // namespace reach::tools
