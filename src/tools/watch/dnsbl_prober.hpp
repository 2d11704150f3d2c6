#pragma once
// Watch's `dnsbl` probe: one round asks every zone of the target at once (an A query each, a TXT
// query for a listing: tools/dnsbl_lookup), one try each within the target's timeout, and ends
// with one RoundResult judged by engine::judge_dnsbl_round.
#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>

#include "io/dns_async.hpp"
#include "io/reactor.hpp"
#include "model/watch.hpp"

namespace reach::tools::watch {

struct ProbeSpec;

class DnsblProber {
 public:
  using Done = std::function<void(model::RoundResult)>;
  explicit DnsblProber(io::Reactor& reactor) : reactor_(reactor) {}
  // `done` runs once, from a later reactor callback.
  void run(const ProbeSpec& spec, Done done, model::RoundResult r);
  void cancel(std::uint32_t target);  // its callback is not called

 private:
  struct Round;
  void ask(std::uint32_t job, std::size_t i);
  void zone_done(std::uint32_t job);

  io::Reactor& reactor_;
  std::unordered_map<std::uint32_t, std::shared_ptr<Round>> rounds_;  // by job
  std::uint32_t next_job_ = 1;
  std::unique_ptr<io::DnsAsync> dns_;  // last: destroyed first, so no callback outlives the rounds
};

}  // namespace reach::tools::watch
