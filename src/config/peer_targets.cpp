#include "config/peer_targets.hpp"

#include <nlohmann/json.hpp>

namespace reach::config {

Result<std::vector<std::pair<std::string, model::TargetState>>> parse_peer_targets(std::string_view body,
                                                                                   const std::string& source) {
  // No exceptions past this layer: parse errors come back as a discarded value.
  const nlohmann::json doc = nlohmann::json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return fail("peer", source, 0, "answer is not a JSON object");
  auto list = doc.find("targets");
  if (list == doc.end() || !list->is_array()) return fail("peer", source, 0, "answer has no \"targets\" list");
  std::vector<std::pair<std::string, model::TargetState>> out;
  out.reserve(list->size());
  for (const auto& t : *list) {
    if (!t.is_object()) continue;
    auto name = t.find("name"), state = t.find("state");
    if (name == t.end() || state == t.end() || !name->is_string() || !state->is_string()) continue;
    const auto& s = state->get_ref<const std::string&>();
    const model::TargetState st = s == "down" ? model::TargetState::down
                                  : s == "up" ? model::TargetState::up
                                              : model::TargetState::unknown;
    out.emplace_back(name->get<std::string>(), st);
  }
  return out;
}

}  // namespace reach::config
