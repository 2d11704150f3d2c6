#pragma once
// Writers of `reach ping` results: human text in ping's and hping's words, or NDJSON.
#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "model/ping.hpp"

namespace reach::format {

struct PingRunInfo {
  model::Method method = model::Method::icmp;
  std::uint16_t port = 0;
  std::size_t payload = 0;
  std::string socket;          // "raw", "datagram", "udp", "connect"
  bool kernel_timestamps = false;
  std::vector<model::Target> targets;
  TimeNs wall_offset = 0;      // event times are CLOCK_MONOTONIC; add this for unix time
};

class PingWriter {
 public:
  virtual ~PingWriter() = default;
  virtual void start(const PingRunInfo& info) = 0;
  virtual void event(const model::ProbeEvent& e) = 0;
  virtual void summary(const model::PingSummary& s) = 0;
  virtual void notice(const std::string& text) = 0;
};

struct TextOptions {
  bool quiet = false;          // -q: only the header and the summary
  bool timestamps = false;     // -D: [unix time] before each line
  bool report_timeouts = false;  // -O
};

std::unique_ptr<PingWriter> make_text_writer(std::ostream& out, std::ostream& err, TextOptions opts);
std::unique_ptr<PingWriter> make_json_writer(std::ostream& out);

// Loss as ping prints it: 100 * (transmitted - received) / transmitted, 0 when nothing was sent.
double loss_percent(const model::PingSummary& s);
const char* method_name(model::Method m);

}  // namespace reach::format
