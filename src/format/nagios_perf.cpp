// Nagios plugin output pieces shared by `reach check --nagios` and `reach watch --nagios`.
#include "format/nagios_perf.hpp"

#include "base/text.hpp"

namespace reach::format {

const char* nagios_state_word(NagiosState s) {
  switch (s) {
    case NagiosState::ok: return "OK";
    case NagiosState::warning: return "WARNING";
    case NagiosState::critical: return "CRITICAL";
    case NagiosState::unknown: return "UNKNOWN";
  }
  return "UNKNOWN";
}

std::string nagios_perf_label(std::string_view name) {
  std::string out = "'";
  for (char c : name) {
    if (c == '\'') out += "''";
    else if (c == '=' || c == '|' || c == '\n') out += '_';
    else out += c;
  }
  return out + "'";
}

std::string nagios_text(std::string_view text) {
  // Control bytes (newline included) escaped as everywhere else; '|' would start the perfdata.
  std::string out;
  for (char c : printable(text)) {
    if (c == '|') out += "\\x7c";
    else out += c;
  }
  return out;
}

}  // namespace reach::format
