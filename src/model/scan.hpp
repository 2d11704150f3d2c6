#pragma once
// Plain results of `reach scan`: what the scan engine and the connect loop produce, what the
// formatters read.
#include <cstdint>
#include <string>
#include <vector>

#include "base/ip_addr.hpp"
#include "base/time.hpp"

namespace reach::model {

enum class PortState : std::uint8_t { open, closed, filtered };

// Why a port got its state (nmap's words where nmap has one).
enum class PortReason : std::uint8_t {
  syn_ack,           // open: the target answered our SYN with SYN-ACK
  connected,         // open: connect() completed (--connect)
  rst,               // closed: the target answered with RST (--connect: ECONNREFUSED)
  no_response,       // filtered: nothing came back after every retry
  admin_prohibited,  // filtered: ICMP administratively prohibited (v4 codes 9, 10, 13; v6 code 1)
  host_unreachable,  // filtered: ICMP host unreachable (v6: address unreachable)
  net_unreachable,   // filtered: ICMP network unreachable (v6: no route)
  port_unreachable,  // filtered: ICMP port unreachable
  proto_unreachable, // filtered: ICMP protocol unreachable
  icmp_other,        // filtered: another ICMP destination unreachable code
  local_error,       // filtered: the local stack refused (--connect: EACCES, EPERM, ...)
};

// The words of each reason, shared by the scan writers and the connect classifier:
// "syn-ack", "reset", "no-response", "admin-prohibited", "port-unreachable", ...
inline const char* port_reason_name(PortReason r) {
  switch (r) {
    case PortReason::syn_ack: return "syn-ack";
    case PortReason::connected: return "connected";
    case PortReason::rst: return "reset";
    case PortReason::no_response: return "no-response";
    case PortReason::admin_prohibited: return "admin-prohibited";
    case PortReason::host_unreachable: return "host-unreachable";
    case PortReason::net_unreachable: return "net-unreachable";
    case PortReason::port_unreachable: return "port-unreachable";
    case PortReason::proto_unreachable: return "proto-unreachable";
    case PortReason::icmp_other: return "icmp-unreachable";
    case PortReason::local_error: return "local-error";
  }
  return "?";
}

struct PortResult {
  IpAddr addr;
  std::uint16_t port = 0;
  PortState state = PortState::filtered;
  PortReason reason = PortReason::no_response;
  int ttl = -1;    // of the reply, -1 unknown
  IpAddr from;     // who answered (a router for ICMP errors); == addr for TCP replies
  std::string service;  // name of the port in /etc/services, empty when none
  std::string banner;   // --banners: the first line the service sent (printable), empty when none
};

struct ScanSummary {
  std::uint64_t addresses = 0;   // distinct addresses named
  std::uint64_t ports = 0;       // ports per address
  std::uint64_t probes = 0;      // addresses x ports
  std::uint64_t sent = 0;        // packets (or connects) sent, retries included
  std::uint64_t send_errors = 0; // sends the local stack refused (retried in the next pass)
  std::uint64_t replies = 0;     // replies matched to a probe (first answer of each)
  std::uint64_t duplicates = 0;  // further answers to an answered probe
  std::uint64_t ignored = 0;     // packets aimed at our probe ports whose cookie did not check
  std::uint64_t hosts_up = 0;    // addresses that answered at least one probe
  int passes = 0;                // 1 + retry passes actually run
  TimeNs elapsed = 0;
};

}  // namespace reach::model
