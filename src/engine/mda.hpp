#pragma once
// The Multipath Detection Algorithm (Augustin et al. 2006, Veitch et al. 2009) with the MDA-Lite
// shortcut (Vermeulen et al. 2018), as a pure state machine: it says which (TTL, flow) to probe
// and is told what answered; no socket, no clock. See docs/TRACE-MDA.md.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <vector>

#include "base/ip_addr.hpp"
#include "model/multipath.hpp"

namespace reach::engine {

struct MdaOptions {
  IpAddr destination;
  int first_ttl = 1;
  int max_ttl = 30;
  double alpha = 0.05;              // per-vertex failure probability, in (0, 1)
  std::uint64_t max_probes = 5000;  // total budget; done() once spent
  int gap_limit = 3;                // stop after this many silent hops in a row
  bool lite = true;                 // false: full MDA (node control at every hop)
  // One probe at the first TTL unless it shows two routers (scamper's assumption too): the
  // caller should set false when its own route to the destination has several next hops.
  bool single_first_hop = true;
  // Stop at a hop whose scout probes all answered from the destination (as scamper does).
  bool destination_shortcut = true;
  // MDA-Lite plus n_1 flows through each interface of a wide hop at the next hop, so unequal
  // branches are caught with per-vertex confidence; costs n_1 * width at every merge.
  bool node_floor = false;
  int per_packet_checks = 2;        // re-probes at a hop suspected of per-packet balancing
};

struct MdaProbe {
  int ttl = 0;
  model::FlowId flow = 0;
  friend bool operator==(const MdaProbe&, const MdaProbe&) = default;
};

// n_k: probes through one vertex after which, having seen k next hops, the chance that a
// (k+1)-th exists and was missed (all next hops equally likely) is at most alpha. k >= 1.
int mda_stopping_point(int k, double alpha);

class MdaEngine {
 public:
  explicit MdaEngine(MdaOptions opts);
  ~MdaEngine();
  MdaEngine(MdaEngine&&) noexcept;
  MdaEngine& operator=(MdaEngine&&) noexcept;

  // Up to `budget` new probes to send now; empty while waiting for answers or when done().
  // Never two outstanding probes with the same (ttl, flow).
  std::vector<MdaProbe> next(std::size_t budget);
  // The answer to an outstanding probe; anything else is counted as ignored. `from` is the
  // router (time exceeded) or the destination (is_destination: port unreachable, echo reply...).
  void on_answer(int ttl, model::FlowId flow, const IpAddr& from, bool is_destination);
  void on_timeout(int ttl, model::FlowId flow);

  bool done() const;
  std::size_t outstanding() const { return outstanding_.size(); }
  model::MultipathGraph result() const;

 private:
  struct Hop;
  Hop& hop(int ttl);
  const Hop* find_hop(int ttl) const;
  void plan();  // fills queue_ with what the current hop needs, or advances / finishes
  bool plan_hop_rule(Hop& h);
  bool plan_per_packet(Hop& h);
  bool destination_reached(const Hop& h) const;
  bool plan_node_control(int ttl, bool floor);
  bool plan_link_completion(int ttl);
  bool needs_floor(int ttl) const;
  bool needs_full(int ttl) const;
  void enqueue(int ttl, model::FlowId flow);
  model::FlowId new_flow() { return next_flow_++; }

  MdaOptions opts_;
  std::map<int, std::unique_ptr<Hop>> hops_;
  std::map<model::FlowId, std::map<int, std::optional<IpAddr>>> trajectory_;  // flow -> ttl -> answer
  std::set<std::pair<int, model::FlowId>> outstanding_;
  std::vector<MdaProbe> queue_;
  int current_ = 0;
  int silent_run_ = 0;
  model::FlowId next_flow_ = 0;
  std::uint64_t sent_ = 0;
  std::uint64_t ignored_ = 0;
  std::optional<model::MpStop> stop_;
};

}  // namespace reach::engine
