#pragma once
// RFC 5424 syslog messages for watch's events, framed for TCP by RFC 6587 octet counting.
//   <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [reach@32473 k="v" ...] MSG
// PRI = facility * 8 + severity. TIMESTAMP: UTC, six fraction digits (RFC 5424's maximum).
// HOSTNAME (255), APP-NAME (48), PROCID (128) and MSGID (32; the event kind) are printable
// US-ASCII cut to their lengths, "-" when empty. SD-ID "reach@32473": 32473 is the example
// Private Enterprise Number of RFC 5612, a documented placeholder until reach has a PEN of its
// own (options.enterprise changes it). PARAM-VALUEs escape '"', '\' and ']' with '\'. MSG is
// plain ASCII text, or UTF-8 after a BOM when it holds anything else (RFC 5424 §6.4).
#include <string>
#include <string_view>

#include "model/watch.hpp"

namespace reach::format {

struct SyslogOptions {
  int facility = 3;              // daemon (RFC 5424 table 1: 0..23)
  std::string hostname;          // the FQDN or address of this machine; "-" when empty
  std::string app_name = "reach";
  std::string procid;            // the daemon's pid as text; "-" when empty
  unsigned enterprise = 32473;   // SD-ID reach@<enterprise>
};

// firing/reminder/error: err (3); state change to down, flapping: warning (4); resolved, state
// change to up or unknown: notice (5).
int syslog_severity(const model::WatchEvent& e);
// One message, no trailer (UDP, RFC 5426, sends it as one datagram).
std::string syslog5424(const model::WatchEvent& e, const SyslogOptions& o);
// RFC 6587 §3.4.1 octet counting for TCP: "<length> <message>".
std::string syslog_octet_counted(std::string_view message);

}  // namespace reach::format
