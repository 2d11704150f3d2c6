#pragma once
// The running relay: listeners, connections, the backend pool with its health checks, /metrics
// and events, on one Reactor. Reloads its config file on SIGHUP: new listeners open, removed
// ones close, backends and settings apply to new connections; established connections stay.
#include <array>
#include <map>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/relay_config.hpp"
#include "engine/relay_pool.hpp"
#include "io/http_server.hpp"
#include "io/listen_address.hpp"
#include "io/reactor.hpp"
#include "tools/relay/conn.hpp"
#include "tools/relay/gate.hpp"
#include "tools/relay/hooks.hpp"
#include "tools/relay/relay.hpp"

namespace reach::tools::relay {

// The config as the command line and the file give it: the file (if any) with flags over it,
// every listen address, the user and loops checked; every problem listed (options.cpp).
config::ConfigResult<config::RelayConfig> build_config(const RelayOptions& opts);

class Server final : public Hooks {
 public:
  // Idle pipes kept for reuse: 128 fds at most, within the slack fds_wanted() leaves.
  static constexpr std::size_t kIdlePipes = 64;
  static Result<std::unique_ptr<Server>> create(const RelayOptions& opts, config::RelayConfig cfg,
                                                std::ostream& out, std::ostream& err);
  ~Server() override;
  int run();

  // Hooks
  std::optional<std::size_t> pick_backend(const std::vector<bool>& tried) override;
  BackendRef backend(std::size_t i) const override;
  void backend_opened(std::size_t i) override;
  void backend_closed(const std::string& text) override;
  void backend_failed(std::size_t i, const std::string& reason) override;
  void bytes(std::uint64_t up, std::uint64_t down) override;
  void head_timed_out(const IpAddr& peer) override;
  bool handover(const IpAddr& upstream, const IpAddr& client) override;
  void settled(std::uint64_t id) override;
  PipePool& pipes() override { return pipes_; }
  void finished(std::uint64_t id, Reject why) override;

 private:
  struct Listener {
    io::ListenAddress addr;
    sys::Fd fd;
  };
  struct Check {  // one health check in flight
    sys::Fd fd;
    io::Reactor::TimerId timer = 0;
  };
  Server(const RelayOptions& opts, config::RelayConfig cfg, std::ostream& out, std::ostream& err);
  Result<void> start();
  Result<void> open_listeners(const config::RelayConfig& cfg, bool reloading);
  Result<void> watch_listeners();
  void on_accept(Listener& l);
  // Closes the oldest connection of heads_ to admit a new one at a global cap (`reason`).
  void evict_oldest(const std::string& reason, TimeNs now);
  void on_tick();
  // The old config keeps running when the new one fails; the error names every cause.
  Result<void> reload();
  void apply_backends(const config::RelayConfig& cfg);
  void start_metrics();
  // The memory cap's estimate: forwarding connections at their pipes, pending ones at their head.
  void update_memory();
  // "; open files limited to ..." when the fd limit is below what c's max_conns needs, else "".
  std::string fd_note(const config::RelayConfig& c) const;
  std::string metrics_text() const;
  // A text line, or with --json an NDJSON object {type: relay_<kind>, version, time, message, fields...}.
  void event(const std::string& kind, const std::string& text, nlohmann::json fields = nlohmann::json::object());
  // health.cpp
  void schedule_checks();
  void run_check(std::size_t i, std::uint64_t generation);
  void check_done(std::size_t i, std::uint64_t generation, bool ok, const std::string& reason);

  RelayOptions opts_;
  std::shared_ptr<const config::RelayConfig> cfg_;
  std::ostream& out_;
  std::ostream& err_;
  std::unique_ptr<io::Reactor> reactor_;
  std::unique_ptr<Gate> gate_;
  std::map<std::string, Listener> listeners_;  // by canonical address
  std::unique_ptr<engine::RelayPool> pool_;
  std::vector<BackendRef> backends_;
  std::uint64_t pool_generation_ = 0;
  std::map<std::size_t, Check> checks_;
  // Before the connections: theirs come back to it when they are destroyed.
  PipePool pipes_{kIdlePipes};
  std::unordered_map<std::uint64_t, std::unique_ptr<Conn>> conns_;
  std::vector<std::unique_ptr<Conn>> finished_;  // destroyed on the next turn
  // Open connections still in their head phase (Hooks::settled), by id = order of arrival: the
  // ones a full relay evicts, oldest first. O(log n) per accept and close.
  std::set<std::uint64_t> heads_;
  std::uint64_t next_id_ = 1;
  std::unique_ptr<io::HttpServer> http_;
  // Counters for /metrics.
  std::uint64_t accepted_ = 0, bytes_up_ = 0, bytes_down_ = 0;
  std::map<std::string, std::uint64_t> refusals_;  // by the gate's reason
  std::array<std::uint64_t, kRejectCount> rejects_{};
  std::uint64_t reloads_ = 0, reload_failures_ = 0;
  std::size_t forwarding_ = 0;  // connections with a backend (and pipes); the rest are pending
  std::size_t high_water_ = 0;  // most connections open since the heap was last trimmed
  std::size_t nofile_ = 0;  // the soft RLIMIT_NOFILE in force
  std::string fd_note_said_;  // the open-files note last printed (start or reload)
  int exit_code_ = 0;
};

}  // namespace reach::tools::relay
