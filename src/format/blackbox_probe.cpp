// /probe series as blackbox_exporter 0.23 writes them (names, HELP, labels from its output,
// tests/unit/golden/blackbox/); values from reach's RoundResult.
#include "format/blackbox_probe.hpp"

#include <algorithm>

#include "format/rtt_summary.hpp"

namespace reach::format {
namespace {

using prom::Family;
using prom::Type;

double secs(TimeNs ns) { return static_cast<double>(ns) / 1e9; }

double phase(const model::RoundResult& r, std::string_view name) {
  for (const auto& [n, d] : r.phases)
    if (n == name) return secs(d);
  return 0;
}

void gauge(std::vector<Family>& out, std::string name, std::string help, double v) {
  out.push_back(Family{std::move(name), Type::gauge, std::move(help), {{{}, v}}});
}

void phases(std::vector<Family>& out, std::string name, std::string help, const model::RoundResult& r,
            std::initializer_list<std::string_view> names) {
  Family f{std::move(name), Type::gauge, std::move(help), {}};
  for (auto n : names) f.samples.push_back({{{"phase", std::string(n)}}, phase(r, n)});
  out.push_back(std::move(f));
}

void icmp(std::vector<Family>& out, const model::RoundResult& r, bool extras) {
  phases(out, "probe_icmp_duration_seconds", "Duration of icmp request by phase", r, {"resolve", "rtt", "setup"});
  if (r.received > 0 && r.reply_ttl >= 0)
    gauge(out, "probe_icmp_reply_hop_limit", "Replied packet hop limit (TTL for ipv4)", r.reply_ttl);
  if (!extras) return;
  gauge(out, "probe_icmp_packets_sent", "Echo requests sent in this probe (reach)", r.sent);
  gauge(out, "probe_icmp_packets_received", "Echo replies received in this probe (reach)", r.received);
  if (r.sent > 0)
    gauge(out, "probe_icmp_loss_ratio", "Share of echo requests without a reply, 0 to 1 (reach)",
          static_cast<double>(r.sent - r.received) / static_cast<double>(r.sent));
  if (r.rtts.empty()) return;
  std::vector<TimeNs> sorted = r.rtts;
  std::sort(sorted.begin(), sorted.end());
  // A summary of this probe's replies: quantiles, their sum and count.
  Family q{"probe_icmp_rtt_seconds", Type::summary, "Round-trip times of the echo replies in this probe (reach)", {}};
  double sum = 0;
  for (TimeNs t : sorted) sum += secs(t);
  for (auto [label, v] : {std::pair{"0", 0.0}, {"0.25", 0.25}, {"0.5", 0.5}, {"0.75", 0.75}, {"0.9", 0.9}, {"1", 1.0}})
    q.samples.push_back({{{"quantile", label}}, quantile_seconds(sorted, v), ""});
  q.samples.push_back({{}, sum, "_sum"});
  q.samples.push_back({{}, static_cast<double>(sorted.size()), "_count"});
  out.push_back(std::move(q));
  gauge(out, "probe_icmp_rtt_stddev_seconds", "Population standard deviation of the echo reply RTTs (reach)",
        summarize_rtts(sorted).stddev);
}

void http(std::vector<Family>& out, const model::RoundResult& r) {
  bool response = r.http_status != 0;
  gauge(out, "probe_failed_due_to_regex", "Indicates if probe failed due to regex", r.failed_due_to_regex ? 1 : 0);
  gauge(out, "probe_http_content_length", "Length of http content response",
        response ? static_cast<double>(r.content_length) : 0);
  if (r.addr.empty())
    phases(out, "probe_http_duration_seconds", "Duration of http request by phase, summed over all redirects", r,
           {"resolve"});
  else
    phases(out, "probe_http_duration_seconds", "Duration of http request by phase, summed over all redirects", r,
           {"connect", "processing", "resolve", "tls", "transfer"});
  gauge(out, "probe_http_redirects", "The number of redirects", r.redirects);
  gauge(out, "probe_http_ssl", "Indicates if SSL was used for the final redirect", response && r.tls ? 1 : 0);
  gauge(out, "probe_http_status_code", "Response HTTP status code", r.http_status);
  gauge(out, "probe_http_uncompressed_body_length", "Length of uncompressed response body",
        response ? static_cast<double>(r.body_length) : 0);
  gauge(out, "probe_http_version", "Returns the version of HTTP of the probe response", response ? r.http_version : 0);
  if (!response || !r.tls) return;
  if (r.tls_not_after > 0) {
    gauge(out, "probe_ssl_earliest_cert_expiry", "Returns last SSL chain expiry in unixtime",
          static_cast<double>(r.tls_not_after));
    gauge(out, "probe_ssl_last_chain_expiry_timestamp_seconds", "Returns last SSL chain expiry in timestamp",
          static_cast<double>(r.tls_not_after));
  }
  if (!r.tls_version.empty())
    out.push_back(Family{"probe_tls_version_info", Type::gauge, "Returns the TLS version used or NaN when unknown",
                         {{{{"version", r.tls_version}}, 1}}});
}

void dns(std::vector<Family>& out, const model::RoundResult& r) {
  bool answered = r.dns_rcode >= 0;
  gauge(out, "probe_dns_additional_rrs", "Returns number of entries in the additional resource record list",
        answered ? r.dns_additional_rrs : 0);
  gauge(out, "probe_dns_answer_rrs", "Returns number of entries in the answer resource record list",
        answered ? r.dns_answer_rrs : 0);
  gauge(out, "probe_dns_authority_rrs", "Returns number of entries in the authority resource record list",
        answered ? r.dns_authority_rrs : 0);
  phases(out, "probe_dns_duration_seconds", "Duration of DNS request by phase", r, {"connect", "request", "resolve"});
  gauge(out, "probe_dns_query_succeeded", "Displays whether or not the query was executed successfully", answered);
}

}  // namespace

BlackboxProber blackbox_prober_for(model::WatchProbe p) {
  switch (p) {
    case model::WatchProbe::icmp: return BlackboxProber::icmp;
    case model::WatchProbe::http: return BlackboxProber::http;
    case model::WatchProbe::dns: return BlackboxProber::dns;
    case model::WatchProbe::tcp:
    case model::WatchProbe::syn:
    case model::WatchProbe::udp:
    case model::WatchProbe::snmp: return BlackboxProber::tcp;   // blackbox has no snmp prober: the generic series
    case model::WatchProbe::dnsbl: return BlackboxProber::tcp;  // blackbox has no such prober: the common series only
  }
  return BlackboxProber::tcp;
}

std::uint32_t blackbox_ip_addr_hash(const IpAddr& a) {
  std::uint32_t h = 2166136261u;  // FNV-32a offset basis
  for (std::size_t i = 0; i < a.size(); ++i) {
    h ^= a.data()[i];
    h *= 16777619u;  // FNV-32 prime
  }
  return h;
}

std::vector<Family> blackbox_probe_families(const model::RoundResult& r, BlackboxProber prober, bool extras) {
  std::vector<Family> out;
  auto addr = IpAddr::parse(r.addr);
  gauge(out, "probe_dns_lookup_time_seconds", "Returns the time taken for probe dns lookup in seconds",
        phase(r, "resolve"));
  gauge(out, "probe_duration_seconds", "Returns how long the probe took to complete in seconds", secs(r.duration));
  gauge(out, "probe_ip_addr_hash", "Specifies the hash of IP address. It's useful to detect if the IP address changes.",
        addr ? blackbox_ip_addr_hash(*addr) : 0);
  gauge(out, "probe_ip_protocol", "Specifies whether probe ip protocol is IP4 or IP6", addr ? (addr->is_v4() ? 4 : 6) : 0);
  gauge(out, "probe_success", "Displays whether or not the probe was a success", r.success ? 1 : 0);
  switch (prober) {
    case BlackboxProber::icmp: icmp(out, r, extras); break;
    case BlackboxProber::tcp:
      gauge(out, "probe_failed_due_to_regex", "Indicates if probe failed due to regex", r.failed_due_to_regex ? 1 : 0);
      break;
    case BlackboxProber::http: http(out, r); break;
    case BlackboxProber::dns: dns(out, r); break;
  }
  // Sorted by name, samples by label values, as client_golang's registry gathers them.
  std::sort(out.begin(), out.end(), [](const Family& a, const Family& b) { return a.name < b.name; });
  for (auto& f : out)
    if (f.type != Type::summary)
      std::sort(f.samples.begin(), f.samples.end(),
                [](const prom::Sample& a, const prom::Sample& b) { return a.labels < b.labels; });
  return out;
}

std::string write_blackbox_probe(const model::RoundResult& r, BlackboxProber prober, prom::Format format, bool extras) {
  // Every name and label here is a constant of this file: render() cannot fail on them.
  return prom::render(blackbox_probe_families(r, prober, extras), format).value_or(std::string());
}

}  // namespace reach::format
