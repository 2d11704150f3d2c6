#pragma once
// Plain results of `reach sockets`: one row per socket, with its owners and namespace.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/ip_addr.hpp"

namespace reach::model {

enum class SockProto : std::uint8_t { tcp, udp, raw, unix_ };

// Kernel socket states (include/net/tcp_states.h); UDP and raw use established/close only.
enum SockState : std::uint8_t {
  kEstablished = 1, kSynSent, kSynRecv, kFinWait1, kFinWait2, kTimeWait, kClose, kCloseWait,
  kLastAck, kListen, kClosing, kNewSynRecv,
};

struct SocketOwner {
  int pid = 0;
  std::string program;  // /proc/PID/comm
  int fd = -1;
};

struct SocketRow {
  SockProto proto = SockProto::tcp;
  Family family = Family::v4;  // inet sockets only
  std::uint8_t state = 0;      // SockState
  IpAddr local, peer;
  std::uint16_t local_port = 0, peer_port = 0;  // raw: the IP protocol number in local_port
  std::uint32_t recv_q = 0, send_q = 0;
  std::optional<std::uint32_t> uid;
  std::uint64_t inode = 0;
  std::vector<SocketOwner> owners;  // sorted by pid; empty when unknown
  std::string netns;                // label of the network namespace ("" = the current one)
  // unix sockets
  int unix_type = 0;  // SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET
  std::string path;   // bound name ("@..." abstract), may be empty
  std::uint64_t peer_inode = 0;
};

// netstat's protocol names: tcp, tcp6, udp, udp6, raw, raw6, unix.
inline const char* proto_name(const SocketRow& r) {
  const bool v6 = r.family == Family::v6;
  switch (r.proto) {
    case SockProto::tcp: return v6 ? "tcp6" : "tcp";
    case SockProto::udp: return v6 ? "udp6" : "udp";
    case SockProto::raw: return v6 ? "raw6" : "raw";
    case SockProto::unix_: return "unix";
  }
  return "?";
}

// netstat's state words (ESTABLISHED, SYN_SENT, ... LISTEN); "" for unknown numbers.
inline const char* state_name(std::uint8_t s) {
  switch (s) {
    case kEstablished: return "ESTABLISHED";
    case kSynSent: return "SYN_SENT";
    case kSynRecv: return "SYN_RECV";
    case kFinWait1: return "FIN_WAIT1";
    case kFinWait2: return "FIN_WAIT2";
    case kTimeWait: return "TIME_WAIT";
    case kClose: return "CLOSE";
    case kCloseWait: return "CLOSE_WAIT";
    case kLastAck: return "LAST_ACK";
    case kListen: return "LISTEN";
    case kClosing: return "CLOSING";
    case kNewSynRecv: return "SYN_RECV";
  }
  return "";
}

// "Listening" as netstat -l and ss -l mean it: a TCP listener, or a UDP/raw/datagram socket
// without a peer (state CLOSE).
inline bool is_listening(const SocketRow& r) {
  if (r.proto == SockProto::tcp) return r.state == kListen;
  if (r.proto == SockProto::unix_) return r.state == kListen || (r.state == kClose && r.peer_inode == 0 && !r.path.empty());
  return r.state == kClose;
}

}  // namespace reach::model
