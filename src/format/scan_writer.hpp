#pragma once
// Writers of `reach scan` results: a text table per host (as nmap's), NDJSON, and a grepable
// one-line-per-host form (as nmap -oG).
#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "format/geo_note.hpp"
#include "model/scan.hpp"

namespace reach::format {

struct ScanRunInfo {
  std::string method;  // "syn" or "connect"
  std::uint64_t addresses = 0, ports = 0;
  double rate = 0;     // probes per second asked for
  int retries = 0;
  std::uint64_t seed = 0;
  GeoOf geo;           // --geo: country and AS of each host (text and NDJSON)
};

class ScanWriter {
 public:
  virtual ~ScanWriter() = default;
  virtual void start(const ScanRunInfo& info) = 0;
  virtual void notice(const std::string& text) = 0;
  // Every result of the scan, sorted by address then port (ScanEngine::results()).
  virtual void results(const std::vector<model::PortResult>& results) = 0;
  virtual void summary(const model::ScanSummary& s) = 0;
};

std::unique_ptr<ScanWriter> make_scan_text_writer(std::ostream& out, std::ostream& err);
std::unique_ptr<ScanWriter> make_scan_json_writer(std::ostream& out);
std::unique_ptr<ScanWriter> make_scan_grep_writer(std::ostream& out, std::ostream& err);

// "open", "closed", "filtered" (the reasons' words are model::port_reason_name).
const char* port_state_name(model::PortState s);
using model::port_reason_name;

// One host's slice of the sorted results.
struct HostPorts {
  const model::PortResult* begin;
  const model::PortResult* end;
  std::uint64_t open = 0, closed = 0, filtered = 0;
};
std::vector<HostPorts> split_by_host(const std::vector<model::PortResult>& results);

// The "N addresses (M up) ..." line of the text and grepable forms.
std::string scan_summary_line(const model::ScanSummary& s);

}  // namespace reach::format
