// traceroute's text for `reach trace`, and the mtr --report table.
#include <fmt/format.h>

#include <cmath>
#include <vector>

#include "base/text.hpp"
#include "format/trace_writer.hpp"

namespace reach::format {

const char* trace_method_name(model::TraceMethod m) {
  switch (m) {
    case model::TraceMethod::udp: return "udp";
    case model::TraceMethod::icmp: return "icmp";
    case model::TraceMethod::tcp: return "tcp";
  }
  return "?";
}

std::string mpls_text(const std::vector<model::MplsEntry>& stack) {
  // traceroute -e's words: <MPLS:L=label,E=tc,S=bottom,T=ttl/...>
  std::string s;
  for (const auto& e : stack)
    s += fmt::format("{}L={},E={},S={},T={}", s.empty() ? "" : "/", e.label, e.tc, e.bottom ? 1 : 0, e.ttl);
  return "<MPLS:" + s + ">";
}

namespace {

std::string label(const IpAddr& a, const NameOf& name, bool numeric) {
  std::string ip = a.to_string();
  if (numeric) return ip;
  auto n = name ? name(a) : std::nullopt;
  return fmt::format("{} ({})", n ? printable(*n) : ip, ip);
}

class TextWriter final : public TraceWriter {
 public:
  TextWriter(std::ostream& out, std::ostream& err) : out_(out), err_(err) {}

  void start(const TraceRunInfo& i) override {
    info_ = i;
    // traceroute's header line, word for word, so scripts that parse it keep working.
    out_ << fmt::format("traceroute to {} ({}), {} hops max, {} byte packets\n", i.name, i.target.to_string(),
                        i.max_ttl, i.packet_len);
    out_.flush();
  }

  void probe(const model::TraceProbe&) override {}

  // " 7  a (a)  12.802 ms" with each further responder of the hop on its own line under it;
  // stars for unanswered probes stay on the first line, where traceroute would put them.
  void hop(const model::TraceHop& h, const NameOf& name) override {
    struct Line {
      IpAddr addr;
      std::string text;
      std::vector<model::MplsEntry> mpls;
    };
    std::vector<Line> lines;
    std::string first = fmt::format("{:2d} ", h.ttl);
    std::string stars;
    for (const auto& p : h.probes) {
      if (p.answer == model::TraceAnswer::none) {
        (lines.empty() ? stars : lines.front().text) += p.flag == "!E" ? " *" : " *";
        continue;
      }
      Line* l = nullptr;
      for (auto& x : lines)
        if (x.addr == p.from) l = &x;
      if (!l) {
        lines.push_back({p.from, stars + " " + label(p.from, name, info_.numeric) + geo_suffix(info_.geo, p.from), {}});
        stars.clear();
        l = &lines.back();
      }
      // The label stack after the address; again after an RTT only when it changed.
      if (!p.mpls.empty() && p.mpls != l->mpls) {
        // Appended in two steps: `" " + std::string&&` trips GCC 12's -Wrestrict false positive
        // at -O2 (GCC bug 105329).
        l->text += ' ';
        l->text += mpls_text(p.mpls);
        l->mpls = p.mpls;
      }
      if (p.rtt) l->text += fmt::format("  {:.3f} ms", ns_to_ms(*p.rtt));
      if (!p.flag.empty()) l->text += " " + p.flag;
    }
    if (lines.empty()) {
      out_ << first << stars << '\n';
    } else {
      out_ << first << lines.front().text << '\n';
      for (std::size_t i = 1; i < lines.size(); ++i) out_ << "   " << lines[i].text << '\n';
    }
    out_.flush();
  }

  void end(const model::TraceResult&, const NameOf&) override { out_.flush(); }

  void notice(const std::string& text) override { err_ << "reach trace: " << text << '\n'; }

 private:
  std::ostream& out_;
  std::ostream& err_;
  TraceRunInfo info_;
};

}  // namespace

std::unique_ptr<TraceWriter> make_trace_text_writer(std::ostream& out, std::ostream& err) {
  return std::make_unique<TextWriter>(out, err);
}

void write_trace_report_text(std::ostream& out, const std::string& host, const std::vector<model::TraceReportRow>& rows,
                             const NameOf& name, const GeoOf& geo) {
  // mtr --report's layout: the host column, then Loss% Snt Last Avg Best Wrst StDev.
  out << fmt::format("HOST: {:<38}Loss%   Snt   Last   Avg  Best  Wrst StDev\n", host);
  for (const auto& r : rows) {
    std::string who = "???";
    if (r.addr) {
      auto n = name ? name(*r.addr) : std::nullopt;
      who = (n ? printable(*n) : r.addr->to_string()) + geo_suffix(geo, *r.addr);
    }
    std::string lead = r.first_of_hop ? fmt::format("{:3d}.|-- ", r.ttl) : std::string("    |   ");
    double loss = r.sent ? 100.0 * static_cast<double>(r.sent - std::min(r.sent, r.hop_received)) /
                               static_cast<double>(r.sent)
                         : 0.0;
    out << fmt::format("{}{:<38}{:5.1f}%{:6d}{:7.1f}{:6.1f}{:6.1f}{:6.1f}{:6.1f}\n", lead, who, loss, r.sent,
                       r.last_ms, r.avg_ms, r.best_ms, r.worst_ms, r.stdev_ms);
  }
  out.flush();
}

}  // namespace reach::format
