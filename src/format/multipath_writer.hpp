#pragma once
// Writers of a multipath trace (`reach trace --mda`): hops with all their interfaces and the
// links between them, as text or NDJSON. They read only model::MultipathGraph.
#include <map>
#include <ostream>
#include <string>

#include "model/multipath.hpp"

namespace reach::format {

struct MultipathTextOptions {
  const std::map<IpAddr, std::string>* names = nullptr;  // reverse DNS, when known (not with -n)
};

// docs/TRACE-MDA.md shows the shape:
//  2  198.18.2.1  -> 198.18.3.1
//     198.18.2.5  -> 198.18.3.1
void write_multipath_text(std::ostream& out, const model::MultipathGraph& g, const MultipathTextOptions& opts = {});
// One {"type":"mda_hop"} per hop, one {"type":"mda_link"} per link, then {"type":"mda_summary"}.
void write_multipath_json(std::ostream& out, const model::MultipathGraph& g);

}  // namespace reach::format
