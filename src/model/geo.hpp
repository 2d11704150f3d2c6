#pragma once
// Where an address is registered: country and autonomous system, from MaxMind-format databases
// (GeoLite2 Country/City/ASN, DB-IP lite). Empty fields: the databases do not know.
#include <cstdint>
#include <string>

namespace reach::model {

struct GeoTag {
  std::string country;  // ISO 3166-1 alpha-2 ("DE"), empty when unknown
  std::uint32_t asn = 0;  // autonomous system number, 0 when unknown
  std::string as_org;   // the AS's organisation name, empty when unknown

  bool empty() const { return country.empty() && asn == 0 && as_org.empty(); }
  friend bool operator==(const GeoTag&, const GeoTag&) = default;
};

}  // namespace reach::model
