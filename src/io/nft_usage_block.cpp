#include "io/nft_usage_block.hpp"

#include <algorithm>
#include <cerrno>
#include <nlohmann/json.hpp>

namespace reach::io {

namespace {

std::string quoted_list(std::span<const std::string> names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "\"" : ", \"") + n + "\"";
  return out;
}

}  // namespace

TimeNs block_timeout(std::int64_t cycle_end_s, std::int64_t now_s) {
  return std::max<std::int64_t>(cycle_end_s - now_s, 1) * kNsPerSec;
}

bool blockable_ifname(std::string_view name) {
  return !name.empty() && name.size() <= 15 && name != "lo" &&
         name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-@:") == std::string_view::npos;
}

std::string block_ensure_script(const std::string& table, std::span<const BlockAllow> allow) {
  const std::string t = "inet " + table;
  std::string s = "add table " + t + "\n";
  s += "add set " + t + " usage_block { type ifname; flags timeout; }\n";
  s += "add chain " + t + " usage_essential\n";
  s += "flush chain " + t + " usage_essential\n";
  const std::string rule = "add rule " + t + " usage_essential ";
  // Both directions of an allowed port or prefix: the request and its reply.
  for (const auto& a : allow) {
    if (a.kind == BlockAllow::Kind::port) {
      const std::string ports = a.port_lo == a.port_hi ? std::to_string(a.port_lo)
                                                        : std::to_string(a.port_lo) + "-" + std::to_string(a.port_hi);
      s += rule + a.proto + " dport " + ports + " accept\n";
      s += rule + a.proto + " sport " + ports + " accept\n";
    } else {
      const char* fam = a.prefix.net.is_v4() ? "ip" : "ip6";
      s += rule + fam + " daddr " + a.prefix.to_string() + " accept\n";
      s += rule + fam + " saddr " + a.prefix.to_string() + " accept\n";
    }
  }
  s += rule + "icmpv6 type { nd-router-solicit, nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert, nd-redirect, packet-too-big } accept\n";
  s += rule + "icmp type destination-unreachable accept\n";
  s += rule + "counter drop\n";
  for (const auto& [chain, hook] : {std::pair{"usage_input", "input"}, {"usage_forward", "forward"}, {"usage_output", "output"}}) {
    s += "add chain " + t + " " + chain + " { type filter hook " + hook + " priority filter; policy accept; }\n";
    s += "flush chain " + t + " " + chain + "\n";
    if (std::string_view(hook) != "output") s += "add rule " + t + " " + chain + " iifname @usage_block jump usage_essential\n";
    if (std::string_view(hook) != "input") s += "add rule " + t + " " + chain + " oifname @usage_block jump usage_essential\n";
  }
  return s;
}

NftUsageBlock::NftUsageBlock(std::string table, NftCtx ctx) : table_(std::move(table)), ctx_(std::move(ctx)) {}
NftUsageBlock::NftUsageBlock(NftUsageBlock&&) noexcept = default;
NftUsageBlock& NftUsageBlock::operator=(NftUsageBlock&&) noexcept = default;
NftUsageBlock::~NftUsageBlock() = default;

Result<NftUsageBlock> NftUsageBlock::open(std::string table) {
  if (table.empty() || table.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos)
    return fail("nftables table name", table, EINVAL, "letters, digits and _ only");
  auto ctx = NftCtx::open();
  if (!ctx) return tl::unexpected(ctx.error());
  return NftUsageBlock(std::move(table), std::move(*ctx));
}

Result<std::string> NftUsageBlock::run(const std::string& op, const std::string& cmds, bool json) {
  return ctx_.run(op, "inet " + table_, cmds, json);
}

Result<void> NftUsageBlock::ensure(std::span<const BlockAllow> allow) {
  auto r = run("nftables usage block ensure", block_ensure_script(table_, allow));
  if (!r) return tl::unexpected(r.error());
  return {};
}

Result<void> NftUsageBlock::block(std::span<const std::string> ifnames, TimeNs timeout) {
  for (const auto& n : ifnames)
    if (!blockable_ifname(n)) return fail("nftables usage block", n, EINVAL, "not an interface name that may be blocked");
  if (ifnames.empty()) return {};
  const std::string head = " element inet " + table_ + " usage_block { ";
  const std::string ttl = nft_timeout_text(timeout);
  std::string timed;
  for (const auto& n : ifnames) timed += (timed.empty() ? "\"" : ", \"") + n + "\" timeout " + ttl;
  // add, delete, add: a name already present gets the new timeout on every kernel.
  auto r = run("nftables usage block", "add" + head + timed + " }\ndelete" + head + quoted_list(ifnames) + " }\nadd" +
                                           head + timed + " }\n");
  if (!r) return tl::unexpected(r.error());
  return {};
}

Result<void> NftUsageBlock::unblock(std::span<const std::string> ifnames) {
  for (const auto& n : ifnames)
    if (!blockable_ifname(n)) return fail("nftables usage unblock", n, EINVAL, "not an interface name that may be blocked");
  if (ifnames.empty()) return {};
  // add (1 s) then delete: an absent element is no error. No table or set (ENOENT): nothing is
  // blocked, and none is created.
  const std::string set = "inet " + table_ + " usage_block";
  std::string timed;
  for (const auto& n : ifnames) timed += (timed.empty() ? "\"" : ", \"") + n + "\" timeout 1s";
  auto r = run("nftables usage unblock",
               "add element " + set + " { " + timed + " }\ndelete element " + set + " { " + quoted_list(ifnames) + " }\n");
  if (!r && r.error().err != ENOENT) return tl::unexpected(r.error());
  return {};
}

Result<std::vector<BlockEntry>> NftUsageBlock::list() {
  auto r = run("nftables usage block list", "list set inet " + table_ + " usage_block", true);
  if (!r) return tl::unexpected(r.error());
  auto doc = nlohmann::json::parse(*r, nullptr, false);
  if (doc.is_discarded() || !doc.contains("nftables")) return fail("nftables usage block list", "inet " + table_, EIO, "unreadable JSON");
  std::vector<BlockEntry> out;
  for (const auto& item : doc["nftables"]) {
    if (!item.contains("set") || !item["set"].contains("elem")) continue;
    for (const auto& e : item["set"]["elem"]) {
      BlockEntry b;
      if (e.is_string()) {
        b.ifname = e.get<std::string>();
      } else if (e.contains("elem")) {
        const auto& el = e["elem"];
        b.ifname = el.value("val", "");
        b.timeout = el.value("timeout", std::int64_t{0}) * kNsPerSec;
        b.expires = el.value("expires", std::int64_t{0}) * kNsPerSec;
      }
      out.push_back(b);
    }
  }
  return out;
}

}  // namespace reach::io
