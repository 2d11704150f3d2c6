#include "tools/watch/probers.hpp"

#include <fmt/format.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <unordered_map>

#include "config/values.hpp"
#include "engine/check_engine.hpp"
#include "engine/cookie.hpp"
#include "engine/watch_icmp.hpp"
#include "io/http_async.hpp"
#include "io/probe_socket.hpp"
#include "packet/icmp.hpp"
#include "packet/ip.hpp"
#include "sys/clock.hpp"
#include "sys/fd.hpp"
#include "sys/socket.hpp"
#include "tools/connect_result.hpp"
#include "tools/watch/dnsbl_prober.hpp"
#include "tools/watch/names.hpp"
#include "tools/watch/packet_rounds.hpp"
#include "tools/watch/snmp_prober.hpp"

namespace reach::tools::watch {

using model::RoundResult;
using model::WatchProbe;

namespace {

TimeNs wall_now() { return sys::WallClock().now(); }

RoundResult skeleton(const ProbeSpec& s) {
  RoundResult r;
  r.target = s.name;
  r.probe = s.kind;
  r.start_wall = wall_now();
  return r;
}

}  // namespace

struct Probers::Impl {
  io::Reactor& reactor;
  engine::EchoRounds echo;
  PacketRounds packets;  // syn and udp
  SnmpProber snmp;

  struct IcmpSocket {
    std::optional<io::ProbeSocket> sock;
    bool tried = false;
    std::string error;
  };
  IcmpSocket v4, v6;
  std::string mode;
  io::Reactor::TimerId echo_timer = 0;
  TimeNs echo_timer_at = 0;
  bool echo_posted = false;

  struct Job {
    std::uint32_t target = 0;
    RoundResult result;
    TimeNs start = 0;
    Done done;
  };
  std::uint32_t next_job = 1;
  std::unordered_map<std::uint32_t, Job> jobs;   // icmp rounds by job id (EchoRounds' target)
  struct TcpJob {
    std::uint32_t target = 0;
    sys::Fd fd;
    io::Reactor::TimerId timer = 0;
    RoundResult result;
    TimeNs start = 0;
    Done done;
  };
  std::unordered_map<std::uint32_t, TcpJob> tcp;  // by job id
  std::unordered_map<std::uint32_t, std::pair<std::uint32_t, io::HttpAsync::RequestId>> http_jobs;
  std::unique_ptr<io::HttpAsync> http;
  std::unique_ptr<io::DnsAsync> dns;
  std::unordered_map<std::uint32_t, std::uint32_t> dns_jobs;  // job -> target (cancel = forget)
  std::vector<std::uint8_t> buf = std::vector<std::uint8_t>(2048);
  NameCache names;
  DnsblProber dnsbl;

  Impl(io::Reactor& r, std::uint64_t key)
      : reactor(r), echo(key, static_cast<std::uint16_t>(key >> 48)), packets(r, engine::mix64(key)), snmp(r), names(r),
        dnsbl(r) {}

  // Completes a round on a later turn (never re-entrantly from run()).
  void finish_later(Done done, RoundResult r) {
    reactor.post([done = std::move(done), r = std::move(r)]() mutable { done(std::move(r)); });
  }

  IcmpSocket& icmp_socket(Family f) {
    IcmpSocket& s = f == Family::v4 ? v4 : v6;
    if (s.tried) return s;
    s.tried = true;
    auto raw = io::ProbeSocket::open(io::SocketKind::icmp_raw, f, {});
    if (!raw) {
      auto dg = io::ProbeSocket::open(io::SocketKind::icmp_dgram, f, {});
      if (!dg) {
        s.error = fmt::format("{} (and without CAP_NET_RAW: {})", raw.error().message(), dg.error().message());
        return s;
      }
      echo.set_kernel_ident(true);
      mode = "datagram (unprivileged)";
      s.sock.emplace(std::move(*dg));
    } else {
      if (mode.empty()) mode = "raw";
      s.sock.emplace(std::move(*raw));
    }
    sys::set_buffer_sizes(s.sock->fd(), 4 << 20);
    int fd = s.sock->fd();
    if (auto w = reactor.watch(fd, EPOLLIN | EPOLLERR, [this, f](std::uint32_t) { on_icmp_readable(f); }); !w) {
      s.error = w.error().message();
      s.sock.reset();
    }
    return s;
  }

