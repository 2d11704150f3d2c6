// RFC 5424 messages and RFC 6587 framing (see syslog5424.hpp).
#include "format/syslog5424.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "format/wall_time.hpp"
#include "format/watch_words.hpp"

namespace reach::format {
namespace {

// PRINTUSASCII (33..126) only, at most `max` characters; NILVALUE when nothing is left.
std::string header_field(std::string_view s, std::size_t max) {
  std::string out;
  for (char c : s) {
    if (out.size() == max) break;
    out += (c >= 33 && c <= 126) ? c : '_';
  }
  return out.empty() ? "-" : out;
}

// RFC 5424 §6.3.3 escapes; a newline becomes a space so that a collector reading
// newline-framed syslog still sees one event per line.
std::string param_value(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '"' || c == '\\' || c == ']') out += '\\';
    out += c == '\n' ? ' ' : c;
  }
  return out;
}

std::string message(const model::WatchEvent& e) {
  using K = model::WatchEvent::Kind;
  std::string m;
  switch (e.kind) {
    case K::firing: m = fmt::format("alert {} firing for {}", e.alert, e.target); break;
    case K::reminder: m = fmt::format("alert {} still firing for {}", e.alert, e.target); break;
    case K::resolved: m = fmt::format("alert {} resolved for {}", e.alert, e.target); break;
    case K::flapping: m = fmt::format("{} is flapping", e.target); break;
    case K::state_change:
      m = fmt::format("{} is {} (was {})", e.target, watch_state_word(e.to), watch_state_word(e.from));
      break;
    case K::error: m = "error"; break;
  }
  if (!e.reason.empty()) m += ": " + e.reason;
  std::replace(m.begin(), m.end(), '\n', ' ');  // one event, one line in every collector
  return m;
}

}  // namespace

int syslog_severity(const model::WatchEvent& e) {
  using K = model::WatchEvent::Kind;
  switch (e.kind) {
    case K::firing:
    case K::reminder:
    case K::error: return 3;
    case K::flapping: return 4;
    case K::state_change: return e.to == model::TargetState::down ? 4 : 5;
    case K::resolved: return 5;
  }
  return 5;
}

std::string syslog5424(const model::WatchEvent& e, const SyslogOptions& o) {
  int facility = std::clamp(o.facility, 0, 23);
  std::string out = fmt::format("<{}>1 {} {} {} {} {} ", facility * 8 + syslog_severity(e), rfc3339_micro(e.wall),
                                header_field(o.hostname, 255), header_field(o.app_name, 48),
                                header_field(o.procid, 128), header_field(watch_event_word(e.kind), 32));
  out += fmt::format("[reach@{}", o.enterprise);
  auto param = [&out](std::string_view name, std::string_view value) {
    out += fmt::format(" {}=\"{}\"", name, param_value(value));
  };
  if (!e.target.empty()) param("target", e.target);
  if (!e.alert.empty()) param("alert", e.alert);
  if (e.kind != model::WatchEvent::Kind::error) {
    param("from", watch_state_word(e.from));
    param("to", watch_state_word(e.to));
  }
  if (e.since_wall > 0) param("since", rfc3339_micro(e.since_wall));
  if (!e.reason.empty()) param("reason", e.reason);
  out += "] ";
  std::string msg = message(e);
  bool ascii = std::all_of(msg.begin(), msg.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  if (!ascii) out += "\xEF\xBB\xBF";
  return out + msg;
}

std::string syslog_octet_counted(std::string_view message) {
  return fmt::format("{} {}", message.size(), message);
}

}  // namespace reach::format
