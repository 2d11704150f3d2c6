#pragma once
// What each notifier and the event stream receive for a watch event: the bytes are built once,
// when the event happens, and stored in the outbox as they will be sent.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/watch_config.hpp"
#include "model/watch.hpp"

namespace reach::tools::watch {

struct AlertContext {
  std::string instance;   // this agent (host name): the `instance` label, syslog HOSTNAME
  std::string external_url;  // http://LISTEN, for generatorURL; may be empty
  std::vector<std::pair<std::string, std::string>> labels;  // the target's labels
  std::string probe;      // "icmp", "http"...
};

// The outbox payload for `n` (webhook: Alertmanager v4 JSON; email: an RFC 5322 message;
// syslog: an RFC 5424 line; exec: the same JSON as a webhook, on stdin).
std::string notifier_payload(const config::Notifier& n, const model::WatchEvent& e, const AlertContext& ctx);
// One NDJSON line (no newline) per event and per round; a text line per event.
// `netns`: the namespace probed from (--netns), empty when none.
std::string event_ndjson(const model::WatchEvent& e, const std::string& netns = {});
std::string round_ndjson(const model::RoundResult& r, const std::string& netns = {});
std::string event_text(const model::WatchEvent& e);
// The one-line trail a state change leaves on stderr (the journal) with or without --events and
// notifiers: "web1: up -> down (Connection refused)", "web1: down -> up". Nothing for other
// events, nor for a first verdict of up (unknown -> up: every target says it at the start).
std::optional<std::string> state_trail(const model::WatchEvent& e);
// `reach watch --once --nagios`: the plugin line (STATUS: text | perfdata) and exit code.
std::pair<std::string, int> nagios_report(const std::vector<model::RoundResult>& rounds);

}  // namespace reach::tools::watch
