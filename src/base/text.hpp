#pragma once
// Text that came from outside (network bytes, process names, DNS names, server messages) made
// safe to print: a terminal must never receive escape sequences chosen by someone else.
#include <string>
#include <string_view>

namespace reach {

// Control and non-ASCII bytes as \xNN, everything else as is.
std::string printable(std::string_view s);
// Appends one byte as printable() would.
void append_printable(std::string& out, unsigned char c);

}  // namespace reach
