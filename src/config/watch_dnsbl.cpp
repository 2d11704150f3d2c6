#include "config/watch_dnsbl.hpp"

#include <algorithm>

#include "base/address.hpp"
#include "base/ip_addr.hpp"
#include "config/config_words.hpp"
#include "config/dnsbl_zones.hpp"

namespace reach::config {

void parse_dnsbl_key(yaml::Walker& w, std::string_view key, const yaml::Node& v, const std::string& path,
                     WatchTarget& t) {
  const std::string p = words::at(path, key);
  if (key == "zones") {
    auto items = w.items(v, p);
    if (items.empty() && (v.IsSequence() || v.IsNull())) w.error(v, p, "give at least one zone (or leave zones out)");
    t.zones.clear();
    for (std::size_t i = 0; i < items.size(); ++i) {
      auto s = w.str(items[i], words::idx(p, i));
      if (!s) continue;
      auto z = dnsbl_zone(*s);
      if (!z) w.error(items[i], words::idx(p, i), "\"" + *s + "\": " + z.error().detail);
      else if (std::find(t.zones.begin(), t.zones.end(), *z) == t.zones.end()) t.zones.push_back(*z);
    }
  } else if (key == "dns_server") {
    auto s = w.str(v, p);
    if (!s) return;
    auto a = parse_address(*s, AddressForm::url);
    if (a && a->literal && a->zone.empty()) t.dns_server = *s;
    else w.error(v, p, "must be ADDR, ADDR:PORT or [IPV6ADDR]:PORT (an address, not a name)");
  }
}

void check_dnsbl_fields(yaml::Walker& w, const yaml::Node& n, const std::string& path, WatchTarget& t, bool has_port) {
  const bool dnsbl = t.probe == model::WatchProbe::dnsbl;
  if (!dnsbl) {
    for (const char* k : {"zones", "dns_server"})
      if (n[k].IsDefined()) w.error(n[k], words::at(path, k), "only for probe dnsbl");
    return;
  }
  if (has_port) w.error(n["port"], words::at(path, "port"), "probe dnsbl has no port (the resolver's goes in dns_server)");
  if (!n["host"].IsDefined()) {
    w.error(n, words::at(path, "host"), "is required for probe dnsbl (the address to look up)");
  } else if (!t.host.empty()) {
    std::string_view bare = t.host;
    if (bare.size() > 2 && bare.front() == '[' && bare.back() == ']') bare = bare.substr(1, bare.size() - 2);
    if (!IpAddr::parse(bare))
      w.error(n["host"], words::at(path, "host"),
              "\"" + t.host + "\" is not an IP address (blocklists list addresses, not names)");
  }
  for (const auto& [name, value] : t.labels)
    if (name == "zone")
      w.error(n["labels"], words::at(words::at(path, "labels"), name), "is the label of the zone in this target's dnsbl series");
  if (!n["zones"].IsDefined()) t.zones = default_dnsbl_zones();
}

}  // namespace reach::config
