#pragma once
// watch's `syn` and `udp` rounds: one probe each, built, matched and timed by a one-probe
// engine::PingEngine (the same SYN cookies and UDP payload cookies as `reach ping --tcp/--udp`).
// SYN: one raw TCP socket per family shared by every round (needs CAP_NET_RAW); ICMP errors
// about SYNs arrive on the shared raw ICMP socket and are handed in through on_icmp(). UDP: a
// connected socket per round with IP_RECVERR, so the kernel reports port unreachable to it.
#include <cstdint>
#include <functional>
#include <memory>

#include "base/ip_addr.hpp"
#include "io/reactor.hpp"
#include "model/watch.hpp"
#include "packet/bytes.hpp"

namespace reach::tools::watch {

struct ProbeSpec;

class PacketRounds {
 public:
  using Done = std::function<void(model::RoundResult)>;
  PacketRounds(io::Reactor& reactor, std::uint64_t key);
  ~PacketRounds();
  PacketRounds(const PacketRounds&) = delete;
  PacketRounds& operator=(const PacketRounds&) = delete;

  // Starts a syn or udp round to addr:spec.port; `done` runs once, from a later callback.
  void run(const ProbeSpec& spec, const IpAddr& addr, model::RoundResult r, TimeNs start, Done done);
  // An ICMP error read on the raw ICMP socket (v4: with its IP header), for the SYN rounds.
  void on_icmp(Family f, packet::Bytes data, const IpAddr& from, TimeNs rx, bool kernel_rx, int ttl);
  void cancel(std::uint32_t target);  // no callback
  bool any_syn() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace reach::tools::watch