  void on_icmp_readable(Family f) {
    IcmpSocket& s = f == Family::v4 ? v4 : v6;
    if (!s.sock) return;
    const bool dgram = s.sock->kind() == io::SocketKind::icmp_dgram;
    io::ProbeSocket::Handlers h;
    h.packet = [&](const io::ProbeSocket::Packet& p) {
      engine::RxTimes rx{reactor.refresh_now(), p.meta.kernel_rx, std::nullopt};
      packet::Bytes icmp(p.data.data(), p.data.size());
      IpAddr from = p.meta.from.value_or(IpAddr{});
      int ttl = p.meta.ttl;
      if (f == Family::v4 && !dgram) {
        auto ip = packet::parse_ipv4(icmp);
        if (!ip) return;
        icmp = ip->payload;
        from = ip->src;
        ttl = ip->ttl;
      }
      auto m = packet::parse_icmp(icmp);
      if (m && packet::classify_icmp(f, m->type, m->code) != packet::IcmpErrorKind::not_error) {
        if (!dgram && packets.any_syn())  // an error about a SYN of ours?
          packets.on_icmp(f, packet::Bytes(p.data.data(), p.data.size()), from, p.meta.kernel_rx.value_or(rx.user),
                          p.meta.kernel_rx.has_value(), ttl);
        if (auto q = packet::parse_quoted(f, m->body))
          echo.on_error(f, m->type, m->code, q->ip.payload, &q->ip.dst, from);
        return;
      }
      echo.on_reply(f, icmp, from, rx, ttl);
    };
    h.tx_stamp = [&](const io::ProbeSocket::TxStamp& t) {
      echo.tx_stamp(static_cast<std::uint32_t>(t.tag), t.stamp);
    };
    h.icmp_error = [&](const io::ProbeSocket::IcmpError& e) {
      if (!e.entry.offender) return;
      echo.on_error(f, e.entry.icmp_type, e.entry.icmp_code, packet::Bytes(e.original.data(), e.original.size()),
                    nullptr, *e.entry.offender);
    };
    (void)s.sock->drain(h, 1024);
    pump_echo();
  }

  void pump_echo() {
    TimeNs now = reactor.refresh_now();
    for (engine::EchoOut& o : echo.due(now, 256)) {
      IcmpSocket& s = o.addr.is_v4() ? v4 : v6;
      if (!s.sock) {
        echo.send_failed(o.probe, s.error);
        continue;
      }
      const TimeNs before = reactor.refresh_now();
      auto sent = s.sock->send(o.bytes, o.addr, 0, o.probe);
      if (sent) echo.sent(o.probe, before, reactor.refresh_now());
      else echo.send_failed(o.probe, sent.error().message());
    }
    for (engine::EchoRound& r : echo.finished(reactor.refresh_now())) complete_echo(r);
    auto next = echo.next_wakeup();
    if (!next) return;
    if (echo_timer && echo_timer_at <= *next) return;  // an earlier wake-up is armed already
    if (echo_timer) reactor.cancel(echo_timer);
    echo_timer_at = *next;
    echo_timer = reactor.at(*next, [this] {
      echo_timer = 0;
      pump_echo();
    });
  }

  void complete_echo(engine::EchoRound& r) {
    auto it = jobs.find(r.target);
    if (it == jobs.end()) return;
    Job job = std::move(it->second);
    jobs.erase(it);
    RoundResult& out = job.result;
    out.sent = r.sent;
    out.received = r.received;
    out.rtts = std::move(r.rtts);
    out.reply_ttl = r.reply_ttl;
    out.success = r.received > 0;
    out.duration = reactor.refresh_now() - job.start;
    if (!out.rtts.empty()) out.phases.emplace_back("rtt", out.rtts.front());
    if (!out.success)
      out.reason = !r.error.empty() ? r.error : r.sent == 0 ? "not sent" : "timed out";
    job.done(std::move(out));
  }

  void run_icmp(const ProbeSpec& spec, Done done, RoundResult r, TimeNs start, const IpAddr& addr) {
    IcmpSocket& s = icmp_socket(addr.family());
    if (!s.sock) {
      r.reason = s.error;
      r.duration = reactor.refresh_now() - start;
      return finish_later(std::move(done), std::move(r));
    }
    const std::uint32_t job = next_job++;
    r.phases.emplace_back("setup", reactor.refresh_now() - start);
    jobs[job] = Job{spec.id, std::move(r), start, std::move(done)};
    echo.start(job, engine::EchoRoundSpec{addr, std::max(spec.packets, 1), spec.spacing, spec.timeout, spec.payload},
               reactor.refresh_now());
    if (!echo_posted) {
      echo_posted = true;
      reactor.post([this] {
        echo_posted = false;
        pump_echo();
      });
    }
  }

