#pragma once
// `reach check`: are these endpoints (given, from a file, from a load balancer's API) answering,
// and does the network match a segmentation policy? Each failure with its precise reason.
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "base/ip_addr.hpp"
#include "tools/geo_option.hpp"

namespace reach::tools {

struct CheckOptions {
  std::vector<std::string> endpoints;  // host:port, [v6]:port, URLs
  std::string file;                    // --file
  std::string nodes_json;              // --nodes-json FILE|URL
  std::vector<std::string> headers;    // --header for --nodes-json
  std::string select;                  // --select list=/p,address=/p,port=/p
  std::string policy;                  // --policy FILE
  std::string kind;                    // --kind tcp|http|https|icmp|syn for host:port endpoints
  std::string path = "/";              // --path for http(s) built from host:port
  std::size_t jobs = 1000;             // -j
  double timeout = 2;                  // -W seconds per attempt
  unsigned retries = 0;                // -r
  std::string expect_status = "200-399";
  std::string body;                    // --body SUBSTRING
  std::string body_regex;              // --body-regex, RE2 syntax
  bool insecure = false;               // -k: do not verify TLS
  std::string cacert;                  // --cacert: CA certificates to trust (PEM)
  double cert_days = 0;                // fail when the certificate expires within this many days
  std::optional<Family> family;        // -4 / -6
  bool json = false;
  bool nagios = false;
  std::string warn, crit;              // -w / -c TIME[,FAILED]
  // HTTP-only options given on the command line (--body, --expect-status, ...): an error when
  // no check is HTTP, since they would change nothing.
  std::vector<std::string> http_options;
  // --dnsbl: the endpoints are addresses looked up in DNS blocklists (tools/check/dnsbl.hpp).
  bool dnsbl = false;
  std::vector<std::string> dnsbl_zones;  // --dnsbl-zone, repeatable; empty: the default list
  std::string dns_server;                // --dns-server ADDR[:PORT]; empty: resolv.conf's first
  bool retries_set = false;              // -r given (--dnsbl retries once by default)
  GeoOptions geo;                        // --geo, --geo-db: country and AS of each endpoint
};

// Exit code: 0 every endpoint OK (policy: the network matches it), 1 some failed, 2 bad input;
// with --nagios 0/1/2 by the thresholds, 3 for bad input.
int run_check(const CheckOptions& o, std::ostream& out, std::ostream& err);

}  // namespace reach::tools
