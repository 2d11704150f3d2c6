// `reach scan --grepable`: one line per host in nmap's -oG layout, so scripts written for
// `nmap -oG` parse it: "Host: ADDR ()\tPorts: 22/open/tcp//ssh///, ...\tIgnored State: closed (N)".
#include <fmt/format.h>

#include <algorithm>

#include "format/scan_writer.hpp"

namespace reach::format {
namespace {

class GrepWriter final : public ScanWriter {
 public:
  GrepWriter(std::ostream& out, std::ostream& err) : out_(out), err_(err) {}

  void start(const ScanRunInfo& info) override {
    out_ << fmt::format("# reach scan ({} scan) of {} address{}, {} port{} each\n", info.method, info.addresses,
                        info.addresses == 1 ? "" : "es", info.ports, info.ports == 1 ? "" : "s");
  }
  void notice(const std::string& text) override { err_ << "reach scan: " << text << '\n'; }

  void results(const std::vector<model::PortResult>& results) override {
    for (const auto& h : split_by_host(results)) {
      // nmap leaves out the most common of closed and filtered ("Ignored State").
      bool any_ignored = h.closed + h.filtered > 0;
      model::PortState ignored = h.closed >= h.filtered ? model::PortState::closed : model::PortState::filtered;
      std::uint64_t ignored_count = ignored == model::PortState::closed ? h.closed : h.filtered;
      std::string ports;
      for (auto* r = h.begin; r != h.end; ++r) {
        if (any_ignored && r->state == ignored) continue;
        // The banner goes where nmap puts the version; '/' and ',' would split the field.
        std::string version = r->banner;
        std::replace(version.begin(), version.end(), '/', '|');
        std::replace(version.begin(), version.end(), ',', ';');
        ports += fmt::format("{}{}/{}/tcp//{}//{}/", ports.empty() ? "" : ", ", r->port, port_state_name(r->state),
                             r->service, version);
      }
      std::string line = fmt::format("Host: {} ()\tPorts: {}", h.begin->addr.to_string(), ports);
      if (any_ignored) line += fmt::format("\tIgnored State: {} ({})", port_state_name(ignored), ignored_count);
      out_ << line << '\n';
    }
  }

  void summary(const model::ScanSummary& s) override { out_ << "# " << scan_summary_line(s) << '\n'; }

 private:
  std::ostream& out_;
  std::ostream& err_;
};

}  // namespace

std::unique_ptr<ScanWriter> make_scan_grep_writer(std::ostream& out, std::ostream& err) {
  return std::make_unique<GrepWriter>(out, err);
}

}  // namespace reach::format
