#pragma once
// Plain results of `reach check`: one CheckOutcome per endpoint or policy flow.
#include <cstdint>
#include <optional>
#include <string>

#include "base/ip_addr.hpp"
#include "base/time.hpp"

namespace reach::model {

enum class CheckKind : std::uint8_t { tcp, http, https, icmp, syn };

// Why a check ended the way it did. Words in docs/CHECK.md.
enum class CheckStatus : std::uint8_t {
  open,         // TCP handshake completed (syn: SYN-ACK)
  alive,        // icmp: echo reply
  refused,      // RST to our SYN
  timeout,      // no answer: filtered (dropped) or host down
  no_route,     // no route: local routing table, or ICMP net unreachable / ICMPv6 no route
  unreachable,  // host unreachable: ICMP host unreachable, ICMPv6 address unreachable, no ARP/ND answer
  prohibited,   // administratively prohibited (ICMP 3/9,10,13; ICMPv6 1/1) or a local firewall
  reset,        // connection reset after it was accepted
  filtered,     // ICMP port or protocol unreachable (or another code) about our SYN: a rejecting filter
  http_ok,      // HTTP(S): status and body as expected, certificate valid
  http_status,  // HTTP status outside --expect-status
  http_body,    // body does not contain / match what was expected
  tls,          // TLS handshake or verification failed
  cert_expiry,  // certificate expires within --cert-days
  error,        // anything else (reason says what)
};

struct IcmpSeen {
  std::uint8_t type = 0, code = 0;
  bool v6 = false;
  std::optional<IpAddr> from;
};

struct HttpTimings {  // from the start of the request, as curl reports them
  TimeNs dns = 0, connect = 0, tls = 0, first_byte = 0, total = 0;
};

struct CheckOutcome {
  std::string name;      // label (the endpoint as given, or its name)
  std::string endpoint;  // host:port or URL
  CheckKind kind = CheckKind::tcp;
  std::optional<IpAddr> addr;
  std::uint16_t port = 0;
  CheckStatus status = CheckStatus::error;
  std::string reason;    // human words: "connection refused", "ICMP admin prohibited from 198.18.1.2"
  bool ok = false;       // counts as passing (for policies: the flow behaves as the policy says)
  std::optional<TimeNs> time;  // connect time (TCP) or total time (HTTP)
  unsigned attempts = 0;
  std::optional<IcmpSeen> icmp;
  int err = 0;           // errno behind the result, 0 when none
  // HTTP(S)
  int http_status = 0;
  std::optional<HttpTimings> timings;
  std::optional<double> cert_days;  // days until the server certificate expires
  // Policy flows
  std::optional<bool> must_pass;
  std::string from;      // namespace name or source address, empty: here
};

struct CheckSummary {
  std::size_t total = 0, ok = 0, failed = 0;
  TimeNs elapsed = 0;
};

}  // namespace reach::model
