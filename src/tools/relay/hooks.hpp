#pragma once
// What a relayed connection needs from the relay around it: a backend, counters, admission
// bookkeeping. The Relay implements it; a connection holds only this.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/ip_addr.hpp"
#include "config/relay_config.hpp"
#include "tools/relay/pipe_pool.hpp"

namespace reach::tools::relay {

// Why a connection was refused or ended early: the `reason` label of reach_relay_rejects_total.
enum class Reject : std::uint8_t {
  none,
  bad_proxy_header,  // from an accept_proxy source: missing, malformed, over 4 KiB
  head_timeout,      // PROXY header / first request head not complete in time (slow-loris)
  bad_request,       // --http: llhttp refused the request
  head_too_large,    // --http: a request head over max_head
  no_backend,        // none up, or every connect failed
  client_error,      // the client reset or errored mid-transfer
  backend_error,     // the backend reset or errored mid-transfer
  idle_timeout,
  shutdown,          // the relay stopped
  limited,           // the client a PROXY header named is over its per-source limits
  evicted,           // still in its head phase when a new connection met a full global cap
};
inline constexpr std::size_t kRejectCount = 12;
const char* reject_word(Reject r);

struct BackendRef {
  IpAddr addr;
  std::uint16_t port = 0;
  config::ProxySend send_proxy = config::ProxySend::none;
  std::string text;
};

class Hooks {
 public:
  virtual ~Hooks() = default;
  virtual std::optional<std::size_t> pick_backend(const std::vector<bool>& tried) = 0;
  virtual BackendRef backend(std::size_t i) const = 0;
  virtual void backend_opened(std::size_t i) = 0;
  // By name: a reload may have renumbered the backends since the connection opened.
  virtual void backend_closed(const std::string& text) = 0;
  virtual void backend_failed(std::size_t i, const std::string& reason) = 0;
  virtual void bytes(std::uint64_t up, std::uint64_t down) = 0;
  virtual void head_timed_out(const IpAddr& peer) = 0;
  // A trusted balancer's PROXY header named `client`: the per-source limits now count it instead
  // of the balancer. False: refused (counted by reason), the connection must close.
  virtual bool handover(const IpAddr& upstream, const IpAddr& client) = 0;
  // The connection left its head phase (the end of which a full relay may evict it): its PROXY
  // header / request head is complete, or, without either, it forwarded its first byte in
  // either direction. At most once per connection.
  virtual void settled(std::uint64_t id) = 0;
  // Idle pipes shared by the connections (the relay's lifetime).
  virtual PipePool& pipes() = 0;
  // Exactly once per connection; the Conn may be destroyed after the current callback.
  virtual void finished(std::uint64_t id, Reject why) = 0;
};

}  // namespace reach::tools::relay
