#include "format/geo_note.hpp"

#include "base/text.hpp"

namespace reach::format {

std::string geo_brackets(const model::GeoTag& g) {
  std::string s;
  // The database is input: a country code with escape codes must not reach the terminal.
  if (!g.country.empty()) s = printable(g.country);
  if (g.asn != 0) s += (s.empty() ? "AS" : " AS") + std::to_string(g.asn);
  return s.empty() ? s : "[" + s + "]";
}

std::string geo_suffix(const GeoOf& geo, const IpAddr& a) {
  if (!geo) return {};
  std::string b = geo_brackets(geo(a));
  return b.empty() ? b : " " + b;
}

}  // namespace reach::format
