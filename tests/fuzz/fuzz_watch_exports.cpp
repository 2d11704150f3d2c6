// watch's exports on arbitrary input: the Accept-header negotiation (the one parser here: it
// reads a request header) and every writer fed strings and numbers straight from the fuzzer,
// with the invariants each format promises (one syslog line, valid JSON, a body Prometheus
// accepts, CRLF-only mail headers without injected fields).
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "format/alert_email.hpp"
#include "format/alertmanager.hpp"
#include "format/blackbox_probe.hpp"
#include "format/prom_exposition.hpp"
#include "format/syslog5424.hpp"
#include "format/watch_json.hpp"
#include "format/watch_metrics.hpp"
#include "format/watch_mrtg.hpp"
#include "format/watch_nagios.hpp"
#include "fuzz_input.hpp"

#include <sstream>

using namespace reach;
using fuzz::check;

namespace {

std::string str(fuzz::Reader& in) {
  auto b = in.bytes(in.u8() % 40);
  return std::string(b.begin(), b.end());
}

std::int64_t i64(fuzz::Reader& in) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | in.u8();
  return static_cast<std::int64_t>(v);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto n = format::prom::negotiate(text);
  check(n.content_type == format::prom::kContentTypeText || n.content_type == format::prom::kContentTypeOpenMetrics1 ||
        n.content_type == format::prom::kContentTypeOpenMetrics0);
  check((n.format == format::prom::Format::text) == (n.content_type == format::prom::kContentTypeText));
  (void)format::prom::valid_metric_name(text);
  (void)format::prom::valid_label_name(text);

  fuzz::Reader in{data, size};
  model::RoundResult r;
  r.target = str(in);
  r.probe = static_cast<model::WatchProbe>(in.u8() % 6);
  r.start_wall = i64(in) % (4102444800LL * kNsPerSec);  // before 2100
  if (r.start_wall < 0) r.start_wall = -r.start_wall;
  r.duration = in.u16() * kNsPerUs;
  r.sent = in.u8() % 20;
  r.received = r.sent ? in.u8() % (r.sent + 1) : 0;
  for (int i = 0; i < r.received; ++i) r.rtts.push_back(in.u16() * kNsPerUs);
  std::sort(r.rtts.begin(), r.rtts.end());
  r.success = in.u8() & 1;
  r.reason = str(in);
  r.addr = str(in);
  r.reply_ttl = in.u8() - 1;
  r.phases = {{str(in), in.u16()}};
  r.http_status = in.u16() % 600;
  r.tls = in.u8() & 1;
  r.tls_version = str(in);
  r.tls_not_after = in.u16();
  r.dns_rcode = in.u8() % 20 - 1;

  for (auto prober : {format::BlackboxProber::icmp, format::BlackboxProber::tcp, format::BlackboxProber::http,
                      format::BlackboxProber::dns})
    check(!format::write_blackbox_probe(r, prober, format::prom::Format::openmetrics, true).empty());

  model::TargetMetrics t;
  t.name = r.target;
  t.last = r;
  std::string lname = str(in), lvalue = str(in);
  if (format::watch_label_allowed(lname)) t.labels = {{lname, lvalue}};
  t.alerts = {{str(in), true}};
  auto body = format::write_watch_metrics({t}, {1, {{str(in), 1, 2, 3}}, 0, true, 0}, format::prom::Format::text);
  check(body.has_value());
  check(body->find("\n\n") == std::string::npos);

  model::WatchEvent e;
  e.kind = static_cast<model::WatchEvent::Kind>(in.u8() % 6);
  e.wall = r.start_wall;
  e.target = r.target;
  e.alert = str(in);
  e.from = static_cast<model::TargetState>(in.u8() % 3);
  e.to = static_cast<model::TargetState>(in.u8() % 3);
  e.reason = r.reason;
  e.since_wall = e.wall / 2;

  std::string line = format::syslog5424(e, {static_cast<int>(in.u8()), str(in), str(in), str(in), 32473});
  check(line.find('\n') == std::string::npos);
  check(nlohmann::json::accept(format::watch_event_json(e)));
  check(nlohmann::json::accept(format::watch_round_json(r)));

  format::AlertInput a{e, {{str(in), str(in)}}};
  check(nlohmann::json::accept(format::alertmanager_webhook({a}, {str(in), str(in)})));
  check(nlohmann::json::accept(format::alertmanager_v2_alerts({a}, str(in), in.u16())));

  std::string mail = format::alert_email(a, {str(in), {str(in)}, str(in), str(in)}, str(in));
  std::string headers = mail.substr(0, mail.find("\r\n\r\n"));
  for (std::size_t i = 0; i < headers.size(); ++i) {
    if (headers[i] == '\n') check(i > 0 && headers[i - 1] == '\r');
    if (headers[i] == '\r') check(i + 1 < headers.size() && headers[i + 1] == '\n');
  }

  std::ostringstream nagios;
  int code = format::write_watch_nagios(nagios, {r}, {});
  check(code >= 0 && code <= 3);
  std::string first = nagios.str().substr(0, nagios.str().find('\n'));
  check(first.find('|') == first.rfind('|'));  // one separator: the text holds none
  std::string mrtg = format::watch_mrtg(r, in.u16(), r.target);
  check(std::count(mrtg.begin(), mrtg.end(), '\n') == 4);
  return 0;
}
