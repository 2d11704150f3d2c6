// reach's /probe output against the real blackbox_exporter 0.23's (tests/unit/golden/blackbox/,
// captured by capture.py there in a lab pair). Values that vary by run are fixed to 0.001 in the
// golden files; the same rule is applied to ours, so everything else — family order, HELP, TYPE,
// label names and values, verdicts, the address hash and Go's number layout — must match exactly.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "format/blackbox_probe.hpp"

namespace reach::format {
namespace {

using model::RoundResult;

std::string read_golden(const std::string& name) {
  std::ifstream in(std::string(REACH_GOLDEN_DIR) + "/blackbox/" + name + ".prom");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The metric a line is about: a sample's name, or the name a HELP/TYPE line describes.
std::string metric_of(std::string line) {
  if (line.starts_with("# HELP ") || line.starts_with("# TYPE ")) line = line.substr(7);
  return line.substr(0, line.find_first_of("{ "));
}

// capture.py's KEEP list: these values are verdicts or lab properties, the rest vary by run.
const std::set<std::string> kKeep{
    "probe_success", "probe_ip_protocol", "probe_ip_addr_hash", "probe_http_status_code",
    "probe_http_content_length", "probe_http_uncompressed_body_length", "probe_http_redirects",
    "probe_http_ssl", "probe_http_version", "probe_failed_due_to_regex", "probe_dns_answer_rrs",
    "probe_dns_authority_rrs", "probe_dns_additional_rrs", "probe_dns_query_succeeded", "probe_dns_serial",
    "probe_tls_version_info", "probe_icmp_reply_hop_limit"};

std::string sanitise(const std::string& text) {
  std::istringstream in(text);
  std::string line, out;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] != '#' && !kKeep.contains(metric_of(line)))
      line = line.substr(0, line.rfind(' ')) + " 0.001";
    out += line + '\n';
  }
  return out;
}

// Drops the families reach cannot fill (no data in RoundResult; see blackbox_probe.hpp).
std::string without_unsupported(const std::string& text) {
  std::istringstream in(text);
  std::string line, out;
  while (std::getline(in, line)) {
    std::string m = metric_of(line);
    if (m != "probe_http_last_modified_timestamp_seconds" && m != "probe_ssl_last_chain_info") out += line + '\n';
  }
  return out;
}

RoundResult round(std::string addr, bool ok) {
  RoundResult r;
  r.target = "t";
  r.addr = std::move(addr);
  r.success = ok;
  r.duration = 3 * kNsPerMs;
  r.sent = 1;
  return r;
}

RoundResult icmp(std::string addr, bool ok) {
  RoundResult r = round(std::move(addr), ok);
  r.probe = model::WatchProbe::icmp;
  r.phases = {{"resolve", 1000}, {"setup", 2000}, {"rtt", 40000}};
  if (ok) {
    r.received = 1;
    r.rtts = {40000};
    r.reply_ttl = 64;
  }
  return r;
}

RoundResult http(std::string addr, int status) {
  RoundResult r = round(std::move(addr), status >= 200 && status < 300);
  r.probe = model::WatchProbe::http;
  r.phases = {{"resolve", 1000}, {"connect", 2000}, {"tls", 0}, {"processing", 3000}, {"transfer", 100}};
  if (status) {
    r.http_status = status;
    r.http_version = 1.0;
    r.content_length = 17;
    r.body_length = 17;
  }
  return r;
}

RoundResult dns(std::string addr, bool ok) {
  RoundResult r = round(std::move(addr), ok);
  r.probe = model::WatchProbe::dns;
  r.phases = {{"resolve", 1000}, {"connect", 2000}, {"request", 3000}};
  if (ok) {
    r.dns_rcode = 0;
    r.dns_answer_rrs = 1;
  }
  return r;
}

struct Case {
  const char* golden;
  RoundResult r;
  BlackboxProber prober;
};

