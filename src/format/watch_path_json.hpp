#pragma once
// watch's paths as JSON (docs/JSON.md, "reach watch"): the `path` event of the NDJSON stream
// and the body of GET /api/v1/targets/NAME/path. A hop's address is null for a star; a diff hop
// has `before`/`after` (null: a star, or beyond the end of that path), `change` (same, changed,
// added, removed, unknown) and `changed` (true for changed/added/removed).
#include <string>
#include <vector>

#include "model/watch_path.hpp"

namespace reach::format {

// One line, newline included. `trigger`: what started the trace (start, up, down, api).
// `up` null: no path seen while the target was up yet (then there is no diff).
std::string watch_path_event_json(const std::string& target, const std::string& trigger,
                                  const model::WatchPath& path, const model::WatchPath* up,
                                  const std::vector<model::PathDiffHop>& diff, const std::string& netns = {});

// {"target", "tracing", "up_path"|null, "latest_path"|null, "diff": [...], "changed"}
std::string watch_path_api_json(const std::string& target, bool tracing, const model::WatchPath* up,
                                const model::WatchPath* latest, const std::vector<model::PathDiffHop>& diff);

}  // namespace reach::format
