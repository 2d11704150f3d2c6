#pragma once
// Writers of `reach trace` results: traceroute's text, NDJSON, and the mtr-like report table.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "format/geo_note.hpp"
#include "model/trace.hpp"

namespace reach::format {

struct TraceRunInfo {
  std::string name;  // the target as typed
  IpAddr target;
  IpAddr source;
  model::TraceMethod method = model::TraceMethod::udp;
  std::uint16_t port = 0;
  int first_ttl = 1, max_ttl = 30, queries = 3;
  std::size_t packet_len = 0;  // IP + L4 bytes of one probe
  std::string socket;          // "raw", "udp", "datagram"
  bool kernel_timestamps = false;
  bool paris = true;
  bool numeric = false;
  TimeNs wall_offset = 0;      // add to a TimeNs of the run to get unix time
  GeoOf geo;                   // --geo: country and AS of each responder
};

// Reverse-DNS name of an address when known (nullopt: not back, or none).
using NameOf = std::function<std::optional<std::string>(const IpAddr&)>;

class TraceWriter {
 public:
  virtual ~TraceWriter() = default;
  virtual void start(const TraceRunInfo& info) = 0;
  virtual void probe(const model::TraceProbe& p) = 0;  // as answers come in (JSON only)
  virtual void hop(const model::TraceHop& h, const NameOf& name) = 0;
  virtual void end(const model::TraceResult& r, const NameOf& name) = 0;
  virtual void notice(const std::string& text) = 0;
};

std::unique_ptr<TraceWriter> make_trace_text_writer(std::ostream& out, std::ostream& err);
std::unique_ptr<TraceWriter> make_trace_json_writer(std::ostream& out);

const char* trace_method_name(model::TraceMethod m);
// "<MPLS:L=24001,E=0,S=1,T=1>", stack entries joined by '/', as traceroute -e prints them.
std::string mpls_text(const std::vector<model::MplsEntry>& stack);

// The table as `mtr --report` prints it (Loss% is the hop's: probes of the hop nobody answered).
void write_trace_report_text(std::ostream& out, const std::string& host, const std::vector<model::TraceReportRow>& rows,
                             const NameOf& name, const GeoOf& geo = {});
void write_trace_report_json(std::ostream& out, const TraceRunInfo& info, const std::vector<model::TraceReportRow>& rows,
                             const NameOf& name, bool reached);

}  // namespace reach::format
