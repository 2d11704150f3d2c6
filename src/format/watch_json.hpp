#pragma once
// watch's NDJSON stream (`--events FILE|-`): one object per WatchEvent and, when asked, per
// round, in the project's schema (docs/JSON.md, "reach watch"): `type`, `version` 1, `time`
// (unix seconds, float) plus `timestamp` (RFC 3339 UTC, for Logstash/Filebeat without grok);
// every numeric field is a JSON number (RTTs both `_ms` float and `_ns` integer, as ping).
#include <nlohmann/json_fwd.hpp>

#include <string>
#include <vector>

#include "model/watch.hpp"

namespace reach::format {

// One line each, newline included. `netns`: the network namespace probed from (`--netns`;
// the key `netns` as `reach sockets` names one), left out when empty.
std::string watch_event_json(const model::WatchEvent& e, const std::string& netns = {});
std::string watch_round_json(const model::RoundResult& r, const std::string& netns = {});
// An snmp round's values: [{"name", "oid", "value", "rate", "text"}] (NDJSON rounds, the API).
nlohmann::json watch_snmp_values_json(const std::vector<model::SnmpValue>& values);

}  // namespace reach::format
