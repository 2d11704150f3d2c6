#pragma once
// The traffic block of `reach usage` at the cap (on_cap.block, docs/USAGE.md "on_cap"), through
// libnftables, in the table `inet reach` that relay and guard share (docs/NFTABLES.md). A set of
// interface names with per-element kernel timeouts (the time left until the cycle ends: the block
// lifts by itself even when reach is dead), and chains at the input, forward and output hooks
// that send traffic through a blocked interface to `usage_essential`, which accepts the
// essential ports and prefixes and drops the rest. The chains never touch relay/guard's own.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "base/time.hpp"
#include "io/nft_ctx.hpp"
#include "model/usage.hpp"

namespace reach::io {

using model::BlockAllow;

// The nft script that creates the set and chains when missing and rewrites the chains' rules
// (pure; exposed for unit tests). Elements already in the set are kept. ICMPv6 neighbour
// discovery and packet-too-big and ICMP destination-unreachable always stay open; loopback is
// never in the set.
std::string block_ensure_script(const std::string& table, std::span<const BlockAllow> allow);

// The element timeout for a block until `cycle_end_s` at `now_s` (unix s): whole seconds left,
// at least 1 s.
TimeNs block_timeout(std::int64_t cycle_end_s, std::int64_t now_s);

// An interface name the block can hold: 1..15 of A-Z a-z 0-9 _ . - @ :, never "lo".
bool blockable_ifname(std::string_view name);

struct BlockEntry {
  std::string ifname;
  TimeNs timeout = 0, expires = 0;  // as the kernel reports them
};

class NftUsageBlock {
 public:
  // A libnftables context in the calling thread's network namespace. Makes no change yet.
  static Result<NftUsageBlock> open(std::string table = "reach");
  NftUsageBlock(NftUsageBlock&&) noexcept;
  NftUsageBlock& operator=(NftUsageBlock&&) noexcept;
  ~NftUsageBlock();

  // Table, set and chains in one transaction; the essential chain's rules rewritten.
  Result<void> ensure(std::span<const BlockAllow> allow);
  // Adds (or refreshes: delete + add in the same transaction) the names with this timeout.
  Result<void> block(std::span<const std::string> ifnames, TimeNs timeout);
  // Removes the names; absent ones are no error. No error either when the table is absent.
  Result<void> unblock(std::span<const std::string> ifnames);
  Result<std::vector<BlockEntry>> list();

 private:
  NftUsageBlock(std::string table, NftCtx ctx);
  Result<std::string> run(const std::string& op, const std::string& cmds, bool json = false);
  std::string table_;
  NftCtx ctx_;
};

}  // namespace reach::io