  void run_tcp(const ProbeSpec& spec, Done done, RoundResult r, TimeNs start, const IpAddr& addr) {
    auto finish_now = [&](std::string reason) {
      r.reason = std::move(reason);
      r.sent = 1;
      r.duration = reactor.refresh_now() - start;
      finish_later(std::move(done), std::move(r));
    };
    auto fd = open_connect_socket(addr.family());
    if (!fd) return finish_now(fd.error().message());
    auto c = sys::connect_nonblocking(fd->get(), addr, static_cast<std::uint16_t>(spec.port));
    if (!c) return finish_now(failed_connect(c.error().err).text);
    const std::uint32_t job = next_job++;
    const int raw_fd = fd->get();
    TcpJob& t = tcp[job];
    t.target = spec.id;
    t.fd = std::move(*fd);
    t.result = std::move(r);
    t.result.sent = 1;
    t.start = start;
    t.done = std::move(done);
    t.timer = reactor.after(spec.timeout, [this, job] { end_tcp(job, ETIMEDOUT); });
    if (auto w = reactor.watch(raw_fd, EPOLLOUT, [this, job](std::uint32_t) { end_tcp(job, -1); }); !w) {
      reactor.cancel(t.timer);
      t.timer = 0;
      reactor.post([this, job] { end_tcp(job, EIO); });
    }
  }

  // err -1: the socket became writable, read its outcome; otherwise the errno to report.
  void end_tcp(std::uint32_t job, int err) {
    auto it = tcp.find(job);
    if (it == tcp.end()) return;
    TcpJob t = std::move(it->second);
    tcp.erase(it);
    reactor.unwatch(t.fd.get());
    if (t.timer) reactor.cancel(t.timer);
    RoundResult& r = t.result;
    const TimeNs now = reactor.refresh_now();
    r.duration = now - t.start;
    // The one reading of a connect's end (tools/connect_result): an ICMP error names its sender.
    auto v = err == ETIMEDOUT ? timed_out_connect(t.fd.get()) : err < 0 ? finished_connect(t.fd.get()) : failed_connect(err);
    if (!v.answered) {
      r.reason = "timed out";
      return t.done(std::move(r));
    }
    err = v.err;
    if (err == 0) {
      r.success = true;
      r.received = 1;
      r.rtts = {sys::tcp_rtt(t.fd.get()).value_or(now - t.start)};
      r.phases.emplace_back("connect", r.rtts.front());
    } else {
      r.reason = v.text;
    }
    t.done(std::move(r));
  }

  void run_http(const ProbeSpec& spec, Done done, RoundResult r) {
    if (!http) {
      auto h = io::HttpAsync::create(reactor);
      if (!h) {
        r.reason = h.error().message();
        return finish_later(std::move(done), std::move(r));
      }
      http = std::move(*h);
    }
    io::HttpRequest req;
    req.url = spec.url;
    req.method = spec.http.method;
    req.headers = spec.http.headers;
    req.body = spec.http.body;
    req.max_redirects = spec.http.max_redirects;
    req.timeout = spec.timeout;
    req.verify_tls = spec.http.verify_tls;
    req.ca_file = spec.http.ca_file;
    req.body_limit = spec.http.body_limit;
    if (req.body_limit > 0) req.max_body = static_cast<std::size_t>(req.body_limit);  // a match sees all it read
    const std::uint32_t job = next_job++;
    const TimeNs start = reactor.refresh_now();
    auto cb = [this, job, spec, start, r, done](io::HttpResponse h) mutable {
      http_jobs.erase(job);
      judge_http(spec, h, r);
      r.duration = reactor.refresh_now() - start;
      done(std::move(r));
    };
    auto id = http->start(std::move(req), std::move(cb));
    if (!id) {
      r.reason = id.error().message();
      return finish_later(std::move(done), std::move(r));
    }
    http_jobs[job] = {spec.id, *id};
  }

