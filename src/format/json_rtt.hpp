#pragma once
// The RTT fields every NDJSON answer carries (ping and trace), with the stamps it came from.
#include <nlohmann/json.hpp>

#include "base/time.hpp"
#include "model/ping.hpp"

namespace reach::format {

inline const char* stamp_drop_name(model::StampDrop d) {
  switch (d) {
    case model::StampDrop::none: return "";
    case model::StampDrop::tx_before_send: return "tx-before-send";
    case model::StampDrop::tx_after_send: return "tx-after-send";
    case model::StampDrop::rx_before_tx: return "rx-before-tx";
    case model::StampDrop::kernel_rtt_out_of_range: return "kernel-rtt-out-of-range";
  }
  return "?";
}

inline void put_rtt(nlohmann::json& j, TimeNs rtt, model::StampSource tx, model::StampSource rx,
                    model::StampDrop tx_drop, model::StampDrop rx_drop) {
  auto source = [](model::StampSource s) { return s == model::StampSource::kernel ? "kernel" : "user"; };
  j["rtt_ms"] = static_cast<double>(rtt) / 1e6;
  j["rtt_ns"] = rtt;
  j["tx_timestamp"] = source(tx);
  j["rx_timestamp"] = source(rx);
  // A kernel stamp that failed the RTT check (engine/rtt.hpp): why the user-space time was used.
  if (tx_drop != model::StampDrop::none) j["tx_stamp_dropped"] = stamp_drop_name(tx_drop);
  if (rx_drop != model::StampDrop::none) j["rx_stamp_dropped"] = stamp_drop_name(rx_drop);
}

}  // namespace reach::format
