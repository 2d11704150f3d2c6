// guard's `relay` rule (guard_relay.hpp): one NDJSON line of `reach relay --json` in, the client
// of a limit hit out. nlohmann-json (already the project's JSON library) parses the line; its
// callback sees every top-level key, so a key written twice (nlohmann would keep the last one)
// makes the line forged instead of silently picking one of them.
#include "engine/guard_relay.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "base/ip_prefix.hpp"

namespace reach::engine {

RelayEvent read_relay_event(std::string_view line) {
  RelayEvent out;
  if (line.empty() || line.front() != '{') return out;  // every relay event is an object; skip parsing the rest
  std::set<std::string> keys;
  bool duplicate = false;
  auto cb = [&](int depth, nlohmann::json::parse_event_t ev, nlohmann::json& parsed) {
    if (depth == 1 && ev == nlohmann::json::parse_event_t::key && parsed.is_string() &&
        !keys.insert(parsed.get_ref<const std::string&>()).second)
      duplicate = true;
    return true;
  };
  auto j = nlohmann::json::parse(line.begin(), line.end(), cb, /*allow_exceptions=*/false);
  if (!j.is_object()) return out;
  auto type = j.find("type");
  const bool limit = type != j.end() && type->is_string() && type->get_ref<const std::string&>() == "relay_limit";
  out.kind = RelayLine::forged;
  if (duplicate) return out;  // a second "type" or "client" could hide behind any first one
  if (!limit) {
    out.kind = RelayLine::other;
    return out;
  }
  auto version = j.find("version");
  auto client = j.find("client");
  auto reason = j.find("reason");
  auto count = j.find("count");
  if (version == j.end() || !version->is_number_unsigned() || version->get<std::uint64_t>() != 1) return out;
  if (reason == j.end() || !reason->is_string()) return out;
  const auto& r = reason->get_ref<const std::string&>();
  if (r != "per_prefix_conns" && r != "per_prefix_rate") return out;
  if (count == j.end() || !count->is_number_unsigned() || count->get<std::uint64_t>() == 0) return out;
  if (client == j.end() || !client->is_string()) return out;
  const auto& text = client->get_ref<const std::string&>();
  // The relay writes IpAddr::to_string(): digits, hex, ':' and '.', no zone, no brackets.
  if (text.size() < 2 || text.size() > 45 ||
      !std::all_of(text.begin(), text.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.';
      }))
    return out;
  auto addr = IpAddr::parse(text);
  if (!addr) return out;
  out.kind = RelayLine::limit;
  out.client = unmap_v4(*addr);
  out.count = count->get<std::uint64_t>();
  return out;
}

int relay_event_weight(std::uint64_t count) { return static_cast<int>(std::min<std::uint64_t>(count, 100)); }

}  // namespace reach::engine
