#pragma once
// watch's path change detection: a trace reduced to one address per hop, and the hop-by-hop
// comparison with the last path seen while the target was up. Pure.
#include <vector>

#include "model/multipath.hpp"
#include "model/trace.hpp"
#include "model/watch_path.hpp"

namespace reach::engine {

// The first address that answered at each TTL up to the end of the trace; the trailing stars
// of a trace that never arrived are cut (a path toward a black hole ends at its last answer).
std::vector<model::PathHop> path_hops(const model::TraceResult& r);
// The same from an MDA graph: every interface of each hop (the lowest in `addr`, the others in
// `also`), the trailing silent hops cut.
std::vector<model::PathHop> path_hops(const model::MultipathGraph& g);

// TTL by TTL over the longer of the two paths.
std::vector<model::PathDiffHop> diff_paths(const std::vector<model::PathHop>& before,
                                           const std::vector<model::PathHop>& after);

bool any_change(const std::vector<model::PathDiffHop>& d);

}  // namespace reach::engine
