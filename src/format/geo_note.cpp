#include "format/geo_note.hpp"

#include <nlohmann/json.hpp>

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

void put_geo(nlohmann::json& j, const GeoOf& geo, const IpAddr& a, const char* key) {
  if (!geo) return;
  auto g = geo(a);
  if (g.empty()) return;
  nlohmann::json o = nlohmann::json::object();
  // printable(): the file's strings are unchecked bytes, and dump() throws on invalid UTF-8.
  if (!g.country.empty()) o["country"] = printable(g.country);
  if (g.asn != 0) o["asn"] = g.asn;
  if (!g.as_org.empty()) o["as_org"] = printable(g.as_org);
  j[key] = std::move(o);
}

}  // namespace reach::format
