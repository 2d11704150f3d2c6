#pragma once
// One relayed connection: the client's socket, then (after an optional PROXY header from a
// trusted load balancer and, with --http, the first request head) a connect to a backend, then
// two Flows until both directions have ended. Half-close is passed on (the end of one side's
// stream becomes shutdown(SHUT_WR) on the other) and the connection is closed once both have
// ended, or on an error, or after the idle timeout.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/ip_addr.hpp"
#include "config/relay_config.hpp"
#include "io/reactor.hpp"
#include "packet/http_forward.hpp"
#include "sys/fd.hpp"
#include "sys/splice.hpp"
#include "tools/relay/flow.hpp"
#include "tools/relay/hooks.hpp"

namespace reach::tools::relay {

class Conn {
 public:
  Conn(Hooks& hooks, io::Reactor& r, std::uint64_t id, sys::Accepted client,
       std::shared_ptr<const config::RelayConfig> cfg, TimeNs head_deadline);
  ~Conn();
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  void start();
  // Ends it now (reload does not call this: established connections stay).
  void close(Reject why);
  bool closed() const { return phase_ == Phase::closed; }
  const IpAddr& peer() const { return peer_; }
  // The address the per-source limits count it under: the PROXY header's client once handed
  // over, else the socket's peer.
  const IpAddr& counted() const { return counted_; }

 private:
  enum class Phase : std::uint8_t { head, connecting, open, closed };
  enum Side : int { client = 0, backend = 1 };
  void on_event(Side s, std::uint32_t ev);
  void read_head();
  bool take_head_bytes(packet::Bytes in);
  void connect_next();
  void on_connected();
  void forward(Side s, std::uint32_t ev);
  void update_interest();
  void arm(TimeNs at);
  void on_timer();
  void refuse_http(int status, const char* text, Reject why);
  void settle();  // out of the head phase: never evicted (Hooks::settled)

  Hooks& hooks_;
  io::Reactor& r_;
  std::uint64_t id_;
  std::shared_ptr<const config::RelayConfig> cfg_;
  Phase phase_ = Phase::head;
  sys::Fd fd_[2];
  std::uint32_t watched_[2] = {0, 0};  // the mask registered; 0 with watching_ false = none
  bool watching_[2] = {false, false};
  bool parked_[2] = {false, false};    // hung up with nothing to do: unwatched until progress
  IpAddr peer_;                        // the socket's peer
  IpAddr counted_;                     // see counted()
  std::uint16_t peer_port_ = 0;
  IpAddr client_, local_;              // what the PROXY header / Forwarded carry
  std::uint16_t client_port_ = 0, local_port_ = 0;
  bool have_local_ = false;            // local_ is known (from a balancer's PROXY header)
  bool want_proxy_ = false;            // a PROXY header is expected first
  bool settled_ = false;               // see settle()
  packet::Buffer head_;
  std::unique_ptr<packet::HttpForward> http_;
  std::vector<bool> tried_;
  std::optional<std::size_t> trying_;  // the backend being connected to
  std::optional<BackendRef> backend_;  // the one connected to
  Flow up_, down_;                     // client -> backend, backend -> client
  io::Reactor::TimerId timer_ = 0;
  TimeNs timer_at_ = 0;                // when timer_ fires
  TimeNs deadline_ = 0;                // of the current phase (head, connect)
  TimeNs last_active_ = 0;
};

}  // namespace reach::tools::relay
