#pragma once
// watch's path traces (docs/WATCH.md, "Paths"): a flow-stable ICMP `reach trace` toward a target
// on the daemon's Reactor, with the trace engine and probe sockets `reach trace` uses. One trace
// at a time (the others wait in a queue); its sockets are opened for the trace and closed after
// it, so an idle daemon reads no extra ICMP. Raw ICMP with CAP_NET_RAW (a daemon keeps it),
// else an unprivileged ICMP datagram socket (net.ipv4.ping_group_range).
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "base/ip_addr.hpp"
#include "engine/trace_engine.hpp"
#include "io/probe_socket.hpp"
#include "io/reactor.hpp"
#include "model/trace.hpp"
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

class PathTracer {
 public:
  // error empty: the trace ran (reached or not); else why it could not.
  using Done = std::function<void(const model::TraceResult&, const std::string& error)>;
  PathTracer(io::Reactor& reactor, std::uint64_t key) : reactor_(reactor), key_(key) {}
  ~PathTracer();
  PathTracer(const PathTracer&) = delete;
  PathTracer& operator=(const PathTracer&) = delete;

  // `done` runs from a later reactor callback, never from inside trace().
  void trace(const IpAddr& target, int max_ttl, Done done);
  std::size_t queued() const { return queue_.size(); }  // the running one included

 private:
  struct Job {
    IpAddr target;
    int max_ttl = 30;
    Done done;
  };
  void start_next();
  std::string open(const Job& j);
  void step();
  void finish(const std::string& error);
  void send(const engine::TraceOutgoing& o);
  void drain();
  void close();

  io::Reactor& reactor_;
  std::uint64_t key_;
  std::deque<Job> queue_;
  std::unique_ptr<io::ProbeSocket> sock_;
  std::unique_ptr<engine::TraceEngine> engine_;
  io::Reactor::TimerId timer_ = 0, deadline_ = 0;
  int last_ttl_ = -1;
  bool starting_ = false;
};

}  // namespace reach::tools::watch
