#pragma once
// An alert as an Internet message (RFC 5322) for SMTP through libcurl: Date, From, To, Subject,
// Message-ID, MIME-Version 1.0, Content-Type text/plain; charset=utf-8, and Auto-Submitted:
// auto-generated (RFC 3834, so vacation responders stay quiet). Lines end in CRLF. A subject
// that is not plain ASCII, or is long, becomes RFC 2047 encoded words (UTF-8, base64, folded);
// a body that is not 7-bit-safe is quoted-printable (RFC 2045), so no 8BITMIME is needed. CR and
// LF inside header values (target names come from configs) are dropped: no header injection.
// libcurl does the SMTP dot-stuffing. Pure: the Date is the event's time, the Message-ID's
// left part is the caller's unique token (e.g. the outbox row), so a retry sends the same message.
#include <string>
#include <string_view>
#include <vector>

#include "format/alertmanager.hpp"

namespace reach::format {

struct EmailOptions {
  std::string from;              // "reach <reach@mon1.example.net>"
  std::vector<std::string> to;   // "ops@example.net", "Ops <ops2@example.net>"
  std::string hostname;          // Message-ID's right part: "mon1.example.net"
  std::string external_url;      // watch's URL for the target link, may be empty
};

// Subject "[reach] FIRING down: web1 is down" / "[reach] RESOLVED down: web1 is up again".
std::string alert_email_subject(const AlertInput& a);
std::string alert_email(const AlertInput& a, const EmailOptions& o, std::string_view message_id_token);

// Building blocks, exposed for their tests.
std::string rfc2047_subject(std::string_view utf8);  // "Subject: " value, folded
std::string quoted_printable(std::string_view utf8);  // CRLF line ends in and out
std::string base64(std::string_view bytes);

}  // namespace reach::format
