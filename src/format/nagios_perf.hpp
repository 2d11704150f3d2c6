#pragma once
// Pieces of the Nagios plugin output convention (nagios-plugins.org/doc/guidelines.html) that
// every reach plugin output shares: the state word and perfdata labels.
#include <string>
#include <string_view>

#include "format/check_writer.hpp"

namespace reach::format {

const char* nagios_state_word(NagiosState s);  // OK WARNING CRITICAL UNKNOWN
// 'label' quoted; a quote inside is doubled, '=' '|' and newline (not allowed) become '_'.
std::string nagios_perf_label(std::string_view name);
// Plugin text before " | ": control bytes (newlines too) as \\xNN, as printable() writes them,
// and '|' (it would start the perfdata) as \\x7c.
std::string nagios_text(std::string_view text);

}  // namespace reach::format
