// guard's country rules in the config (guard_countries.hpp; docs/GUARD.md "Country rules").
#include "config/guard_countries.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "config/config_words.hpp"

namespace reach::config::guard_detail {

namespace {

// "cn" -> "CN"; empty when not two ASCII letters.
std::string country_code(const std::string& s) {
  if (s.size() != 2) return {};
  std::string out;
  for (char c : s) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c < 'A' || c > 'Z') return {};
    out += c;
  }
  return out;
}

}  // namespace

void parse_countries(yaml::Walker& w, const yaml::Node& n, const std::string& p, GuardCountries& c) {
  c.line = yaml::line_of(n);
  for (auto& [k, v] : w.entries(n, p, {"ban", "allow"})) {
    const std::string pk = words::at(p, k);
    auto& out = k == "ban" ? c.ban : c.allow;
    const std::vector<yaml::Node> items = v.IsSequence() ? w.items(v, pk) : std::vector<yaml::Node>{v};
    for (std::size_t i = 0; i < items.size(); ++i) {
      const std::string pi = v.IsSequence() ? words::idx(pk, i) : pk;
      auto text = w.str(items[i], pi);
      if (!text) continue;
      const std::string cc = country_code(*text);
      if (cc.empty()) {
        const std::string shown = words::printable(*text, true) && text->size() <= 64 ? *text : "...";
        w.error(items[i], pi, fmt::format("must be an ISO 3166-1 alpha-2 country code (CN, DE), not '{}'", shown));
        continue;
      }
      const auto& other = k == "ban" ? c.allow : c.ban;
      if (std::find(other.begin(), other.end(), cc) != other.end()) {
        w.error(items[i], pi, fmt::format("{} is in both countries.ban and countries.allow", cc));
        continue;
      }
      if (std::find(out.begin(), out.end(), cc) == out.end()) out.push_back(cc);
    }
  }
}

void parse_geo_db(yaml::Walker& w, const yaml::Node& n, const std::string& p, GuardCountries& c) {
  auto list = w.str_list(n, p, true);
  if (!list) return;
  const std::vector<yaml::Node> items = n.IsSequence() ? n.items() : std::vector<yaml::Node>{n};
  for (std::size_t i = 0; i < list->size(); ++i) {
    const std::string& f = (*list)[i];
    if (f.size() <= 4096 && f[0] == '/' && words::printable(f, true)) {
      c.db.push_back(f);
    } else {
      w.error(i < items.size() ? items[i] : n, n.IsSequence() ? words::idx(p, i) : p,
              "must be an absolute path to a MaxMind DB file (/var/lib/GeoIP/GeoLite2-Country.mmdb)");
    }
  }
}

}  // namespace reach::config::guard_detail
