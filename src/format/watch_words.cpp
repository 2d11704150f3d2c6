// Names of watch's enums in every export.
#include "format/watch_words.hpp"

namespace reach::format {

const char* watch_probe_word(model::WatchProbe p) {
  switch (p) {
    case model::WatchProbe::icmp: return "icmp";
    case model::WatchProbe::tcp: return "tcp";
    case model::WatchProbe::syn: return "syn";
    case model::WatchProbe::udp: return "udp";
    case model::WatchProbe::http: return "http";
    case model::WatchProbe::dns: return "dns";
    case model::WatchProbe::snmp: return "snmp";
    case model::WatchProbe::dnsbl: return "dnsbl";
  }
  return "unknown";
}

const char* watch_state_word(model::TargetState s) {
  switch (s) {
    case model::TargetState::unknown: return "unknown";
    case model::TargetState::up: return "up";
    case model::TargetState::down: return "down";
  }
  return "unknown";
}

const char* watch_event_word(model::WatchEvent::Kind k) {
  using K = model::WatchEvent::Kind;
  switch (k) {
    case K::state_change: return "state_change";
    case K::firing: return "firing";
    case K::resolved: return "resolved";
    case K::reminder: return "reminder";
    case K::flapping: return "flapping";
    case K::error: return "error";
  }
  return "unknown";
}

}  // namespace reach::format
