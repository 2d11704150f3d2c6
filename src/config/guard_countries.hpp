#pragma once
// guard's `geo_db:` and `countries:` keys (config/guard_config.hpp), kept apart from the rest of
// the section's parser. Internal to config/guard_config.cpp.
#include <string>

#include "config/guard_config.hpp"
#include "config/yaml_walk.hpp"

namespace reach::config::guard_detail {

// `countries: { ban: [CN, RU], allow: [DE] }`: two letters each (lower case taken as upper); a
// code in both lists is an error.
void parse_countries(yaml::Walker& w, const yaml::Node& n, const std::string& p, GuardCountries& c);
// `geo_db: /path/file.mmdb` or a list of such paths.
void parse_geo_db(yaml::Walker& w, const yaml::Node& n, const std::string& p, GuardCountries& c);

}  // namespace reach::config::guard_detail
