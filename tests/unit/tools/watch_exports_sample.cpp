// Prints a sample of watch's /metrics (text 0.0.4; metrics-om: OpenMetrics), of one /probe shape (argv[1]: metrics,
// icmp, tcp, http, dns), RFC 6587-framed RFC 5424 messages (syslog) for
// tests/integration/test_watch_exports.py, MRTG's 4 lines (mrtg, mrtg-unknown) for
// mrtg_check.sh, an alert mail (email) for the same pytest; the Prometheus ones for
// promtool_check.sh: `promtool check metrics` must find nothing to say about them.
#include <iostream>

#include "format/blackbox_probe.hpp"
#include "format/alert_email.hpp"
#include "format/syslog5424.hpp"
#include "format/watch_mrtg.hpp"
#include "format/watch_metrics.hpp"

using namespace reach;

int main(int argc, char** argv) {
  std::string what = argc > 1 ? argv[1] : "metrics";
  model::RoundResult r;
  r.target = "web1";
  r.addr = "198.18.1.2";
  r.start_wall = 1764500000 * kNsPerSec;
  r.duration = 42 * kNsPerMs;
  r.sent = 5;
  r.received = 4;
  r.success = true;
  r.rtts = {10 * kNsPerMs, 11 * kNsPerMs, 12 * kNsPerMs, 30 * kNsPerMs};
  r.reply_ttl = 61;
  r.phases = {{"resolve", 1000}, {"setup", 2000}, {"rtt", 11 * kNsPerMs}};
  if (what == "syslog") {  // the messages the rsyslog test checks field by field
    model::WatchEvent e;
    e.kind = model::WatchEvent::Kind::firing;
    e.wall = 1796032800LL * kNsPerSec + 123456789;
    e.target = "web1";
    e.alert = "down";
    e.from = model::TargetState::up;
    e.to = model::TargetState::down;
    e.reason = "timed out";
    e.since_wall = e.wall - 3 * kNsPerSec;
    format::SyslogOptions o{16, "mon1.example.net", "reach", "4242", 32473};
    std::cout << format::syslog_octet_counted(format::syslog5424(e, o));
    e.kind = model::WatchEvent::Kind::resolved;
    e.target = "we\"b]\\1";
    e.reason = "ok\nnow";
    std::cout << format::syslog_octet_counted(format::syslog5424(e, o));
    e.kind = model::WatchEvent::Kind::state_change;
    e.target = "wëb";
    std::cout << format::syslog_octet_counted(format::syslog5424(e, o));
    return 0;
  }
  if (what == "mrtg") {  // median RTT 11.5 ms -> 11500 us, loss 20 %
    std::cout << format::watch_mrtg(r, (3 * 86400 + 2 * 3600 + 10 * 60 + 5) * kNsPerSec, "web1 (198.18.1.2)");
    return 0;
  }
  if (what == "mrtg-unknown") {  // every packet lost: no RTT
    r.received = 0;
    r.rtts.clear();
    std::cout << format::watch_mrtg(r, 300 * kNsPerSec, "web1");
    return 0;
  }
  if (what == "email") {  // a firing alert mail with UTF-8 in subject and body
    format::AlertInput a;
    a.event.kind = model::WatchEvent::Kind::firing;
    a.event.wall = 1796032800LL * kNsPerSec;
    a.event.since_wall = a.event.wall - 3 * kNsPerSec;
    a.event.target = "wëb-1 with a rather long name that needs folding";
    a.event.alert = "down";
    a.event.from = model::TargetState::up;
    a.event.to = model::TargetState::down;
    a.event.reason = "timed out = no answer in 1 s";
    a.labels = {{"site", "Zürich"}};
    format::EmailOptions o{"reach <reach@mon1.example.net>", {"ops@example.net", "Ops Two <ops2@example.net>"},
                           "mon1.example.net", "http://198.18.0.1:9798"};
    std::cout << format::alert_email(a, o, "outbox-42");
    return 0;
  }
  if (what == "metrics" || what == "metrics-om") {
    model::TargetMetrics a;
    a.name = "web1";
    a.labels = {{"site", "fra \"1\"\\\n"}};
    a.state = model::TargetState::up;
    a.last = r;
    a.rounds = 120;
    a.rounds_failed = 2;
    a.packets_sent = 600;
    a.packets_received = 590;
    a.last_success_wall = r.start_wall;
    a.alerts = {{"down", false}, {"slow", true}};
    model::TargetMetrics b;
    b.name = "site";
    b.probe = model::WatchProbe::http;
    b.last = r;
    b.last->probe = model::WatchProbe::http;
    b.last->tls = true;
    b.last->tls_not_after = 1767225600;
    model::TargetMetrics c;  // no round yet
    c.name = "new";
    model::TargetMetrics d;  // a dnsbl target: listed on one zone, another silent
    d.name = "mx1";
    d.probe = model::WatchProbe::dnsbl;
    d.last = r;
    d.last->probe = model::WatchProbe::dnsbl;
    d.last->dnsbl.resize(2);
    d.last->dnsbl[0].zone = "zen.example";
    d.last->dnsbl[0].status = model::DnsblStatus::listed;
    d.last->dnsbl[1].zone = "bl.example";
    model::WatchProcessMetrics p{3, {{"hook", 5, 1, 0}, {"mail", 1, 0, 2}}, 0, true, 1764499000 * kNsPerSec};
    auto body = format::write_watch_metrics(
        {a, b, c, d}, p, what == "metrics" ? format::prom::Format::text : format::prom::Format::openmetrics);
    if (!body) {
      std::cerr << body.error().message() << '\n';
      return 1;
    }
    std::cout << *body;
    return 0;
  }
  // "icmp", "tcp", "http", "dns": one /probe body with SmokePing's extras.
  format::BlackboxProber prober = what == "icmp"   ? format::BlackboxProber::icmp
                                  : what == "tcp"  ? format::BlackboxProber::tcp
                                  : what == "http" ? format::BlackboxProber::http
                                                   : format::BlackboxProber::dns;
  r.http_status = 200;
  r.tls = true;
  r.tls_version = "TLS 1.3";
  r.tls_not_after = 1767225600;
  r.dns_rcode = 0;
  std::cout << format::write_blackbox_probe(r, prober, format::prom::Format::text, true);
  return 0;
}
