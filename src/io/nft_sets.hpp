#pragma once
// The kernel ban sets shared by `reach relay` and `reach guard` (docs/NFTABLES.md), through
// libnftables. One table, `inet reach`, owned by us alone: a chain hooked at prerouting
// (priority -300, before conntrack, so a banned source costs no conntrack entry) drops sources
// found in one of five plain `hash` sets with per-element timeouts:
//
//   ban4      ipv4_addr   ip saddr @ban4                                 (/32)
//   ban4_24   ipv4_addr   ip saddr & 255.255.255.0 @ban4_24             (/24)
//   ban6      ipv6_addr   ip6 saddr @ban6                                (/128)
//   ban6_64   ipv6_addr   ip6 saddr & ffff:ffff:ffff:ffff:: @ban6_64    (/64)
//   ban6_48   ipv6_addr   ip6 saddr & ffff:ffff:ffff:: @ban6_48         (/48)
//
// Never `interval` sets: batched inserts into those run ~150x slower (issue 14 measured ~2.6k/s
// against ~400k/s). Every call is ONE libnftables command buffer, which nft sends as one netlink
// transaction: all of it applies or none does.
#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "base/ip_prefix.hpp"
#include "base/time.hpp"
#include "io/nft_ctx.hpp"

namespace reach::io {

struct NftLayout {
  std::string table = "reach";  // table inet <table>
  int priority = -300;          // of the prerouting chain
  std::size_t set_size = 1 << 20;  // per set; a batch that would overflow a set fails whole
};

// One ban: prefix lengths 32 or 24 (IPv4), 128, 64 or 48 (IPv6); others are refused.
struct Ban {
  IpPrefix prefix;
  TimeNs timeout = 0;  // kernel element timeout; rounded up to whole milliseconds, at least 1 s
};

struct BanEntry {
  IpPrefix prefix;
  TimeNs timeout = 0;  // as set
  TimeNs expires = 0;  // left, as the kernel reports it (0 when unknown)
};

struct BatchOutcome {
  std::size_t added = 0;        // inserted or refreshed
  std::size_t allowed = 0;      // skipped: overlaps the allow-list
  std::size_t unsupported = 0;  // skipped: a prefix length with no set
};

// True when banning p would drop traffic from an allowed prefix, or p lies in one: p and one of
// `allow` overlap. Loopback, link-local, multicast and unspecified are always refused too.
bool ban_refused(const IpPrefix& p, std::span<const IpPrefix> allow);

// The set a prefix goes to ("ban6_64"), empty when its length has none.
std::string set_for(const IpPrefix& p);

class NftSets {
 public:
  // A libnftables context in the calling thread's network namespace. Makes no change and loads
  // nothing yet (the first call that runs nft does).
  static Result<NftSets> open(NftLayout layout = {});
  NftSets(NftSets&&) noexcept;
  NftSets& operator=(NftSets&&) noexcept;
  ~NftSets();

  // The allow-list checked before every insert (addresses are /32 or /128 prefixes).
  void set_allow_list(std::vector<IpPrefix> allow) { allow_ = std::move(allow); }
  const std::vector<IpPrefix>& allow_list() const { return allow_; }

  // Creates the table, sets and chain when missing and (re)writes the chain's rules, in one
  // transaction (refused when a table of that name holds what reach does not make); elements
  // already in the sets are kept (a restart of relay or guard keeps bans).
  // Then probes, on a scratch set it removes again, whether this kernel refreshes an element's
  // timeout on a plain re-add (Linux 6.10+ does; before, only delete + add does).
  Result<void> ensure();
  bool readd_refreshes() const { return readd_refreshes_; }

  // Adds every ban not refused by the allow-list in one transaction. A prefix already present
  // gets the new timeout: a plain add where ensure() found that the kernel refreshes on re-add,
  // else add, delete, add in the same transaction (3x the work).
  Result<BatchOutcome> add(std::span<const Ban> bans);

  // Deletes the given prefixes (those not present are ignored); 0 when our table does not exist.
  Result<std::size_t> remove(std::span<const IpPrefix> prefixes);

  // Every element of our sets, from the kernel (libnftables JSON output); none when our table
  // does not exist (guard never ran here, or --uninstall).
  Result<std::vector<BanEntry>> list();

  // True when our table exists.
  Result<bool> installed();

  // Deletes our table (chain, sets, elements) and nothing else; no error when absent. A table of
  // that name that holds anything reach does not make is someone's firewall: refused.
  Result<void> uninstall();

  const NftLayout& layout() const { return layout_; }
  // The error every call would give without CAP_NET_ADMIN, asked before anything is written.
  Result<void> permitted(const std::string& op) const { return NftCtx::permitted(op, "inet " + layout_.table); }

  // Unloads libnftables until the next call (NftCtx::release): a daemon between ban batches.
  void release() { ctx_.release(); }
  bool loaded() const { return ctx_.loaded(); }

 private:
  NftSets(NftLayout layout, NftCtx ctx);
  // Runs one command buffer; op names the operation for the error.
  Result<std::string> run(const std::string& op, const std::string& cmds, bool json = false);
  Result<void> check_ours(const std::string& op);

  NftLayout layout_;
  NftCtx ctx_;
  std::vector<IpPrefix> allow_;
  bool readd_refreshes_ = false;
};

// What in a `list table` JSON listing (libnftables) reach did not make — "chain input", "map
// m" —, empty when everything is ours: the ban sets and their prerouting chain, and reach usage's
// block (set usage_block, chains usage_*). Unreadable JSON is "unreadable listing". Pure.
std::string foreign_in_table(const std::string& listing_json);

// The nft script for a batch (pure; exposed for unit tests): per set, one add, or add, delete,
// add when !readd_refreshes.
std::string add_script(const std::string& table, std::span<const Ban> bans, bool readd_refreshes);

}  // namespace reach::io
