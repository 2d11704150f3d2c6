#pragma once
// Netlink sock_diag messages: pure readers and request builders.
//
// Netlink headers, attributes and the diag message bodies are in host byte order; the ports and
// addresses of an inet_diag socket id are in network byte order. Every field is read at a fixed
// offset from a bounds-checked span; nothing is overlaid on the received bytes.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/ip_addr.hpp"
#include "packet/bytes.hpp"

namespace reach::packet::nl {

inline constexpr std::size_t kHeaderLen = 16;          // struct nlmsghdr
inline constexpr std::size_t kInetDiagMsgLen = 72;     // struct inet_diag_msg
inline constexpr std::size_t kInetDiagReqLen = 56;     // struct inet_diag_req_v2
inline constexpr std::size_t kUnixDiagMsgLen = 16;     // struct unix_diag_msg
inline constexpr std::size_t kUnixDiagReqLen = 24;     // struct unix_diag_req
inline constexpr std::uint16_t kMsgNoop = 1, kMsgError = 2, kMsgDone = 3;
inline constexpr std::uint16_t kSockDiagByFamily = 20;  // SOCK_DIAG_BY_FAMILY

// Host-order field access at a fixed offset (the caller has checked the bounds).
std::uint16_t host16(Bytes b, std::size_t off);
std::uint32_t host32(Bytes b, std::size_t off);
std::uint64_t host64(Bytes b, std::size_t off);

// A request: the header (length, type, flags, seq, pid 0 = the kernel) and `body` zero bytes.
Buffer build_header(std::size_t body, std::uint16_t type, std::uint16_t flags, std::uint32_t seq);

struct Message {
  std::uint16_t type = 0, flags = 0;
  std::uint32_t seq = 0, pid = 0;
  Bytes payload;  // the bytes after the header, up to nlmsg_len
};

// Splits one receive buffer into messages. nullopt when a header is truncated or claims a
// length shorter than the header or longer than what is left of the buffer.
std::optional<std::vector<Message>> split(Bytes data);

// NLMSG_ERROR payload: the errno as a positive number (0 = acknowledgement).
std::optional<int> parse_error(Bytes payload);
// NLMSG_DONE payload of a dump: the status (0, or a negative errno when the dump failed). A
// done message without payload (old kernels) reads as 0.
int parse_done(Bytes payload);

struct Attr {
  std::uint16_t type = 0;  // NLA_F_NESTED / NLA_F_NET_BYTEORDER bits cleared
  Bytes value;
};
// Walks rtattr/nlattr records (4-byte aligned). nullopt when one is truncated or its length is
// shorter than its own header. The final record may lack its alignment padding.
std::optional<std::vector<Attr>> parse_attrs(Bytes data);

struct InetDiag {
  std::uint8_t family = 0;  // AF_INET / AF_INET6
  std::uint8_t state = 0, timer = 0, retrans = 0;
  std::uint16_t sport = 0, dport = 0;  // host numbers (read from network order)
  IpAddr src, dst;
  std::uint32_t ifindex = 0;
  std::uint64_t cookie = 0;
  std::uint32_t expires = 0, rqueue = 0, wqueue = 0, uid = 0, inode = 0;
  std::optional<std::uint8_t> shutdown;  // INET_DIAG_SHUTDOWN
  std::optional<std::uint8_t> protocol;  // INET_DIAG_PROTOCOL
};
// The payload of a SOCK_DIAG_BY_FAMILY answer for inet sockets; nullopt when shorter than
// inet_diag_msg, of an unknown family, or with malformed attributes.
std::optional<InetDiag> parse_inet_diag(Bytes payload);

struct UnixDiag {
  std::uint8_t type = 0, state = 0;  // SOCK_STREAM/DGRAM/SEQPACKET; TCP_* state numbers
  std::uint32_t inode = 0;
  std::uint64_t cookie = 0;
  std::optional<std::string> name;   // UNIX_DIAG_NAME; abstract names start with '@'
  std::optional<std::uint32_t> peer; // UNIX_DIAG_PEER: inode of the peer
  std::optional<std::uint32_t> rqueue, wqueue;  // UNIX_DIAG_RQLEN
  std::optional<std::uint32_t> uid;  // UNIX_DIAG_UID
};
std::optional<UnixDiag> parse_unix_diag(Bytes payload);

// A dump request for every socket of (family, protocol) whose state bit is set in `states`
// (bit n = TCP state n). `extensions` is the INET_DIAG_* bit mask of extra attributes to ask for.
Buffer build_inet_diag_request(std::uint8_t family, std::uint8_t protocol, std::uint32_t states,
                               std::uint32_t seq, std::uint8_t extensions = 0);
// A dump request for every unix socket; `show` is the UDIAG_SHOW_* mask.
Buffer build_unix_diag_request(std::uint32_t states, std::uint32_t show, std::uint32_t seq);

// One line of /proc/net/{tcp,udp,raw}{,6} (the fallback for raw sockets, which this kernel
// cannot dump over netlink). Addresses there are hex words in host order.
struct ProcNetRow {
  IpAddr local, remote;
  std::uint16_t lport = 0, rport = 0;
  std::uint8_t state = 0;
  std::uint32_t tx_queue = 0, rx_queue = 0, uid = 0;
  std::uint64_t inode = 0;
};
// nullopt for the header line and anything malformed.
std::optional<ProcNetRow> parse_proc_net_line(std::string_view line, Family family);

}  // namespace reach::packet::nl
