// Human output of `reach scan`: a table per host in nmap's words; the most common of closed /
// filtered is folded into a "Not shown" line when it would run past 25 rows, as nmap does.
#include <fmt/format.h>

#include <map>

#include "format/scan_writer.hpp"

namespace reach::format {
namespace {

constexpr std::uint64_t kFoldAbove = 25;

class TextWriter final : public ScanWriter {
 public:
  TextWriter(std::ostream& out, std::ostream& err) : out_(out), err_(err) {}

  void start(const ScanRunInfo& info) override {
    geo_ = info.geo;
    out_ << fmt::format("Scanning {} address{}, {} port{} each ({} scan)\n", info.addresses,
                        info.addresses == 1 ? "" : "es", info.ports, info.ports == 1 ? "" : "s", info.method);
  }

  void notice(const std::string& text) override { err_ << "reach scan: " << text << '\n'; }

  void results(const std::vector<model::PortResult>& results) override {
    for (const auto& h : split_by_host(results)) host(h);
  }

  void summary(const model::ScanSummary& s) override { out_ << '\n' << scan_summary_line(s) << '\n'; }

 private:
  void host(const HostPorts& h) {
    out_ << "\nScan report for " << h.begin->addr.to_string() << geo_suffix(geo_, h.begin->addr) << '\n';
    bool fold_closed = h.closed > kFoldAbove && h.closed >= h.filtered;
    bool fold_filtered = !fold_closed && h.filtered > kFoldAbove;
    auto folded = [&](const model::PortResult& r) {
      return (fold_closed && r.state == model::PortState::closed) ||
             (fold_filtered && r.state == model::PortState::filtered);
    };
    if (fold_closed || fold_filtered) {
      // Count the folded ports by reason, as nmap's "Not shown: 65505 closed tcp ports (reset)".
      std::map<std::string, std::uint64_t> reasons;
      for (auto* r = h.begin; r != h.end; ++r)
        if (folded(*r)) ++reasons[port_reason_name(r->reason)];
      std::string why;
      for (const auto& [name, n] : reasons) why += fmt::format("{}{} {}", why.empty() ? "" : ", ", n, name);
      out_ << fmt::format("Not shown: {} {} tcp ports ({})\n", fold_closed ? h.closed : h.filtered,
                          fold_closed ? "closed" : "filtered", why);
    }
    bool any = false;
    for (auto* r = h.begin; r != h.end; ++r) {
      if (folded(*r)) continue;
      if (!any) out_ << fmt::format("{:<11} {:<9} {:<15} {}\n", "PORT", "STATE", "SERVICE", "REASON");
      any = true;
      std::string reason = port_reason_name(r->reason);
      if (r->ttl >= 0) reason += fmt::format(" ttl {}", r->ttl);
      if (!(r->from == r->addr)) reason += " from " + r->from.to_string();
      if (!r->banner.empty()) reason += "  " + r->banner;
      out_ << fmt::format("{:<11} {:<9} {:<15} {}\n", fmt::format("{}/tcp", r->port), port_state_name(r->state),
                          r->service.empty() ? "unknown" : r->service, reason);
    }
  }

  GeoOf geo_;
  std::ostream& out_;
  std::ostream& err_;
};

}  // namespace

std::unique_ptr<ScanWriter> make_scan_text_writer(std::ostream& out, std::ostream& err) {
  return std::make_unique<TextWriter>(out, err);
}

}  // namespace reach::format
