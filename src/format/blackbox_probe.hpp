#pragma once
// blackbox_exporter-compatible /probe output: for one round, the metric names, types, HELP
// texts and labels blackbox_exporter 0.23 (Debian's prometheus-blackbox-exporter) writes for its
// icmp, tcp, http and dns probers, families sorted by name and samples by label as its registry
// does. The truth is the real exporter's output captured in a lab
// (tests/unit/golden/blackbox/*.prom, capture.py there); docs/WATCH-EXPORTS.md lists each series.
// Units: seconds, unix seconds for certificate expiry. Not written (no data in RoundResult):
// probe_http_last_modified_timestamp_seconds, probe_ssl_last_chain_info, probe_dns_serial.
//
// With `extras`, an icmp round also carries SmokePing's statistics, which blackbox declined to
// add, under names blackbox does not use: probe_icmp_packets_sent, probe_icmp_packets_received,
// probe_icmp_loss_ratio, the summary probe_icmp_rtt_seconds{quantile="0|0.25|0.5|0.75|0.9|1"}
// (with _sum and _count over the replies) and probe_icmp_rtt_stddev_seconds.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/ip_addr.hpp"
#include "format/prom_exposition.hpp"
#include "model/watch.hpp"

namespace reach::format {

enum class BlackboxProber : unsigned char { icmp, tcp, http, dns };

// The blackbox prober whose series a watch probe kind answers with: syn and udp rounds report
// as tcp (a connect-level verdict), the others as themselves.
BlackboxProber blackbox_prober_for(model::WatchProbe p);

// probe_ip_addr_hash: FNV-32a over the address bytes (4 for IPv4, 16 for IPv6), as blackbox's
// ipHash does with Go's net.IP (198.18.0.2 -> 393238771) — not over the address text.
std::uint32_t blackbox_ip_addr_hash(const IpAddr& a);

std::vector<prom::Family> blackbox_probe_families(const model::RoundResult& r, BlackboxProber prober, bool extras);
std::string write_blackbox_probe(const model::RoundResult& r, BlackboxProber prober, prom::Format format,
                                 bool extras = true);

}  // namespace reach::format
