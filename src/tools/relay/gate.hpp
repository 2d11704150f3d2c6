#pragma once
// The one place the accept and close paths ask about admission: the flood defences
// (tools/relay/defence.hpp, per-prefix limits and black-holing) behind a small interface, so
// the relay runs with an open gate when they are off.
#include <memory>
#include <string>
#include <vector>

#include "base/ip_addr.hpp"
#include "base/time.hpp"
#include "config/relay_config.hpp"

namespace reach::tools::relay {

class Gate {
 public:
  virtual ~Gate() = default;
  // A new connection from `peer`: admitted, or refused with the reason (a metrics label).
  struct Verdict {
    bool ok = true;
    std::string reason;
  };
  virtual Verdict admit(const IpAddr& peer, TimeNs now) = 0;
  // Once for every admitted connection.
  virtual void released(const IpAddr& peer, TimeNs now) = 0;
  // When the PROXY header / first request head must be complete.
  virtual TimeNs head_deadline(TimeNs accepted_at) const = 0;
  virtual void head_timed_out(const IpAddr& peer) = 0;
  virtual void tick(TimeNs) {}
  virtual TimeNs tick_interval() const { return 0; }  // 0: no tick
  virtual std::string metrics_text() const { return {}; }
  virtual std::vector<std::string> take_events() { return {}; }
};

// Admits everything; head deadline from the config.
std::unique_ptr<Gate> open_gate(const config::RelayConfig& cfg);

}  // namespace reach::tools::relay
