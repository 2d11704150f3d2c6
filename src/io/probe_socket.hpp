#pragma once
// A socket that sends probes and receives answers, with kernel timestamps: it numbers every
// send so the TX timestamp the kernel reports later on the error queue finds its probe.
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/error.hpp"
#include "base/ip_addr.hpp"
#include "base/time.hpp"
#include "io/tx_ids.hpp"
#include "sys/fd.hpp"
#include "sys/socket.hpp"

namespace reach::io {

// udp_raw: UDP built by us (trace's checksum-as-identity probes); the kernel only adds the IP header.
enum class SocketKind : std::uint8_t { icmp_raw, icmp_dgram, tcp_raw, udp, udp_raw };

struct SocketOptions {
  std::string device;   // -I: bind to this interface
  std::optional<IpAddr> source;  // -I with an address
  std::optional<int> ttl;  // none: the kernel's default
  int tos = -1;
  bool broadcast = false;  // IPv4: SO_BROADCAST
  int receive_buffer = 1 << 20;  // bytes: enough for one round of answers (and their TX stamps)
};

class ProbeSocket {
 public:
  // Opens and configures; the error names what failed and why.
  static Result<ProbeSocket> open(SocketKind kind, Family f, const SocketOptions& opts);

  int fd() const { return fd_.get(); }
  SocketKind kind() const { return kind_; }
  Family family() const { return family_; }
  bool kernel_timestamps() const { return timestamps_; }
  // Answers the kernel dropped because this socket's receive buffer was full: reach's loss.
  std::uint64_t drops() const { return sys::socket_drops(fd_.get()); }

  Result<void> connect(const IpAddr& dst, std::uint16_t port);
  // Sends and remembers `tag` under the kernel's send counter for the TX timestamp.
  Result<void> send(std::span<const std::uint8_t> data, const IpAddr& dst, std::uint16_t port, std::uint64_t tag);

  struct Packet {
    std::span<const std::uint8_t> data;
    sys::Received meta;
  };
  struct TxStamp {
    std::uint64_t tag;
    TimeNs stamp;
  };
  struct IcmpError {
    std::span<const std::uint8_t> original;
    sys::ErrQueueEntry entry;
  };
  struct Handlers {
    std::function<void(const Packet&)> packet;
    std::function<void(const TxStamp&)> tx_stamp;
    std::function<void(const IcmpError&)> icmp_error;
  };
  // Reads the error queue, then the receive queue, until both are empty (at most `budget`
  // datagrams each, so one busy socket cannot starve the loop).
  Result<void> drain(const Handlers& h, int budget = 256);

 private:
  Result<void> send_plain(std::span<const std::uint8_t> data, const IpAddr& dst, std::uint16_t port);
  Result<std::size_t> send_once(std::span<const std::uint8_t> data, const IpAddr& dst, std::uint16_t port,
                                std::optional<std::uint32_t> id);
  void remember(std::uint32_t id, std::uint64_t tag);

  sys::Fd fd_;
  SocketKind kind_ = SocketKind::icmp_raw;
  Family family_ = Family::v4;
  bool timestamps_ = false;
  // How TX stamps find their probe: ids we give each send (SCM_TS_OPT_ID), or, on kernels
  // before 6.13, the kernel's own per-socket count of sends (which a failed send can skew).
  enum class TxIds : std::uint8_t { unknown, explicit_, counted } tx_ids_ = TxIds::unknown;
  std::uint32_t next_tx_id_ = 0;
  TxStampMap pending_tx_;  // kernel send id -> tag
  std::vector<std::uint8_t> buf_ = std::vector<std::uint8_t>(65536);
};

}  // namespace reach::io

namespace reach::io {

// The kernel turns receive timestamps on for the whole machine lazily, from a work queue, when
// the first socket asks: a reply arriving in the meantime has no stamp. Sends datagrams to itself
// over loopback until one comes back stamped. False only when `budget` ns ran out first.
bool wait_for_rx_timestamps(TimeNs budget);

}  // namespace reach::io
