#pragma once
// What watch's /metrics exports: per target its labels, damped state, last round and running
// counters; per process the notifier and history counters. The daemon fills these; format/
// (watch_metrics.hpp) turns them into Prometheus series (names in docs/WATCH-EXPORTS.md).
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "model/watch.hpp"

namespace reach::model {

struct TargetMetrics {
  std::string name;
  WatchProbe probe = WatchProbe::icmp;
  // Extra labels from the target's config, in config order (names checked by the config layer
  // with format::watch_label_allowed()).
  std::vector<std::pair<std::string, std::string>> labels;
  TargetState state = TargetState::unknown;
  std::optional<RoundResult> last;  // none before the first round ends
  std::uint64_t rounds = 0, rounds_failed = 0;
  std::uint64_t packets_sent = 0, packets_received = 0;
  TimeNs last_success_wall = 0;  // unix ns, 0 = never
  // Every alert rule that applies to the target, and whether it is firing now.
  std::vector<std::pair<std::string, bool>> alerts;
};

struct NotifierMetrics {
  std::string name;  // the notifier's config key ("hook")
  std::uint64_t sent = 0, failed = 0;  // deliveries done / attempts that failed (retried later)
  std::uint64_t queued = 0;            // waiting in the outbox now
};

struct WatchProcessMetrics {
  std::uint64_t targets = 0;
  std::vector<NotifierMetrics> notifiers;
  std::uint64_t history_write_errors = 0;
  bool last_reload_ok = true;
  TimeNs last_reload_wall = 0;  // unix ns of the last successful (re)load, 0 = unknown
};

}  // namespace reach::model
