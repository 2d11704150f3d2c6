// NDJSON output of `reach sockets`: one object per socket, schema in docs/SOCKETS.md.
#include <nlohmann/json.hpp>
#include <map>

#include "format/sockets_writer.hpp"

namespace reach::format {
namespace {

constexpr int kSchemaVersion = 1;
using model::SockProto;

const char* proto_base(SockProto p) {
  switch (p) {
    case SockProto::tcp: return "tcp";
    case SockProto::udp: return "udp";
    case SockProto::raw: return "raw";
    case SockProto::unix_: return "unix";
  }
  return "?";
}

void emit(std::ostream& out, const nlohmann::json& j) { out << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n'; }

}  // namespace

void write_sockets_json(std::ostream& out, const std::vector<model::SocketRow>& rows, const GeoOf& geo) {
  for (const auto& r : rows) {
    nlohmann::json j;
    j["type"] = "socket";
    j["version"] = kSchemaVersion;
    j["proto"] = proto_base(r.proto);
    j["state"] = model::state_name(r.state);
    j["listening"] = model::is_listening(r);
    j["recv_q"] = r.recv_q;
    j["send_q"] = r.send_q;
    j["inode"] = r.inode;
    if (r.uid) j["uid"] = *r.uid;
    if (r.proto == SockProto::unix_) {
      j["unix_type"] = r.unix_type == 1 ? "stream" : r.unix_type == 2 ? "dgram" : r.unix_type == 5 ? "seqpacket" : "other";
      j["path"] = r.path;
      if (r.peer_inode) j["peer_inode"] = r.peer_inode;
    } else {
      j["family"] = r.family == Family::v4 ? "ipv4" : "ipv6";
      j["local_addr"] = r.local.to_string();
      j["local_port"] = r.local_port;
      j["peer_addr"] = r.peer.to_string();
      j["peer_port"] = r.peer_port;
      if (!r.peer.is_unspecified()) put_geo(j, geo, r.peer, "peer_geo");
    }
    nlohmann::json procs = nlohmann::json::array();
    for (const auto& o : r.owners) procs.push_back({{"pid", o.pid}, {"program", o.program}, {"fd", o.fd}});
    j["processes"] = procs;
    if (!r.netns.empty()) j["netns"] = r.netns;
    emit(out, j);
  }
}

void write_sockets_summary_json(std::ostream& out, const std::vector<model::SocketRow>& rows) {
  nlohmann::json j;
  j["type"] = "summary";
  j["version"] = kSchemaVersion;
  j["total"] = rows.size();
  nlohmann::json protos = nlohmann::json::object();
  for (auto p : {SockProto::tcp, SockProto::udp, SockProto::raw, SockProto::unix_}) {
    std::size_t v4 = 0, v6 = 0;
    std::map<std::string, std::size_t> states;
    for (const auto& r : rows) {
      if (r.proto != p) continue;
      (r.family == Family::v4 ? v4 : v6)++;
      states[model::state_name(r.state)]++;
    }
    nlohmann::json k;
    k["total"] = p == SockProto::unix_ ? v4 + v6 : v4 + v6;
    if (p != SockProto::unix_) {
      k["ipv4"] = v4;
      k["ipv6"] = v6;
    }
    k["states"] = states;
    protos[proto_base(p)] = k;
  }
  j["protocols"] = protos;
  emit(out, j);
}

void write_sockets_notice_json(std::ostream& out, const std::string& message) {
  emit(out, nlohmann::json{{"type", "notice"}, {"version", kSchemaVersion}, {"message", message}});
}

}  // namespace reach::format
