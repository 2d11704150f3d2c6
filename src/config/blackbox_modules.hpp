#pragma once
// A blackbox_exporter modules file (`modules:` map), read as is, so the same file serves
// blackbox_exporter and `reach watch`'s /probe. Pure: text in, modules out; yaml-cpp's
// exceptions stay inside. A module reach cannot run (prober grpc, an option reach does not
// implement, a value blackbox itself would refuse) loads as `supported = false` with a reason,
// so /probe for it answers with that reason while every other module works.
// Option names and defaults follow blackbox_exporter 0.23 (Debian 12's CONFIGURATION.md).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/time.hpp"
#include "config/watch_config.hpp"

namespace reach::config {

enum class BbProber : std::uint8_t { http, tcp, icmp, dns, grpc, other };
enum class IpProtocol : std::uint8_t { ip4, ip6 };

struct BbTlsConfig {
  bool insecure_skip_verify = false;
  std::string ca_file, cert_file, key_file, server_name;
  std::string min_version;  // "", TLS10, TLS11, TLS12, TLS13
};

struct BbIcmp {
  IpProtocol preferred_ip_protocol = IpProtocol::ip6;  // blackbox's default
  bool ip_protocol_fallback = true;
  std::string source_ip_address;  // empty = the kernel's choice
  int payload_size = 0;           // bytes after the ICMP header; 0 = the prober's default
  bool dont_fragment = false;     // IPv4 only
  int ttl = -1;                   // 0..255 when set, -1 = system default
};

struct BbQueryResponse {
  std::string expect, send;  // expect: a regexp; send may use ${1} groups of the last expect
  bool starttls = false;
};
struct BbTcp {
  IpProtocol preferred_ip_protocol = IpProtocol::ip6;
  bool ip_protocol_fallback = true;
  std::string source_ip_address;
  std::vector<BbQueryResponse> query_response;  // parsed; see kBbUnsupported in the .cpp
  bool tls = false;
  BbTlsConfig tls_config;
};

struct BbHeaderMatch {
  std::string header, regexp;  // both required
  bool allow_missing = false;
};
struct BbHttp {
  std::vector<int> valid_status_codes;           // empty = any 2xx
  std::vector<std::string> valid_http_versions;  // "HTTP/1.1", "HTTP/2.0"; empty = any
  std::string method = "GET";
  std::vector<std::pair<std::string, std::string>> headers;  // in file order
  std::string body;                              // request body
  bool follow_redirects = true;                  // `no_follow_redirects: true` (old) sets false
  bool fail_if_ssl = false, fail_if_not_ssl = false;
  std::vector<std::string> fail_if_body_matches_regexp, fail_if_body_not_matches_regexp;
  std::vector<BbHeaderMatch> fail_if_header_matches, fail_if_header_not_matches;
  BbTlsConfig tls_config;
  IpProtocol preferred_ip_protocol = IpProtocol::ip6;
  bool ip_protocol_fallback = true;
  bool enable_http2 = true;
  std::uint64_t body_size_limit = 0;             // bytes, 0 = no limit
  std::string compression;                       // "", gzip, br, deflate, identity
};

struct BbRrValidator {
  std::vector<std::string> fail_if_matches_regexp, fail_if_all_match_regexp,
      fail_if_not_matches_regexp, fail_if_none_matches_regexp;
};
struct BbDns {
  IpProtocol preferred_ip_protocol = IpProtocol::ip6;
  bool ip_protocol_fallback = true;
  std::string source_ip_address;
  std::string transport_protocol = "udp";  // udp | tcp
  bool dns_over_tls = false;
  BbTlsConfig tls_config;
  std::string query_name;                  // required by blackbox
  std::string query_type = "ANY";          // upper-cased
  std::string query_class = "IN";
  bool recursion_desired = true;
  std::vector<std::string> valid_rcodes = {"NOERROR"};
  BbRrValidator validate_answer_rrs, validate_authority_rrs, validate_additional_rrs;
};

struct BbModule {
  std::string name;
  BbProber prober = BbProber::other;
  std::string prober_name;   // as written ("grpc", "http", ...)
  // 0 = not set: blackbox then uses the scrape's X-Prometheus-Scrape-Timeout-Seconds minus
  // its --timeout-offset (0.5 s), 120 s - 0.5 s without the header; see effective_timeout.
  TimeNs timeout = 0;
  BbHttp http;               // only the block of `prober` is meaningful
  BbTcp tcp;
  BbIcmp icmp;
  BbDns dns;
  bool supported = true;
  std::string unsupported_reason;  // "prober grpc is not supported", "tcp.query_response: ..."
  int line = 0;
};

struct BbModules {
  std::vector<BbModule> modules;  // sorted by name
  const BbModule* find(std::string_view name) const;
  // One "source:LINE: module NAME: REASON" per unsupported module, for --validate and logs.
  std::vector<std::string> warnings(const std::string& source) const;
};

// Parses a modules file. Errors only when the file as a whole cannot be read (YAML syntax, no
// `modules:` map, a module that is not a map, a duplicate name); everything module-level is a
// `supported = false` module instead.
ConfigResult<BbModules> parse_blackbox_modules(std::string_view text, const std::string& source);

// `icmp`, `tcp_connect` and `http_2xx` as blackbox_exporter's shipped blackbox.yml defines them
// (prober only: every option at blackbox's default, ip6 preferred with fallback to ip4, no
// timeout set).
BbModules builtin_blackbox_modules();
// The built-ins, then every module of `file` (a module of the same name replaces a built-in).
BbModules with_builtins(BbModules file);

// The timeout a /probe runs with, as blackbox computes it: the scrape timeout from the header
// (seconds; absent or <= 0: 120) minus `offset_seconds`; the module's timeout when it is set and
// shorter; never below 0.
TimeNs effective_timeout(const BbModule& module, std::optional<double> scrape_timeout_seconds,
                         double offset_seconds = 0.5);

// The watch probe kind a module runs as (http, tcp, icmp, dns); nullopt for grpc/other.
std::optional<model::WatchProbe> probe_kind(const BbModule& module);

}  // namespace reach::config
