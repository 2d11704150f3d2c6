#include "engine/rtt.hpp"

#include <algorithm>

namespace reach::engine {

using model::StampDrop;
using model::StampSource;

StampDrop check_tx(const SendTimes& s) {
  if (!s.kernel_tx) return StampDrop::none;
  // Sends on one socket never overlap, so only this probe's stamp can fall inside its call.
  if (*s.kernel_tx < s.before) return StampDrop::tx_before_send;
  if (*s.kernel_tx > s.after) return StampDrop::tx_after_send;
  return StampDrop::none;
}

TimeNs send_origin(const SendTimes& s) {
  return s.kernel_tx && check_tx(s) == StampDrop::none ? *s.kernel_tx : s.before;
}

PairedRtt pair_stamps(const SendTimes& s, const RxTimes& r) {
  PairedRtt p;
  p.tx_drop = check_tx(s);
  TimeNs origin = send_origin(s);
  if (s.kernel_tx && p.tx_drop == StampDrop::none) p.tx_source = StampSource::kernel;
  if (r.kernel_rtt) {
    // The kernel timed the handshake itself; it must fit inside what the user saw.
    if (*r.kernel_rtt >= 0 && *r.kernel_rtt <= r.user - s.before) {
      p.rtt = *r.kernel_rtt;
      p.tx_source = p.rx_source = StampSource::kernel;
      p.tx_drop = StampDrop::none;
      return p;
    }
    p.rx_drop = StampDrop::kernel_rtt_out_of_range;
  } else if (r.kernel) {
    if (*r.kernel >= origin) {
      p.rtt = *r.kernel - origin;
      p.rx_source = StampSource::kernel;
      return p;
    }
    p.rx_drop = StampDrop::rx_before_tx;
  }
  p.rtt = std::max<TimeNs>(0, r.user - origin);
  return p;
}

}  // namespace reach::engine