  static void judge_http(const ProbeSpec& spec, const io::HttpResponse& h, RoundResult& r) {
    const auto& t = h.timings;
    r.sent = 1;
    r.tls = h.cert_expiry_unix.has_value() || !h.tls_version.empty();
    r.tls_version = h.tls_version;
    r.tls_not_after = h.chain_earliest_expiry_unix.value_or(h.cert_expiry_unix.value_or(0));
    r.redirects = h.redirects;
    r.content_length = h.content_length;
    r.body_length = static_cast<std::int64_t>(h.body.size());
    r.http_status = h.status;
    if (!h.http_version.empty()) r.http_version = std::atof(h.http_version.c_str());
    const TimeNs tls_end = std::max(t.tls, t.connect);
    r.phases = {{"resolve", t.dns},
                {"connect", std::max<TimeNs>(t.connect - t.dns, 0)},
                {"tls", t.tls > 0 ? std::max<TimeNs>(t.tls - t.connect, 0) : 0},
                {"processing", std::max<TimeNs>(t.first_byte - tls_end, 0)},
                {"transfer", std::max<TimeNs>(t.total - t.first_byte, 0)}};
    if (!h.completed) {
      r.reason = engine::judge_http_failure(h.timed_out, h.tls_failed, h.connect_failed, h.os_errno, h.error).reason;
      return;
    }
    r.received = 1;
    r.rtts = {t.total};
    if (h.truncated && spec.http.fail_over_limit) {  // blackbox's body_size_limit: over it fails
      r.reason = fmt::format("body over body_size_limit ({} bytes)", spec.http.body_limit);
      return;
    }
    std::optional<double> days;
    if (h.cert_expiry_unix) days = static_cast<double>(*h.cert_expiry_unix - wall_now() / kNsPerSec) / 86400.0;
    auto c = engine::judge_http_response(h.status, h.body, days, spec.http.expect);
    r.success = c.status == model::CheckStatus::http_ok;
    r.reason = r.success ? "" : c.reason;
    if (r.success && spec.http.fail_if_ssl && r.tls) r.success = false, r.reason = "TLS used (fail_if_ssl)";
    if (r.success && spec.http.fail_if_not_ssl && !r.tls) r.success = false, r.reason = "no TLS (fail_if_not_ssl)";
    if (c.status == model::CheckStatus::http_body && spec.http.expect.body_regex)
      r.failed_due_to_regex = true;
    for (const engine::Pattern& p : spec.http.fail_if_body_matches)
      if (r.success && p.search(h.body)) {
        r.success = false;
        r.failed_due_to_regex = true;
        r.reason = "body matches /" + p.text() + "/";
      }
  }

  void run_dns(const ProbeSpec& spec, Done done, RoundResult r, TimeNs start, std::optional<IpAddr> server) {
    if (!dns) {
      auto d = io::DnsAsync::create(reactor);
      if (!d) {
        r.reason = d.error().message();
        return finish_later(std::move(done), std::move(r));
      }
      dns = std::move(*d);
    }
    io::DnsQuery q = spec.dns;
    if (server) q.server = *server;
    if (spec.port > 0) q.port = static_cast<std::uint16_t>(spec.port);
    q.timeout = spec.timeout;
    const std::uint32_t job = next_job++;
    dns_jobs[job] = spec.id;
    auto valid = spec.dns_valid_rcodes;
    auto sent = dns->query(q, [this, job, r, start, valid, done](io::DnsResult d) mutable {
      if (dns_jobs.erase(job) == 0) return;  // cancelled
      r.sent = 1;
      r.duration = reactor.refresh_now() - start;
      r.dns_rcode = d.rcode;
      r.dns_answer_rrs = d.answer_count;
      r.dns_authority_rrs = d.authority_count;
      r.dns_additional_rrs = d.additional_count;
      r.phases.emplace_back("request", d.duration);
      if (!d.answered) {
        r.reason = d.timed_out ? "timed out" : d.error;
      } else {
        r.received = 1;
        r.rtts = {d.duration};
        r.success = std::find(valid.begin(), valid.end(), d.rcode_name) != valid.end();
        if (!r.success) r.reason = "rcode " + d.rcode_name;
      }
      done(std::move(r));
    });
    if (!sent) {
      dns_jobs.erase(job);
      r.reason = sent.error().message();
      finish_later(std::move(done), std::move(r));
    }
  }

