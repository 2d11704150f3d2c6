#pragma once
// Plain results of `reach ping`: what engines produce and formatters read.
#include <cstdint>
#include <optional>
#include <string>

#include "base/ip_addr.hpp"
#include "base/time.hpp"

namespace reach::model {

enum class Method : std::uint8_t { icmp, tcp_syn, tcp_connect, udp };

// Where a timestamp came from: the kernel (SO_TIMESTAMPING / TCP_INFO) or a user-space clock read.
enum class StampSource : std::uint8_t { kernel, user };

// Why a kernel stamp was not used for an RTT (engine/rtt.hpp): the user-space time replaced it.
enum class StampDrop : std::uint8_t {
  none,
  tx_before_send,           // the TX stamp predates the send: another probe's
  tx_after_send,            // taken after the send returned: held by the local stack, or another probe's
  rx_before_tx,             // the RX stamp predates the probe's origin
  kernel_rtt_out_of_range,  // TCP_INFO's RTT is longer than the user saw, or negative
};

struct Target {
  std::string name;  // as the user typed it
  IpAddr addr;
};

enum class EventType : std::uint8_t {
  reply,       // an answer that proves the target alive (echo reply, SYN-ACK, RST, UDP, port unreachable)
  icmp_error,  // an ICMP error about our probe (unreachable, prohibited, time exceeded)
  timeout,     // no answer within the wait time
  send_error,  // the local stack refused to send
};

struct ProbeEvent {
  EventType type = EventType::reply;
  std::size_t target = 0;  // index into the run's targets
  std::uint32_t seq = 0;   // probe number, from 1
  IpAddr from;             // who answered
  TimeNs when = 0;         // receive time (or time of the timeout / error)
  std::optional<TimeNs> rtt;
  StampSource tx_source = StampSource::user;
  StampSource rx_source = StampSource::user;
  StampDrop tx_drop = StampDrop::none, rx_drop = StampDrop::none;
  bool duplicate = false;  // a second answer to an already answered probe
  bool late = false;       // an answer after the probe was declared lost
  std::uint32_t bytes = 0;     // ICMP/L4 bytes received, as ping's "64 bytes from"
  std::uint32_t ip_len = 0;    // IP total length of the reply, hping's len=
  int ttl = -1;                // TTL / hop limit of the reply, -1 unknown
  std::optional<std::uint16_t> ip_id;
  bool dont_fragment = false;
  // TCP (SYN probes and connect)
  std::uint16_t sport = 0;       // the replying port
  std::uint8_t tcp_flags = 0;
  std::uint16_t tcp_window = 0;
  bool refused = false;          // connect: RST / ECONNREFUSED (alive, port closed)
  // ICMP errors, and UDP port unreachable
  std::uint8_t icmp_type = 0, icmp_code = 0;
  std::string icmp_name;    // "Destination Host Unreachable"
  std::string error;        // send_error: message
};

struct PingSummary {
  std::size_t target = 0;
  std::uint64_t transmitted = 0;
  std::uint64_t received = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t errors = 0;     // ICMP errors about our probes
  std::uint64_t late = 0;       // answers after the wait time, not counted as received
  std::uint64_t ignored = 0;    // malformed or spoofed packets addressed to this target's probes
  TimeNs elapsed = 0;
  // over received answers, in ns; valid when received > 0
  TimeNs rtt_min = 0, rtt_max = 0;
  double rtt_avg = 0, rtt_mdev = 0;
  bool all_kernel_stamps = true;  // every RTT from kernel timestamps at both ends
  std::uint64_t stamps_dropped = 0;  // kernel stamps that failed the RTT check (engine/rtt.hpp)
  // Packets the kernel dropped on the socket(s) this target's answers come to because reach's
  // receive buffer was full (shared sockets: the count of the whole socket). Loss reach caused.
  std::uint64_t socket_drops = 0;
};

}  // namespace reach::model
