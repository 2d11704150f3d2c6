#pragma once
// watch's own /metrics: a few series per target and the process-wide counters, named
// reach_watch_* (every series, its type, labels and unit: docs/WATCH-EXPORTS.md). Values in base
// units (seconds, ratios 0..1, unix seconds for timestamps), as Prometheus' naming guide asks;
// `promtool check metrics` is clean on the text form (tests/unit/promtool_check.sh).
#include <string>
#include <string_view>
#include <vector>

#include "format/prom_exposition.hpp"
#include "model/watch_metrics.hpp"

namespace reach::format {

// A label name a target's config may add: valid for Prometheus and not one reach sets itself
// (target, probe, alert, state, notifier) nor one Prometheus sets on scrape (job, instance).
bool watch_label_allowed(std::string_view name);

std::vector<prom::Family> watch_metric_families(const std::vector<model::TargetMetrics>& targets,
                                                const model::WatchProcessMetrics& process);
// The /metrics body; fails only when a label name from the config was not checked with
// watch_label_allowed().
Result<std::string> write_watch_metrics(const std::vector<model::TargetMetrics>& targets,
                                        const model::WatchProcessMetrics& process, prom::Format format);

}  // namespace reach::format