std::vector<Case> cases() {
  RoundResult regex = http("198.18.0.2", 200);
  regex.success = false;
  regex.failed_due_to_regex = true;
  RoundResult https = http("198.18.0.2", 200);
  https.tls = true;
  https.tls_version = "TLS 1.3";
  https.tls_not_after = 1767225600;
  RoundResult noresolve_http = http("", 0);
  noresolve_http.phases = {{"resolve", 1000}};
  RoundResult tcp_up = round("198.18.0.2", true), tcp_down = round("198.18.0.2", false);
  tcp_up.probe = tcp_down.probe = model::WatchProbe::tcp;
  return {
      {"icmp_up", icmp("198.18.0.2", true), BlackboxProber::icmp},
      {"icmp_down", icmp("198.18.0.77", false), BlackboxProber::icmp},
      {"icmp6_up", icmp("2001:db8::2", true), BlackboxProber::icmp},
      {"icmp_noresolve", icmp("", false), BlackboxProber::icmp},
      {"tcp_up", tcp_up, BlackboxProber::tcp},
      {"tcp_down", tcp_down, BlackboxProber::tcp},
      {"http_up", http("198.18.0.2", 200), BlackboxProber::http},
      {"http_down", http("198.18.0.2", 0), BlackboxProber::http},
      {"http_regex", regex, BlackboxProber::http},
      {"https_up", https, BlackboxProber::http},
      {"http_noresolve", noresolve_http, BlackboxProber::http},
      {"dns_up", dns("198.18.0.2", true), BlackboxProber::dns},
      {"dns_down", dns("198.18.0.2", false), BlackboxProber::dns},
  };
}

TEST(BlackboxProbe, SameAsRealExporter) {
  for (const auto& c : cases()) {
    std::string golden = without_unsupported(read_golden(c.golden));
    ASSERT_FALSE(golden.empty()) << c.golden;
    std::string ours = write_blackbox_probe(c.r, c.prober, prom::Format::text, false);
    EXPECT_EQ(sanitise(ours), golden) << c.golden;
  }
}

TEST(BlackboxProbe, GoldenReallyHasWhatWeSkip) {
  // If a future capture lost these, without_unsupported() would hide a real difference.
  EXPECT_NE(read_golden("https_up").find("probe_ssl_last_chain_info{"), std::string::npos);
  EXPECT_NE(read_golden("http_up").find("probe_http_last_modified_timestamp_seconds "), std::string::npos);
}

TEST(BlackboxProbe, AddrHashIsFnv32aOfTheAddressBytes) {
  EXPECT_EQ(blackbox_ip_addr_hash(*IpAddr::parse("198.18.0.2")), 393238771u);
  EXPECT_EQ(blackbox_ip_addr_hash(*IpAddr::parse("198.18.0.77")), 1685115434u);
  EXPECT_EQ(blackbox_ip_addr_hash(*IpAddr::parse("2001:db8::2")), 1901791661u);
}

TEST(BlackboxProbe, SmokePingExtrasForIcmp) {
  RoundResult r = icmp("198.18.0.2", true);
  r.sent = 5;
  r.received = 4;
  r.rtts = {10 * kNsPerMs, 20 * kNsPerMs, 30 * kNsPerMs, 50 * kNsPerMs};
  std::string out = write_blackbox_probe(r, BlackboxProber::icmp, prom::Format::text, true);
  for (const char* want : {"probe_icmp_packets_sent 5\n", "probe_icmp_packets_received 4\n",
                           "probe_icmp_loss_ratio 0.2\n", "probe_icmp_rtt_seconds{quantile=\"0\"} 0.01\n",
                           "probe_icmp_rtt_seconds{quantile=\"0.5\"} 0.025\n",
                           "probe_icmp_rtt_seconds{quantile=\"1\"} 0.05\n",
                           "# TYPE probe_icmp_rtt_stddev_seconds gauge\n", "probe_success 1\n"})
    EXPECT_NE(out.find(want), std::string::npos) << want << "\n" << out;
  // None of blackbox's own series change meaning: with extras off the golden still matches.
  r.sent = 0;
  r.rtts.clear();
  std::string lost = write_blackbox_probe(r, BlackboxProber::icmp, prom::Format::text, true);
  EXPECT_EQ(lost.find("probe_icmp_rtt_seconds"), std::string::npos);
  EXPECT_EQ(lost.find("probe_icmp_loss_ratio"), std::string::npos);
  // OpenMetrics: same series, integer values with ".0", and the EOF marker.
  std::string om = write_blackbox_probe(r, BlackboxProber::icmp, prom::Format::openmetrics, false);
  EXPECT_NE(om.find("probe_success 1.0\n"), std::string::npos);
  EXPECT_TRUE(om.ends_with("# EOF\n"));
}

TEST(BlackboxProbe, ProberForEachWatchKind) {
  EXPECT_EQ(blackbox_prober_for(model::WatchProbe::icmp), BlackboxProber::icmp);
  EXPECT_EQ(blackbox_prober_for(model::WatchProbe::syn), BlackboxProber::tcp);
  EXPECT_EQ(blackbox_prober_for(model::WatchProbe::udp), BlackboxProber::tcp);
  EXPECT_EQ(blackbox_prober_for(model::WatchProbe::http), BlackboxProber::http);
  EXPECT_EQ(blackbox_prober_for(model::WatchProbe::dns), BlackboxProber::dns);
}

}  // namespace
}  // namespace reach::format
