// netstat-style text output of `reach sockets`.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <sys/socket.h>

#include "base/text.hpp"
#include "format/sockets_writer.hpp"

namespace reach::format {
namespace {

using model::SockProto;
using model::SocketRow;

const char* unix_type(int t) {
  switch (t) {
    case SOCK_STREAM: return "STREAM";
    case SOCK_DGRAM: return "DGRAM";
    case SOCK_SEQPACKET: return "SEQPACKET";
  }
  return "?";
}

// netstat -x's state words for unix sockets.
std::string unix_state(const SocketRow& r) {
  switch (r.state) {
    case model::kListen: return "LISTENING";
    case model::kEstablished: return "CONNECTED";
    case model::kSynSent: return "CONNECTING";
    case model::kClose: return r.peer_inode ? "CONNECTED" : "";
  }
  return model::state_name(r.state);
}

// The peer's "[DE AS64501]"; "-" for no peer (a listener) or nothing known.
std::string peer_geo(const SocketRow& r, const GeoOf& geo) {
  if (r.peer.is_unspecified()) return "-";
  auto b = geo_brackets(geo(r.peer));
  return b.empty() ? "-" : b;
}

void inet_table(std::ostream& out, const std::vector<SocketRow>& rows, const SocketsTextOptions& o) {
  const char* scope = o.scope == SocketsTextOptions::Scope::all         ? "servers and established"
                      : o.scope == SocketsTextOptions::Scope::listening ? "only servers"
                                                                        : "w/o servers";
  std::string head = fmt::format("{:<5} {:>6} {:>6} {:<23} {:<23} {:<11}", "Proto", "Recv-Q", "Send-Q",
                                 "Local Address", "Foreign Address", "State");
  if (o.extended) head += fmt::format(" {:<10} {:<10}", "User", "Inode");
  if (o.programs) head += fmt::format(" {:<20}", "PID/Program name");
  if (o.netns) head += " Netns";
  if (o.geo) head += " Geo";
  while (!head.empty() && head.back() == ' ') head.pop_back();
  out << "Active Internet connections (" << scope << ")\n" << head << '\n';
  std::string line, buf;
  buf.reserve(1 << 16);
  for (const auto& r : rows) {
    if (r.proto == SockProto::unix_) continue;
    line = fmt::format("{:<5} {:>6} {:>6} {:<23} {:<23} {:<11}", model::proto_name(r), r.recv_q, r.send_q,
                       endpoint_text(r.local, r.local_port), endpoint_text(r.peer, r.peer_port), state_text(r));
    if (o.extended) line += fmt::format(" {:<10} {:<10}", r.uid ? std::to_string(*r.uid) : "-", r.inode);
    if (o.programs) line += fmt::format(" {:<20}", owner_text(r));
    if (o.netns) line += " " + (r.netns.empty() ? std::string("-") : r.netns);
    if (o.geo) line += " " + peer_geo(r, o.geo);
    while (!line.empty() && line.back() == ' ') line.pop_back();
    buf += line;
    buf += '\n';
    if (buf.size() >= 60000) {  // few large writes instead of one per row
      out.write(buf.data(), static_cast<std::streamsize>(buf.size()));
      buf.clear();
    }
  }
  out.write(buf.data(), static_cast<std::streamsize>(buf.size()));
}

void unix_table(std::ostream& out, const std::vector<SocketRow>& rows, const SocketsTextOptions& o) {
  std::string head = fmt::format("{:<5} {:>6} {:>6} {:<10} {:<13} {:>8} {:>8}", "Proto", "Recv-Q", "Send-Q", "Type",
                                 "State", "I-Node", "Peer");
  if (o.extended) head += fmt::format(" {:<10}", "User");
  if (o.programs) head += fmt::format(" {:<20}", "PID/Program name");
  if (o.netns) head += fmt::format(" {:<12}", "Netns");
  head += " Path";
  out << "Active UNIX domain sockets (" <<
      (o.scope == SocketsTextOptions::Scope::all         ? "servers and established"
       : o.scope == SocketsTextOptions::Scope::listening ? "only servers"
                                                         : "w/o servers")
      << ")\n" << head << '\n';
  std::string line;
  for (const auto& r : rows) {
    if (r.proto != SockProto::unix_) continue;
    line = fmt::format("{:<5} {:>6} {:>6} {:<10} {:<13} {:>8} {:>8}", "unix", r.recv_q, r.send_q,
                       unix_type(r.unix_type), unix_state(r), r.inode,
                       r.peer_inode ? std::to_string(r.peer_inode) : "-");
    if (o.extended) line += fmt::format(" {:<10}", r.uid ? std::to_string(*r.uid) : "-");
    if (o.programs) line += fmt::format(" {:<20}", owner_text(r));
    if (o.netns) line += fmt::format(" {:<12}", r.netns.empty() ? std::string("-") : r.netns);
    line += " " + printable(r.path);
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << '\n';
  }
}

}  // namespace

std::string endpoint_text(const IpAddr& a, std::uint16_t port) {
  // netstat shows IPv4-mapped addresses of dual-stack sockets as plain IPv4.
  static const std::uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  const bool is_mapped = !a.is_v4() && std::equal(mapped, mapped + 12, a.data());
  const std::string addr = is_mapped ? IpAddr::from_bytes(Family::v4, a.data() + 12).to_string() : a.to_string();
  return addr + ":" + (port == 0 ? std::string("*") : std::to_string(port));
}

std::string state_text(const SocketRow& r) {
  if (r.proto == SockProto::raw) return std::to_string(r.state);  // netstat prints raw states as numbers
  if (r.proto == SockProto::udp && r.state == model::kClose) return "";
  return model::state_name(r.state);
}

std::string owner_text(const SocketRow& r) {
  if (r.owners.empty()) return "-";
  return fmt::format("{}/{}", r.owners.front().pid, printable(r.owners.front().program));
}

void write_sockets_text(std::ostream& out, const std::vector<SocketRow>& rows, const SocketsTextOptions& opts) {
  if (opts.inet) inet_table(out, rows, opts);
  if (opts.unix_sockets) unix_table(out, rows, opts);
}

void write_sockets_summary_text(std::ostream& out, const std::vector<SocketRow>& rows) {
  struct Count {
    std::size_t v4 = 0, v6 = 0;
    std::map<std::string, std::size_t> states;
  };
  std::map<SockProto, Count> c;
  std::size_t unix_n = 0;
  for (const auto& r : rows) {
    if (r.proto == SockProto::unix_) {
      ++unix_n;
      continue;
    }
    auto& k = c[r.proto];
    (r.family == Family::v4 ? k.v4 : k.v6)++;
    std::string s = r.proto != SockProto::tcp && r.state == model::kClose ? "UNCONN" : model::state_name(r.state);
    k.states[s.empty() ? std::to_string(r.state) : s]++;
  }
  out << "Total: " << rows.size() << '\n';
  out << fmt::format("{:<10}{:<10}{:<10}{}\n", "Transport", "Total", "IP", "IPv6");
  std::size_t iv4 = 0, iv6 = 0;
  for (auto [p, name] : {std::pair{SockProto::raw, "RAW"}, {SockProto::udp, "UDP"}, {SockProto::tcp, "TCP"}}) {
    const auto& k = c[p];
    iv4 += k.v4;
    iv6 += k.v6;
    out << fmt::format("{:<10}{:<10}{:<10}{}\n", name, k.v4 + k.v6, k.v4, k.v6);
  }
  out << fmt::format("{:<10}{:<10}{:<10}{}\n", "INET", iv4 + iv6, iv4, iv6);
  if (unix_n) out << fmt::format("{:<10}{}\n", "UNIX", unix_n);
  for (auto [p, name] : {std::pair{SockProto::tcp, "TCP"}, {SockProto::udp, "UDP"}, {SockProto::raw, "RAW"}}) {
    const auto& k = c[p];
    if (k.states.empty()) continue;
    out << '\n' << name << " states:";
    bool first = true;
    for (const auto& [s, n] : k.states) {
      out << (first ? " " : ", ") << s << ' ' << n;
      first = false;
    }
    out << '\n';
  }
}

}  // namespace reach::format
