#include "format/watch_dnsbl.hpp"

#include "format/dnsbl_writer.hpp"

namespace reach::format {

nlohmann::json watch_dnsbl_json(const std::vector<model::DnsblOutcome>& zones) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& z : zones) {
    nlohmann::json j{{"zone", z.zone}, {"query", z.query}, {"result", dnsbl_status_word(z.status)},
                     {"reason", z.reason}};
    if (!z.codes.empty()) j["codes"] = z.codes;
    if (!z.txt.empty()) j["txt"] = z.txt;
    if (!z.rcode.empty()) j["rcode"] = z.rcode;
    if (z.time) j["time_ms"] = static_cast<double>(*z.time) / 1e6;
    out.push_back(std::move(j));
  }
  return out;
}

}  // namespace reach::format
