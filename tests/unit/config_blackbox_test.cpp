// blackbox_exporter modules files read as is: Debian's shipped file, the built-ins, modules reach
// cannot run (loaded as unsupported with a reason), and blackbox's timeout rule.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "config/blackbox_modules.hpp"

namespace reach::config {
namespace {

// Debian 12's /etc/prometheus/blackbox.yml (prometheus-blackbox-exporter 0.23).
const char* kDebian = R"yaml(modules:
  http_2xx:
    prober: http
  http_post_2xx:
    prober: http
    http:
      method: POST
  tcp_connect:
    prober: tcp
  pop3s_banner:
    prober: tcp
    tcp:
      query_response:
      - expect: "^+OK"
      tls: true
      tls_config:
        insecure_skip_verify: false
  grpc:
    prober: grpc
    grpc:
      tls: true
      preferred_ip_protocol: "ip4"
  grpc_plain:
    prober: grpc
    grpc:
      tls: false
      service: "service1"
  ssh_banner:
    prober: tcp
    tcp:
      query_response:
      - expect: "^SSH-2.0-"
      - send: "SSH-2.0-blackbox-ssh-check"
  irc_banner:
    prober: tcp
    tcp:
      query_response:
      - send: "NICK prober"
      - send: "USER prober prober prober :prober"
      - expect: "PING :([^ ]+)"
        send: "PONG ${1}"
      - expect: "^:[^ ]+ 001"
  icmp:
    prober: icmp
  icmp_ttl5:
    prober: icmp
    timeout: 5s
    icmp:
      ttl: 5)yaml";

TEST(BlackboxModules, DebiansFileLoads) {
  auto m = parse_blackbox_modules(kDebian, "blackbox.yml");
  ASSERT_TRUE(m) << m.error().message();
  ASSERT_EQ(m->modules.size(), 10u);
  const auto* http = m->find("http_2xx");
  ASSERT_NE(http, nullptr);
  EXPECT_TRUE(http->supported);
  EXPECT_EQ(http->prober, BbProber::http);
  EXPECT_EQ(http->http.method, "GET");
  EXPECT_EQ(http->http.preferred_ip_protocol, IpProtocol::ip6);
  EXPECT_TRUE(http->http.ip_protocol_fallback);
  EXPECT_EQ(m->find("http_post_2xx")->http.method, "POST");
  const auto* ttl5 = m->find("icmp_ttl5");
  EXPECT_TRUE(ttl5->supported);
  EXPECT_EQ(ttl5->icmp.ttl, 5);
  EXPECT_EQ(ttl5->timeout, 5 * kNsPerSec);
  EXPECT_FALSE(m->find("grpc")->supported);
  EXPECT_EQ(m->find("grpc")->unsupported_reason, "prober grpc is not supported by reach (http, tcp, icmp, dns are)");
  const auto* irc = m->find("irc_banner");
  EXPECT_FALSE(irc->supported);
  EXPECT_EQ(irc->unsupported_reason, "tcp.query_response is not supported by reach");
  ASSERT_EQ(irc->tcp.query_response.size(), 4u);
  EXPECT_EQ(irc->tcp.query_response[2].send, "PONG ${1}");
  EXPECT_TRUE(m->find("pop3s_banner")->tcp.tls);
  auto w = m->warnings("blackbox.yml");
  ASSERT_EQ(w.size(), 5u);
  EXPECT_EQ(w[0], "blackbox.yml:19: module grpc: prober grpc is not supported by reach (http, tcp, icmp, dns are)");
}

TEST(BlackboxModules, TheInstalledFileLoads) {
  std::ifstream f("/etc/prometheus/blackbox.yml");
  if (!f) GTEST_SKIP() << "prometheus-blackbox-exporter is not installed";
  std::stringstream ss;
  ss << f.rdbuf();
  auto m = parse_blackbox_modules(ss.str(), "/etc/prometheus/blackbox.yml");
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_NE(m->find("icmp"), nullptr);
}

TEST(BlackboxModules, EveryCommonOption) {
  auto m = parse_blackbox_modules(R"(
modules:
  web:
    prober: http
    timeout: 3s
    http:
      valid_status_codes: [200, 301]
      valid_http_versions: ["HTTP/1.1", "HTTP/2.0"]
      method: HEAD
      headers: {Host: example.org, Accept-Language: en}
      body: ping
      no_follow_redirects: true
      fail_if_ssl: false
      fail_if_not_ssl: true
      fail_if_body_matches_regexp: ["error"]
      fail_if_body_not_matches_regexp: ["ok"]
      fail_if_header_matches: [{header: Server, regexp: "nginx/0"}]
      fail_if_header_not_matches: [{header: Content-Type, regexp: "text/html", allow_missing: true}]
      tls_config: {insecure_skip_verify: true, server_name: example.org, min_version: TLS12}
      preferred_ip_protocol: ip4
      ip_protocol_fallback: false
      body_size_limit: 10MB
  ping4:
    prober: icmp
    icmp: {preferred_ip_protocol: ip4, payload_size: 56, dont_fragment: true}
  dns_soa:
    prober: dns
    dns:
      query_name: example.org
      query_type: soa
      transport_protocol: tcp
      valid_rcodes: [NOERROR, NXDOMAIN]
      validate_answer_rrs: {fail_if_not_matches_regexp: ["example.org.\t.*\tIN\tSOA"]}
  tls:
    prober: tcp
    tcp: {tls: true, tls_config: {insecure_skip_verify: true}, preferred_ip_protocol: ip4}
)", "b.yml");
  ASSERT_TRUE(m) << m.error().message();
  for (const auto& mod : m->modules) EXPECT_TRUE(mod.supported) << mod.name << ": " << mod.unsupported_reason;
  const auto& h = m->find("web")->http;
  EXPECT_EQ(h.valid_status_codes, (std::vector<int>{200, 301}));
  EXPECT_EQ(h.method, "HEAD");
  EXPECT_FALSE(h.follow_redirects);
  EXPECT_TRUE(h.fail_if_not_ssl);
  ASSERT_EQ(h.fail_if_header_not_matches.size(), 1u);
  EXPECT_TRUE(h.fail_if_header_not_matches[0].allow_missing);
  EXPECT_TRUE(h.tls_config.insecure_skip_verify);
  EXPECT_EQ(h.preferred_ip_protocol, IpProtocol::ip4);
  EXPECT_EQ(h.body_size_limit, 10000000u);
  EXPECT_EQ(h.headers[0], (std::pair<std::string, std::string>{"Host", "example.org"}));
  const auto& d = m->find("dns_soa")->dns;
  EXPECT_EQ(d.query_type, "SOA");
  EXPECT_EQ(d.valid_rcodes.size(), 2u);
  EXPECT_EQ(d.validate_answer_rrs.fail_if_not_matches_regexp.size(), 1u);
  EXPECT_EQ(m->find("ping4")->icmp.payload_size, 56);
  EXPECT_EQ(probe_kind(*m->find("tls")), model::WatchProbe::tcp);
}

TEST(BlackboxModules, BadModulesAreMarkedTheRestLoads) {
  auto m = parse_blackbox_modules(R"(
modules:
  good: {prober: icmp}
  typo: {prober: http, http: {methd: GET}}
  noname: {prober: dns, dns: {query_type: A}}
  proxied: {prober: http, http: {proxy_url: "http://p:3128"}}
  badtime: {prober: tcp, timeout: 5}
  none: {timeout: 1s}
  list: [1, 2]
)", "b.yml");
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_TRUE(m->find("good")->supported);
  EXPECT_EQ(m->find("typo")->unsupported_reason, "http.methd: unknown option (blackbox_exporter refuses it too)");
  EXPECT_EQ(m->find("noname")->unsupported_reason, "dns.query_name: must be set for a dns module");
  EXPECT_EQ(m->find("proxied")->unsupported_reason, "http.proxy_url is not supported by reach");
  EXPECT_EQ(m->find("badtime")->unsupported_reason,
            "timeout: '5' is not a duration like 1s, 500ms, 1m30s (units y w d h m s ms)");
  EXPECT_EQ(m->find("none")->unsupported_reason, "no prober given");
  EXPECT_FALSE(m->find("list")->supported);
}

TEST(BlackboxModules, FileLevelErrors) {
  EXPECT_EQ(parse_blackbox_modules("modules: [a]\n", "b.yml").error().message(),
            "b.yml:1: modules: must be a map of module names to modules");
  EXPECT_EQ(parse_blackbox_modules("modulez: {}\n", "b.yml").error().message(),
            "b.yml:1: modulez: unknown key (known: modules)");
  EXPECT_EQ(parse_blackbox_modules("modules:\n  a: {prober: icmp}\n  a: {prober: tcp}\n", "b.yml").error().message(),
            "b.yml:3: modules.a: given twice");
  EXPECT_FALSE(parse_blackbox_modules("modules: {a: [}\n", "b.yml"));
}

TEST(BlackboxModules, BuiltinsAsBlackboxShipsThem) {
  auto b = builtin_blackbox_modules();
  ASSERT_EQ(b.modules.size(), 3u);
  for (const char* name : {"icmp", "tcp_connect", "http_2xx"}) {
    const auto* m = b.find(name);
    ASSERT_NE(m, nullptr) << name;
    EXPECT_TRUE(m->supported);
    EXPECT_EQ(m->timeout, 0);
  }
  EXPECT_EQ(b.find("icmp")->icmp.preferred_ip_protocol, IpProtocol::ip6);
  EXPECT_TRUE(b.find("icmp")->icmp.ip_protocol_fallback);
  EXPECT_TRUE(b.find("http_2xx")->http.valid_status_codes.empty());  // any 2xx
  auto merged = with_builtins(*parse_blackbox_modules("modules: {icmp: {prober: icmp, timeout: 2s}, x: {prober: tcp}}",
                                                      "b.yml"));
  EXPECT_EQ(merged.modules.size(), 4u);
  EXPECT_EQ(merged.find("icmp")->timeout, 2 * kNsPerSec);
}

TEST(BlackboxModules, TimeoutRule) {
  BbModule m;
  EXPECT_EQ(effective_timeout(m, std::nullopt), 119500 * kNsPerMs);
  EXPECT_EQ(effective_timeout(m, 10.0), 9500 * kNsPerMs);
  m.timeout = 5 * kNsPerSec;
  EXPECT_EQ(effective_timeout(m, 10.0), 5 * kNsPerSec);
  EXPECT_EQ(effective_timeout(m, 3.0), 2500 * kNsPerMs);
  EXPECT_EQ(effective_timeout(m, 0.2), 5 * kNsPerSec);  // header below the offset: the module's
}

}  // namespace
}  // namespace reach::config
