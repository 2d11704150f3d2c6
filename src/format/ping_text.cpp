// Text output in the words of iputils ping (ICMP, UDP, connect) and hping3 (TCP SYN), so that
// scripts written for those tools parse ours.
#include <fmt/format.h>
#include <fmt/printf.h>

#include "format/ping_writer.hpp"
#include "packet/tcp.hpp"

namespace reach::format {

double loss_percent(const model::PingSummary& s) {
  if (s.transmitted == 0) return 0;
  return static_cast<double>(s.transmitted - std::min(s.received, s.transmitted)) * 100.0 /
         static_cast<double>(s.transmitted);
}

const char* method_name(model::Method m) {
  switch (m) {
    case model::Method::icmp: return "icmp";
    case model::Method::tcp_syn: return "tcp";
    case model::Method::tcp_connect: return "connect";
    case model::Method::udp: return "udp";
  }
  return "?";
}

namespace {

std::string ms(TimeNs ns) { return fmt::format("{:.3f}", ns_to_ms(ns)); }

class TextWriter final : public PingWriter {
 public:
  TextWriter(std::ostream& out, std::ostream& err, TextOptions o) : out_(out), err_(err), opts_(o) {}

  void start(const PingRunInfo& info) override {
    info_ = info;
    for (const auto& t : info.targets) {
      std::string a = t.addr.to_string();
      std::size_t ip = t.addr.is_v4() ? 20 : 40;
      switch (info.method) {
        case model::Method::icmp:
          out_ << fmt::format("PING {} ({}) {}({}) bytes of data.\n", t.name, a, info.payload, info.payload + 8 + ip);
          break;
        case model::Method::tcp_syn:
          out_ << fmt::format("PING {} ({}) tcp port {}: S set, {} headers + {} data bytes\n", t.name, a, info.port,
                              ip + 24, info.payload);
          break;
        case model::Method::tcp_connect:
          out_ << fmt::format("PING {} ({}) tcp port {}: connect()\n", t.name, a, info.port);
          break;
        case model::Method::udp:
          out_ << fmt::format("PING {} ({}) udp port {}: {} data bytes\n", t.name, a, info.port, info.payload);
          break;
      }
    }
    out_.flush();
  }

  void event(const model::ProbeEvent& e) override {
    if (opts_.quiet) return;
    std::string line = prefix(e.when);
    std::string seq = seq_field(e.seq);
    std::string mark = e.duplicate ? " (DUP!)" : (e.late ? " (LATE)" : "");
    std::string ttl = e.ttl >= 0 ? fmt::format(" ttl={}", e.ttl) : "";
    std::string rtt = e.rtt ? ms(*e.rtt) : "?";
    const std::string& target = info_.targets.at(e.target).name;
    switch (e.type) {
      case model::EventType::reply:
        line += reply_line(e, seq, ttl, rtt);
        break;
      case model::EventType::icmp_error:
        line += fmt::format("From {} {} {}", e.from.to_string(), seq, e.icmp_name.empty() ? e.error : e.icmp_name);
        line += about(e);
        break;
      case model::EventType::timeout:
        if (!opts_.report_timeouts) return;
        line += fmt::format("no answer yet for {}", seq) + about(e);
        break;
      case model::EventType::send_error:
        line += fmt::format("send to {} failed: {} ({})", target, e.error, seq);
        break;
    }
    out_ << line << mark << '\n';
    out_.flush();
  }

  void summary(const model::PingSummary& s) override {
    const auto& t = info_.targets.at(s.target);
    std::string l = fmt::format("\n--- {} ping statistics ---\n{} packets transmitted, {} received", t.name,
                                s.transmitted, s.received);
    if (s.duplicates) l += fmt::format(", +{} duplicates", s.duplicates);
    if (s.errors) l += fmt::format(", +{} errors", s.errors);
    l += fmt::sprintf(", %g%% packet loss", loss_percent(s));
    l += fmt::format(", time {}ms\n", (s.elapsed + kNsPerMs / 2) / kNsPerMs);  // rounded, as ping
    if (s.received > 0)
      l += fmt::format("rtt min/avg/max/mdev = {}/{:.3f}/{}/{:.3f} ms\n", ms(s.rtt_min), s.rtt_avg / 1e6,
                       ms(s.rtt_max), s.rtt_mdev / 1e6);
    if (s.late || s.ignored)
      l += fmt::format("{} late replies not counted, {} malformed or forged packets ignored\n", s.late, s.ignored);
    if (s.socket_drops)
      l += fmt::format("{} packets dropped by reach's own socket (receive buffer full): not the network's loss\n",
                       s.socket_drops);
    out_ << l;
    out_.flush();
  }

  void notice(const std::string& text) override { err_ << "reach: " << text << '\n'; }

 private:
  std::string prefix(TimeNs when) const {
    if (!opts_.timestamps) return {};
    when += info_.wall_offset;
    return fmt::format("[{}.{:06}] ", when / kNsPerSec, (when % kNsPerSec) / 1000);
  }

  // ping has one target; with several, say which one a line is about (as fping does).
  std::string about(const model::ProbeEvent& e) const {
    if (info_.targets.size() < 2) return {};
    return fmt::format(" for {}", info_.targets.at(e.target).addr.to_string());
  }

  std::string seq_field(std::uint32_t seq) const {
    switch (info_.method) {
      case model::Method::icmp: return fmt::format("icmp_seq={}", seq);
      case model::Method::tcp_syn: return fmt::format("seq={}", seq - 1);  // hping counts from 0
      case model::Method::tcp_connect: return fmt::format("tcp_seq={}", seq);
      case model::Method::udp: return fmt::format("udp_seq={}", seq);
    }
    return {};
  }

  std::string reply_line(const model::ProbeEvent& e, const std::string& seq, const std::string& ttl,
                         const std::string& rtt) const {
    std::string from = e.from.to_string();
    switch (info_.method) {
      case model::Method::icmp:
        return fmt::format("{} bytes from {}: {}{} time={} ms", e.bytes, from, seq, ttl, rtt);
      case model::Method::tcp_syn: {
        std::string l = fmt::format("len={} ip={}{}", e.ip_len, from, ttl);
        if (e.dont_fragment) l += " DF";
        if (e.ip_id) l += fmt::format(" id={}", *e.ip_id);
        return l + fmt::format(" sport={} flags={} {} win={} rtt={} ms", e.sport, packet::tcp_flags_string(e.tcp_flags), seq,
                               e.tcp_window, rtt);
      }
      case model::Method::tcp_connect:
        if (e.refused) return fmt::format("refused by {} port {} (closed): {} time={} ms", from, e.sport, seq, rtt);
        return fmt::format("connected to {} port {}: {} time={} ms", from, e.sport, seq, rtt);
      case model::Method::udp:
        if (!e.icmp_name.empty())
          return fmt::format("From {} {} {} (port closed, host alive) time={} ms", from, seq, e.icmp_name, rtt);
        return fmt::format("{} bytes from {} port {}: {}{} time={} ms", e.bytes, from, e.sport, seq, ttl, rtt);
    }
    return {};
  }

  std::ostream& out_;
  std::ostream& err_;
  TextOptions opts_;
  PingRunInfo info_;
};

}  // namespace

std::unique_ptr<PingWriter> make_text_writer(std::ostream& out, std::ostream& err, TextOptions opts) {
  return std::make_unique<TextWriter>(out, err, opts);
}

}  // namespace reach::format
