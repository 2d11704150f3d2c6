#pragma once
// What another watch agent says about its targets: the body of its GET /api/v1/targets
// (`peers:` in the watch file). Pure; the daemon fetches, this reads. Only `name` and `state`
// of each target are taken; an entry without them is skipped, anything else is an error.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.hpp"
#include "model/watch.hpp"

namespace reach::config {

// `source` names the peer (its URL) in errors.
Result<std::vector<std::pair<std::string, model::TargetState>>> parse_peer_targets(std::string_view body,
                                                                                   const std::string& source);

}  // namespace reach::config
