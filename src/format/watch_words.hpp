#pragma once
// The words every watch export uses for probe kinds, states and event kinds, so /metrics
// labels, NDJSON, syslog and the Alertmanager payloads agree.
#include "model/watch.hpp"

namespace reach::format {

const char* watch_probe_word(model::WatchProbe p);        // icmp tcp syn udp http dns
const char* watch_state_word(model::TargetState s);       // unknown up down
const char* watch_event_word(model::WatchEvent::Kind k);  // state_change firing resolved reminder flapping error

}  // namespace reach::format
