#pragma once
// watch's path traces (docs/WATCH.md, "Paths"): a flow-stable `reach trace` toward a target on
// the daemon's Reactor, with the trace engine and probe sockets `reach trace` uses, and with
// `path: {mda: true}` the MDA engine driving it as `reach trace --mda` does. One trace at a time
// (the others wait in a queue); its sockets are opened for the trace and closed after it, so an
// idle daemon reads no extra ICMP. ICMP: raw with CAP_NET_RAW (a daemon keeps it), else an
// unprivileged ICMP datagram socket (net.ipv4.ping_group_range); UDP and TCP: raw sockets.
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/ip_addr.hpp"
#include "config/watch_path.hpp"
#include "engine/mda.hpp"
#include "engine/trace_engine.hpp"
#include "io/probe_socket.hpp"
#include "io/reactor.hpp"
#include "model/watch_path.hpp"

namespace reach::tools::watch {

// What the daemon keeps per target about its paths (in memory; the events carry them to disk).
struct PathState {
  std::optional<model::WatchPath> up;      // the last path that reached the target while it was up
  std::optional<model::WatchPath> latest;  // the last trace, whatever it found
  std::string addr;                        // the address the last round probed
  bool tracing = false;
  bool baseline_tried = false;             // the first up round traced once already
  std::string pending;                     // a trigger held back by the rate limit
  io::Reactor::TimerId retry = 0;
  double tokens = 4;                       // token bucket: 4 at once, then one a minute
  TimeNs refilled = 0;                     // monotonic
};

struct PathTraceResult {
  std::vector<model::PathHop> hops;  // engine::path_hops of the trace or of the MDA graph
  bool reached = false;
};

class PathTracer {
 public:
  // error empty: the trace ran (reached or not); else why it could not.
  using Done = std::function<void(const PathTraceResult&, const std::string& error)>;
  PathTracer(io::Reactor& reactor, std::uint64_t key) : reactor_(reactor), key_(key) {}
  ~PathTracer();
  PathTracer(const PathTracer&) = delete;
  PathTracer& operator=(const PathTracer&) = delete;

  // `how`: protocol, port (resolved by the config), max hops, MDA; `enabled` is the caller's.
  // `done` runs from a later reactor callback, never from inside trace().
  void trace(const IpAddr& target, const config::PathSettings& how, Done done);
  std::size_t queued() const { return queue_.size(); }  // the running one included

 private:
  struct Job {
    IpAddr target;
    config::PathSettings how;
    Done done;
  };
  void start_next();
  std::string open(const Job& j);
  std::string add_socket(io::SocketKind k, Family f, const io::SocketOptions& so);
  void step();
  void step_mda(TimeNs now);
  void finish(const std::string& error);
  void send(const engine::TraceOutgoing& o);
  void drain(io::ProbeSocket& s);
  void close();

  io::Reactor& reactor_;
  std::uint64_t key_;
  std::deque<Job> queue_;
  std::vector<std::unique_ptr<io::ProbeSocket>> socks_;  // the sender first
  std::unique_ptr<engine::TraceEngine> engine_;
  std::unique_ptr<engine::MdaEngine> mda_;
  io::Reactor::TimerId timer_ = 0, deadline_ = 0;
  int last_ttl_ = -1;
  bool starting_ = false;
};

}  // namespace reach::tools::watch
