// Nagios plugin output pieces shared by `reach check --nagios` and `reach watch --nagios`.
#include "format/nagios_perf.hpp"

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
  std::string out(text);
  for (char& c : out)
    if (c == '|') c = '/';
    else if (c == '\n' || c == '\r') c = ' ';
  return out;
}

}  // namespace reach::format
