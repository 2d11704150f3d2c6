#pragma once
// The --geo annotation of an address in text and NDJSON output (trace hops, scan hosts, sockets
// peers, check endpoints). Text follows traceroute -A's bracket: "[DE AS64501]".
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "base/ip_addr.hpp"
#include "base/text.hpp"
#include "model/geo.hpp"

namespace reach::format {

// What is known of an address; an empty function means --geo is off.
using GeoOf = std::function<model::GeoTag(const IpAddr&)>;

// "[DE AS64501]", "[DE]", "[AS64501]", "" when nothing is known.
std::string geo_brackets(const model::GeoTag& g);
// " [DE AS64501]" for `a`, "" when geo is off or knows nothing.
std::string geo_suffix(const GeoOf& geo, const IpAddr& a);
// Sets j[key] = {"country":"DE","asn":64501,"as_org":"..."} with the known fields only, when
// geo is on and knows something.
// Json: nlohmann::json or nlohmann::ordered_json.
template <class Json>
void put_geo(Json& j, const GeoOf& geo, const IpAddr& a, const char* key = "geo") {
  if (!geo) return;
  auto g = geo(a);
  if (g.empty()) return;
  Json o = Json::object();
  // printable(): the file's strings are unchecked bytes, and dump() throws on invalid UTF-8.
  if (!g.country.empty()) o["country"] = printable(g.country);
  if (g.asn != 0) o["asn"] = g.asn;
  if (!g.as_org.empty()) o["as_org"] = printable(g.as_org);
  j[key] = std::move(o);
}

}  // namespace reach::format
