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
// Plugin text before " | ": no '|' (it starts the perfdata) and no newline.
std::string nagios_text(std::string_view text);

}  // namespace reach::format
