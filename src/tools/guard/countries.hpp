#pragma once
// guard's country rules (`countries:`, `geo_db:`): the MaxMind files opened and their lookup
// injected into the engine's policy. A missing or unreadable database never stops guard: the
// rules are inactive and every source gets the threshold (docs/GUARD.md "Country rules").
#include <string>

#include "tools/guard/setup.hpp"

namespace reach::tools::guard {

// Opens the files of s.cfg.countries (else the default directories) and sets
// s.policy.country_of; without a usable file, s.country_note says why the rules are inactive.
void open_country_rules(Setup& s);
// One line for the start, a reload and --validate: "country rules: ban CN, RU; allow DE (from
// FILE)" or "country rules inactive: WHY; every source gets the threshold"; empty without rules.
std::string country_rules_line(const Setup& s);

}  // namespace reach::tools::guard
