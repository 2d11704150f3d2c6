// NDJSON of a multipath trace; schema in docs/JSON.md ("reach trace --mda").
#include <nlohmann/json.hpp>

#include "format/multipath_writer.hpp"

namespace reach::format {
namespace {

constexpr int kSchemaVersion = 1;

void emit(std::ostream& out, const model::MultipathGraph& g, nlohmann::json j) {
  if (!g.target.empty()) j["target"] = g.target;
  out << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
}

}  // namespace

void write_multipath_json(std::ostream& out, const model::MultipathGraph& g) {
  const std::string dst = g.destination.to_string();
  for (const auto& h : g.hops) {
    nlohmann::json j{{"type", "mda_hop"}, {"version", kSchemaVersion}, {"addr", dst}, {"ttl", h.ttl},
                     {"probes", h.probes}, {"answers", h.answers}, {"timeouts", h.timeouts},
                     {"per_packet", h.per_packet}, {"full_mda", h.full_mda}};
    nlohmann::json ifaces = nlohmann::json::array();
    for (const auto& i : h.interfaces)
      ifaces.push_back({{"addr", i.addr.to_string()}, {"destination", i.is_destination}, {"flows", i.flows}});
    j["interfaces"] = ifaces;
    emit(out, g, j);
  }
  for (const auto& l : g.links)
    emit(out, g, {{"type", "mda_link"}, {"version", kSchemaVersion}, {"addr", dst}, {"from_ttl", l.from_ttl},
               {"from", l.from.to_string()}, {"to_ttl", l.to_ttl}, {"to", l.to.to_string()}});
  emit(out, g, {{"type", "mda_summary"}, {"version", kSchemaVersion}, {"addr", dst}, {"algorithm", g.algorithm},
             {"alpha", g.alpha}, {"first_ttl", g.first_ttl}, {"max_ttl", g.max_ttl}, {"probes", g.probes_sent},
             {"ignored", g.ignored}, {"hops", g.hops.size()}, {"links", g.links.size()},
             {"stop", model::stop_name(g.stop)}});
}

}  // namespace reach::format
