#pragma once
// The one place where a probe's stamps become an RTT, for every engine that pairs them.
//
// One origin: a probe's clock starts when reach handed it to the kernel (the user-space time
// read just before the send call). The kernel's TX stamp replaces it only when it lies inside
// that send call, which proves it is this probe's stamp and that the probe left at once. A stamp
// taken later means the local stack held the probe (neighbour resolution, a busy queue): the
// user waited for that too, so the origin stays at the send. The deadline that makes a probe
// lost counts from the same origin, so an answer is late exactly when its RTT exceeds the wait.
#include <cstdint>
#include <optional>

#include "base/time.hpp"
#include "model/ping.hpp"

namespace reach::engine {

struct SendTimes {
  TimeNs before = 0;  // user-space clock just before the send call
  TimeNs after = 0;   // ... and just after it returned
  std::optional<TimeNs> kernel_tx;
};

struct RxTimes {
  TimeNs user = 0;  // user-space clock when the answer was read
  std::optional<TimeNs> kernel;
  // TCP_INFO's handshake RTT (connect probes): a kernel-measured RTT instead of an RX stamp.
  std::optional<TimeNs> kernel_rtt;
};

struct PairedRtt {
  TimeNs rtt = 0;
  model::StampSource tx_source = model::StampSource::user;
  model::StampSource rx_source = model::StampSource::user;
  model::StampDrop tx_drop = model::StampDrop::none;
  model::StampDrop rx_drop = model::StampDrop::none;
  int dropped() const { return (tx_drop != model::StampDrop::none) + (rx_drop != model::StampDrop::none); }
};

// Why the kernel TX stamp is not the origin (none: it is).
model::StampDrop check_tx(const SendTimes& s);
// Where the probe's clock starts: the kernel TX stamp when it passes check_tx, else `before`.
TimeNs send_origin(const SendTimes& s);
// The RTT of an answer; never negative. A stamp that fails its check is dropped and the
// user-space time takes its place.
PairedRtt pair_stamps(const SendTimes& s, const RxTimes& r);

// The stamps of what a socket delivered (ping's and trace's Incoming types share the fields).
template <typename In>
RxTimes rx_of(const In& in) {
  RxTimes r;
  r.user = in.user_rx.value_or(in.rx);
  if (in.kernel_rx) r.kernel = in.rx;
  return r;
}

}  // namespace reach::engine
