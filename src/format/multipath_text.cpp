// Text of a multipath trace: a header, then per hop each interface on its own line followed by
// its successors, as scamper's tracelb and dublin-traceroute users read them. See docs/TRACE-MDA.md.
#include <fmt/format.h>

#include <vector>

#include "base/text.hpp"
#include "format/multipath_writer.hpp"

namespace reach::format {
namespace {

std::string label(const IpAddr& a, const MultipathTextOptions& opts) {
  if (opts.names) {
    const auto it = opts.names->find(a);
    if (it != opts.names->end() && !it->second.empty()) return fmt::format("{} ({})", printable(it->second), a.to_string());
  }
  return a.to_string();
}

}  // namespace

void write_multipath_text(std::ostream& out, const model::MultipathGraph& g, const MultipathTextOptions& opts) {
  out << fmt::format("mda to {}, {:.0f}% confidence per hop ({}), {} probes, stopped at {}\n",
                     g.destination.to_string(), 100 * (1 - g.alpha), g.algorithm, g.probes_sent,
                     model::stop_name(g.stop));
  for (const auto& h : g.hops) {
    const std::string num = fmt::format("{:2d}  ", h.ttl);
    const std::string pad(num.size(), ' ');
    if (h.interfaces.empty()) {
      out << num << "*\n";
      continue;
    }
    bool first = true;
    for (const auto& i : h.interfaces) {
      std::string line = (first ? num : pad) + label(i.addr, opts);
      std::vector<std::string> next;
      for (const auto& l : g.links) {
        if (l.from_ttl != h.ttl || !(l.from == i.addr)) continue;
        next.push_back(l.to_ttl == h.ttl + 1 ? l.to.to_string() : fmt::format("{} (hop {})", l.to.to_string(), l.to_ttl));
      }
      if (!next.empty()) line += "  -> " + fmt::format("{}", fmt::join(next, ", "));
      if (i.is_destination) line += "  [destination]";
      if (first && h.per_packet) line += "  [per-packet]";
      out << line << '\n';
      first = false;
    }
  }
}

}  // namespace reach::format
