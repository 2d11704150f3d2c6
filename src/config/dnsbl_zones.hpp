#pragma once
// DNSBL zone names as the user gives them (`reach check --dnsbl-zone`, a watch target's `zones:`).
// Here, below the engine, so the watch config can report a bad zone with its line.
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"

namespace reach::config {

// A zone as given (`zen.spamhaus.org`, a trailing dot allowed), lower-cased and without the dot.
// Errors: empty, an empty label, a label over 63 characters or with other characters than
// letters, digits, '-' and '_', or longer than 189 characters (an IPv6 query adds 64 and a name
// holds 253).
Result<std::string> dnsbl_zone(std::string_view zone);

// The zones looked up when none are given (docs/CHECK.md, "DNS blocklists", says why these).
const std::vector<std::string>& default_dnsbl_zones();

}  // namespace reach::config
