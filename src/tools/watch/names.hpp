#pragma once
// Target host names for watch's probes, resolved on the Reactor through c-ares
// (io::DnsAsync::resolve_host) and cached, so a slow or dead resolver never stalls the loop
// nor the rounds of other targets (docs/WATCH.md, "Names").
//
// An answer is kept until its TTL runs out, at least kMinKeep and at most kMaxKeep; then the
// name is resolved again in the background while rounds go on with the old address. A name
// that does not resolve fails its rounds with the resolver's reason and is tried again after
// kRetry. A round that finds no answer yet waits for it at most its `wait`.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/error.hpp"
#include "base/ip_addr.hpp"
#include "io/dns_async.hpp"
#include "io/reactor.hpp"

namespace reach::tools::watch {

class NameCache {
 public:
  static constexpr TimeNs kMinKeep = 5 * kNsPerSec;
  static constexpr TimeNs kMaxKeep = 60 * kNsPerSec;
  static constexpr TimeNs kRetry = 10 * kNsPerSec;
  static constexpr TimeNs kForget = 10 * 60 * kNsPerSec;  // unused this long: dropped

  using Ready = std::function<void(Result<IpAddr>)>;
  // `resolv_conf` empty: the system's.
  NameCache(io::Reactor& reactor, std::string resolv_conf = {});
  ~NameCache();
  NameCache(const NameCache&) = delete;
  NameCache& operator=(const NameCache&) = delete;

  // The address of `host` (a literal, with its zone, or a name): now when it is known (an
  // address, or the error of a name that does not resolve), else nullopt and `later` runs once,
  // from a later reactor callback, within `wait`. `family` prefers that family (the resolver's
  // first otherwise); without `fallback` only that family is asked for. `owner` lets cancel()
  // drop what waits.
  std::optional<Result<IpAddr>> lookup(const std::string& host, std::optional<Family> family, bool fallback,
                                       std::uint32_t owner, TimeNs wait, Ready later);
  void cancel(std::uint32_t owner);  // the waiting callbacks of `owner` are not called
  std::size_t resolving() const;     // names being resolved now

 private:
  struct Waiter {
    std::uint32_t owner = 0;
    io::Reactor::TimerId timer = 0;
    Ready ready;
  };
  struct Entry {
    std::string host, zone;          // as parsed (a name, without its zone)
    std::optional<Family> family;
    bool fallback = true;
    std::optional<Result<IpAddr>> answer;  // nullopt: never answered yet
    TimeNs expires = 0;              // monotonic; INT64_MAX for literals
    bool pending = false;
    TimeNs used = 0;                 // the last lookup
    std::unordered_map<std::uint64_t, Waiter> waiters;
  };
  void start(Entry& e, const std::string& key);
  void answered(const std::string& key, io::HostResult r);
  void sweep(TimeNs now);

  io::Reactor& reactor_;
  std::string resolv_conf_;
  std::unique_ptr<io::DnsAsync> dns_;
  std::unordered_map<std::string, Entry> entries_;  // by host and family choice
  // Who waits where, so cancel() costs its own waits, not a walk over every name.
  std::unordered_map<std::uint32_t, std::vector<std::pair<std::string, std::uint64_t>>> by_owner_;
  void forget_wait(std::uint32_t owner, std::uint64_t id);
  std::uint64_t next_waiter_ = 1;
  std::uint64_t lookups_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace reach::tools::watch
