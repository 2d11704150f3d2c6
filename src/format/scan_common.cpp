// What the three scan writers share: state and reason names, grouping by host, the summary line.
#include <fmt/format.h>

#include "format/scan_writer.hpp"

namespace reach::format {

const char* port_state_name(model::PortState s) {
  switch (s) {
    case model::PortState::open: return "open";
    case model::PortState::closed: return "closed";
    case model::PortState::filtered: return "filtered";
  }
  return "?";
}

std::vector<HostPorts> split_by_host(const std::vector<model::PortResult>& results) {
  std::vector<HostPorts> hosts;
  for (const auto& r : results) {
    if (hosts.empty() || !(hosts.back().begin->addr == r.addr)) hosts.push_back(HostPorts{&r, &r, 0, 0, 0});
    HostPorts& h = hosts.back();
    h.end = &r + 1;
    switch (r.state) {
      case model::PortState::open: ++h.open; break;
      case model::PortState::closed: ++h.closed; break;
      case model::PortState::filtered: ++h.filtered; break;
    }
  }
  return hosts;
}

std::string scan_summary_line(const model::ScanSummary& s) {
  return fmt::format(
      "{} address{} ({} up), {} port{} each, scanned in {:.2f} s: {} sent in {} pass{}, {} replies, {} duplicate{}, "
      "{} ignored{}",
      s.addresses, s.addresses == 1 ? "" : "es", s.hosts_up, s.ports, s.ports == 1 ? "" : "s",
      static_cast<double>(s.elapsed) / 1e9, s.sent, s.passes, s.passes == 1 ? "" : "es", s.replies, s.duplicates,
      s.duplicates == 1 ? "" : "s", s.ignored, s.send_errors ? fmt::format(", {} send errors", s.send_errors) : "");
}

}  // namespace reach::format