  void run(const ProbeSpec& spec, Done done) {
    RoundResult r = skeleton(spec);
    const TimeNs start = reactor.refresh_now();
    if (!spec.error.empty()) {
      r.reason = spec.error;
      return finish_later(std::move(done), std::move(r));
    }
    if (spec.kind == WatchProbe::http) return run_http(spec, std::move(done), std::move(r));
    if (spec.kind == WatchProbe::snmp) {  // net-snmp resolves the host itself, on the helper thread
      r.addr = spec.host;
      return snmp.run(spec.id, spec.snmp, std::move(r), start, std::move(done));
    }
    if (spec.kind == WatchProbe::dnsbl) return dnsbl.run(spec, std::move(done), std::move(r));  // host is an address
    // Names come from the cache or, on a later turn, from c-ares: never a blocking lookup here.
    auto addr = names.lookup(spec.host, spec.family, spec.family_fallback, spec.id, spec.timeout,
                             [this, spec, done, r, start](Result<IpAddr> a) mutable {
                               with_address(spec, std::move(done), std::move(r), start, std::move(a), false);
                             });
    if (addr) with_address(spec, std::move(done), std::move(r), start, std::move(*addr), true);
  }

  // `now`: the address came at once, so a failure is still delivered on a later turn.
  void with_address(const ProbeSpec& spec, Done done, RoundResult r, TimeNs start, Result<IpAddr> addr, bool now) {
    const TimeNs resolved = reactor.refresh_now();
    r.phases.emplace_back("resolve", resolved - start);
    if (!addr) {
      r.reason = addr.error().message();
      r.duration = resolved - start;
      if (!now) return done(std::move(r));
      return finish_later(std::move(done), std::move(r));
    }
    r.addr = addr->to_string();
    r.ipv6 = !addr->is_v4();
    switch (spec.kind) {
      case WatchProbe::icmp: return run_icmp(spec, std::move(done), std::move(r), start, *addr);
      case WatchProbe::tcp: return run_tcp(spec, std::move(done), std::move(r), start, *addr);
      case WatchProbe::dns: return run_dns(spec, std::move(done), std::move(r), start, *addr);
      case WatchProbe::syn:
        icmp_socket(addr->family());  // ICMP errors about the SYN arrive there
        [[fallthrough]];
      case WatchProbe::udp: return packets.run(spec, *addr, std::move(r), start, std::move(done));
      default:
        r.reason = "probe kind not supported by reach watch";
        return finish_later(std::move(done), std::move(r));
    }
  }

  void cancel(std::uint32_t id) {
    std::vector<std::uint32_t> gone;
    for (auto& [job, j] : jobs)
      if (j.target == id) gone.push_back(job);
    for (auto job : gone) {
      echo.cancel(job);
      jobs.erase(job);
    }
    gone.clear();
    for (auto& [job, t] : tcp)
      if (t.target == id) gone.push_back(job);
    for (auto job : gone) {
      TcpJob& t = tcp.at(job);
      reactor.unwatch(t.fd.get());
      if (t.timer) reactor.cancel(t.timer);
      tcp.erase(job);
    }
    gone.clear();
    for (auto& [job, h] : http_jobs)
      if (h.first == id) gone.push_back(job);
    for (auto job : gone) {
      http->cancel(http_jobs.at(job).second);
      http_jobs.erase(job);
    }
    std::erase_if(dns_jobs, [&](const auto& kv) { return kv.second == id; });
    packets.cancel(id);
    names.cancel(id);
    snmp.cancel(id);
    dnsbl.cancel(id);
  }
};

Result<std::unique_ptr<Probers>> Probers::create(io::Reactor& reactor, std::uint64_t key) {
  return std::unique_ptr<Probers>(new Probers(std::make_unique<Impl>(reactor, key)));
}
Probers::Probers(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Probers::~Probers() {
  for (auto* s : {&impl_->v4, &impl_->v6})
    if (s->sock) impl_->reactor.unwatch(s->sock->fd());
  for (auto& [job, t] : impl_->tcp) impl_->reactor.unwatch(t.fd.get());
}
void Probers::run(const ProbeSpec& spec, Done done) { impl_->run(spec, std::move(done)); }
void Probers::cancel(std::uint32_t id) { impl_->cancel(id); }
void Probers::open_icmp_sockets() {
  impl_->icmp_socket(Family::v4);
  impl_->icmp_socket(Family::v6);
}
std::string Probers::icmp_mode() const { return impl_->mode; }
std::uint64_t Probers::ignored_packets() const { return impl_->echo.ignored(); }

}  // namespace reach::tools::watch
