#pragma once
// guard's built-in `relay` rule: the NDJSON events of `reach relay --json`, one per line (a file
// the relay's output is appended to, or the MESSAGE of its journal entries). A line counts only
// when it is a `relay_limit` event, which the relay writes once per tick for each client its own
// prefix's limits refused (reason per_prefix_conns or per_prefix_rate); the address is that
// event's own top-level "client" field, read by a JSON parser, so no text inside another field
// (a backend's error, a message) can ever be taken for it. Other relay events (start, backend,
// ban, ...) are recognised and left alone; a line that is not a JSON object, or a relay_limit
// event that is malformed or forged (a key twice, a field of the wrong type, an unknown
// version or reason), is refused and counted by the caller. Pure; docs/GUARD.md.
#include <cstdint>
#include <string_view>

#include "base/ip_addr.hpp"

namespace reach::engine {

enum class RelayLine : std::uint8_t {
  limit,     // a relay_limit event: client and count are set
  other,     // a JSON object that is not a relay_limit event (relay_start, relay_ban, ...)
  not_json,  // not a JSON object
  forged,    // a relay_limit event that cannot be trusted: duplicate keys, wrong types, bad client
};

struct RelayEvent {
  RelayLine kind = RelayLine::not_json;
  IpAddr client;            // limit: IPv4-mapped IPv6 already unmapped
  std::uint64_t count = 0;  // limit: connections refused since the previous event (>= 1)
};

RelayEvent read_relay_event(std::string_view line);

// The failures one relay_limit event counts for: its count, at most 100 (a rule's largest weight).
int relay_event_weight(std::uint64_t count);

}  // namespace reach::engine
