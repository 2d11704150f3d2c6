#include "tools/guard/countries.hpp"

#include <fmt/format.h>

#include <memory>

#include "io/geo_db.hpp"

namespace reach::tools::guard {

void open_country_rules(Setup& s) {
  const config::GuardCountries& c = s.cfg.countries;
  s.country_files.clear();
  s.country_skipped.clear();
  s.country_note.clear();
  s.policy.country_of = nullptr;
  if (!c.any()) return;
  const std::vector<std::string> paths = c.db.empty() ? io::GeoDb::default_paths() : c.db;
  if (paths.empty()) {
    s.country_note = "no MaxMind database (*.mmdb) in " + io::GeoDb::default_dirs_text() + " (geo_db: names one)";
    return;
  }
  // Each file on its own, so one broken file does not turn off the others.
  for (const auto& p : paths) {
    if (auto one = io::GeoDb::open({p})) s.country_files.push_back(p);
    else s.country_skipped.push_back(one.error().message());
  }
  if (s.country_files.empty()) {
    s.country_note = fmt::format("{}", fmt::join(s.country_skipped, "; "));
    s.country_skipped.clear();
    return;
  }
  auto db = io::GeoDb::open(s.country_files);
  if (!db) {
    s.country_note = db.error().message();
    s.country_files.clear();
    return;
  }
  auto shared = std::make_shared<io::GeoDb>(std::move(*db));
  s.policy.country_of = [shared](const IpAddr& a) { return shared->lookup(a).country; };
}

std::string country_rules_line(const Setup& s) {
  const config::GuardCountries& c = s.cfg.countries;
  if (!c.any()) return {};
  if (!s.policy.country_of)
    return fmt::format("country rules inactive: {}; every source gets the threshold", s.country_note);
  std::string rules;
  if (!c.ban.empty()) rules += fmt::format("ban {}", fmt::join(c.ban, ", "));
  if (!c.allow.empty()) rules += fmt::format("{}allow {}", rules.empty() ? "" : "; ", fmt::join(c.allow, ", "));
  std::string line = fmt::format("country rules: {} (from {})", rules, fmt::join(s.country_files, ", "));
  if (!s.country_skipped.empty()) line += fmt::format("; skipped: {}", fmt::join(s.country_skipped, "; "));
  return line;
}

}  // namespace reach::tools::guard
