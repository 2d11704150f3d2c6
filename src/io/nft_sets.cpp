#include "io/nft_sets.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <map>
#include <string_view>
#include <nlohmann/json.hpp>

namespace reach::io {

namespace {

struct SetSpec {
  const char* name;
  bool v6;
  int len;
  const char* match;  // the rule's left-hand side
};

constexpr std::array<SetSpec, 5> kSets{{
    {"ban4", false, 32, "ip saddr"},
    {"ban4_24", false, 24, "ip saddr & 255.255.255.0"},
    {"ban6", true, 128, "ip6 saddr"},
    {"ban6_64", true, 64, "ip6 saddr & ffff:ffff:ffff:ffff::"},
    {"ban6_48", true, 48, "ip6 saddr & ffff:ffff:ffff::"},
}};

const SetSpec* spec_for(const IpPrefix& p) {
  for (const auto& s : kSets)
    if (s.v6 == !p.net.is_v4() && s.len == p.len) return &s;
  return nullptr;
}

// Addresses no ban may ever cover: the host itself, link scope, multicast, unspecified, and
// IPv4-mapped IPv6 (a mapped ban belongs in the IPv4 sets).
const std::vector<IpPrefix>& never_banned() {
  static const std::vector<IpPrefix> v = [] {
    std::vector<IpPrefix> out;
    for (const char* t : {"0.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16", "224.0.0.0/3", "::/128", "::1/128",
                          "fe80::/10", "ff00::/8"})
      out.push_back(*parse_prefix(t));
    // Built by hand: parse_prefix reads a mapped prefix as the IPv4 one (::ffff:0:0/96 is 0.0.0.0/0).
    out.push_back(IpPrefix{*IpAddr::parse("::ffff:0:0"), 96});
    return out;
  }();
  return v;
}

bool overlaps(const IpPrefix& a, const IpPrefix& b) {
  if (a.net.family() != b.net.family()) return false;
  return a.len <= b.len ? a.contains(b.net) : b.contains(a.net);
}

bool ours(std::string_view kind, const std::string& name) {
  static constexpr std::array<std::string_view, 5> chains{"prerouting", "usage_essential", "usage_input", "usage_forward",
                                                          "usage_output"};
  if (kind == "chain") return std::find(chains.begin(), chains.end(), name) != chains.end();
  if (name == "refresh_probe" || name == "usage_block") return true;
  return std::any_of(kSets.begin(), kSets.end(), [&](const SetSpec& s) { return name == s.name; });
}

}  // namespace

std::string foreign_in_table(const std::string& listing_json) {
  const auto doc = nlohmann::json::parse(listing_json, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("nftables") || !doc["nftables"].is_array())
    return "unreadable listing";
  for (const auto& item : doc["nftables"]) {
    if (!item.is_object() || item.empty()) continue;
    const std::string kind = item.begin().key();
    if (kind == "metainfo" || kind == "table") continue;
    const auto& obj = item.begin().value();
    const std::string name = obj.is_object() ? obj.value("name", "") : "";
    if (kind == "chain" || kind == "set") {
      if (!ours(kind, name)) return kind + " " + name;
    } else if (kind == "rule") {
      const std::string chain = obj.is_object() ? obj.value("chain", "") : "";
      if (!ours("chain", chain)) return "a rule in chain " + chain;
    } else {
      return kind + (name.empty() ? "" : " " + name);  // maps, flowtables, counters, quotas...
    }
  }
  return "";
}

bool ban_refused(const IpPrefix& p, std::span<const IpPrefix> allow) {
  if (!spec_for(p)) return true;
  for (const auto& a : never_banned())
    if (overlaps(p, a)) return true;
  for (const auto& a : allow)
    if (overlaps(p, prefix_of(a.net, a.len))) return true;  // prefix_of unmaps ::ffff:a.b.c.d
  return false;
}

std::string set_for(const IpPrefix& p) {
  const SetSpec* s = spec_for(p);
  return s ? s->name : std::string{};
}

std::string add_script(const std::string& table, std::span<const Ban> bans, bool readd_refreshes) {
  // Elements grouped by set; one add per set, or add, delete, add (the delete and second add give
  // a present element the new timeout on kernels that keep it on a re-add).
  std::map<std::string, std::pair<std::string, std::string>> by_set;  // set -> (with timeouts, bare)
  for (const auto& b : bans) {
    const SetSpec* s = spec_for(b.prefix);
    if (!s) continue;
    auto& [timed, bare] = by_set[s->name];
    std::string addr = b.prefix.net.to_string();
    if (!timed.empty()) {
      timed += ", ";
      bare += ", ";
    }
    timed += addr + " timeout " + nft_timeout_text(b.timeout);
    bare += addr;
  }
  std::string out;
  for (const auto& [set, lists] : by_set) {
    const std::string head = " element inet " + table + " " + set + " { ";
    out += "add" + head + lists.first + " }\n";
    if (readd_refreshes) continue;
    out += "delete" + head + lists.second + " }\n";
    out += "add" + head + lists.first + " }\n";
  }
  return out;
}

NftSets::NftSets(NftLayout layout, NftCtx ctx) : layout_(std::move(layout)), ctx_(std::move(ctx)) {}
NftSets::NftSets(NftSets&&) noexcept = default;
NftSets& NftSets::operator=(NftSets&&) noexcept = default;
NftSets::~NftSets() = default;

Result<NftSets> NftSets::open(NftLayout layout) {
  if (layout.table.empty() || layout.table.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos)
    return fail("nftables table name", layout.table, EINVAL, "letters, digits and _ only");
  auto ctx = NftCtx::open();
  if (!ctx) return tl::unexpected(ctx.error());
  return NftSets(std::move(layout), std::move(*ctx));
}

Result<std::string> NftSets::run(const std::string& op, const std::string& cmds, bool json) {
  return ctx_.run(op, "inet " + layout_.table, cmds, json);
}

// An error when a table of our name holds what we do not make; fine when it is absent.
Result<void> NftSets::check_ours(const std::string& op) {
  auto r = run(op, "list table inet " + layout_.table, true);
  if (!r && r.error().err == ENOENT) return {};
  if (!r) return tl::unexpected(r.error());
  if (const std::string f = foreign_in_table(*r); !f.empty())
    return fail(op, "inet " + layout_.table, 0,
                "this table is not reach's (it holds " + f + "): left alone; give reach a table of its own (--table)");
  return {};
}

Result<void> NftSets::ensure() {
  const std::string t = "inet " + layout_.table;
  if (auto o = check_ours("nftables ensure"); !o) return o;
  std::string s = "add table " + t + "\n";
  for (const auto& set : kSets)
    s += "add set " + t + " " + set.name + " { type " + (set.v6 ? "ipv6_addr" : "ipv4_addr") +
         "; flags timeout; size " + std::to_string(layout_.set_size) + "; }\n";
  s += "add chain " + t + " prerouting { type filter hook prerouting priority " + std::to_string(layout_.priority) +
       "; policy accept; }\n";
  s += "flush chain " + t + " prerouting\n";
  for (const auto& set : kSets) s += "add rule " + t + " prerouting " + set.match + " @" + set.name + " counter drop\n";
  auto r = run("nftables ensure", s);
  if (!r) return tl::unexpected(r.error());
  // The re-add probe, on a set no rule uses.
  const std::string probe = t + " refresh_probe";
  auto p = run("nftables probe", "add set " + probe + " { type ipv4_addr; flags timeout; }\n" +
                                     "add element " + probe + " { 198.18.0.1 timeout 10s }\n" +
                                     "add element " + probe + " { 198.18.0.1 timeout 1000s }\n");
  if (!p) return tl::unexpected(p.error());
  auto listed = run("nftables probe", "list set " + probe, true);
  auto del = run("nftables probe", "delete set " + probe);
  if (!listed) return tl::unexpected(listed.error());
  if (!del) return tl::unexpected(del.error());
  auto doc = nlohmann::json::parse(*listed, nullptr, false);
  readd_refreshes_ = false;
  if (!doc.is_discarded() && doc.contains("nftables"))
    for (const auto& item : doc["nftables"])
      if (item.contains("set") && item["set"].contains("elem"))
        for (const auto& e : item["set"]["elem"])
          if (e.contains("elem") && e["elem"].value("timeout", 0) > 100) readd_refreshes_ = true;
  return {};
}

Result<BatchOutcome> NftSets::add(std::span<const Ban> bans) {
  BatchOutcome out;
  std::vector<Ban> keep;
  keep.reserve(bans.size());
  for (const auto& b : bans) {
    if (!spec_for(b.prefix)) {
      ++out.unsupported;
    } else if (ban_refused(b.prefix, allow_)) {
      ++out.allowed;
    } else {
      keep.push_back(b);
    }
  }
  if (keep.empty()) return out;
  auto r = run("nftables add elements", add_script(layout_.table, keep, readd_refreshes_));
  if (!r) return tl::unexpected(r.error());
  out.added = keep.size();
  return out;
}

Result<std::size_t> NftSets::remove(std::span<const IpPrefix> prefixes) {
  // add (1 s) then delete: an absent element would otherwise fail the whole transaction.
  std::vector<Ban> bans;
  for (const auto& p : prefixes)
    if (spec_for(p)) bans.push_back({p, kNsPerSec});
  if (bans.empty()) return std::size_t{0};
  std::string s = add_script(layout_.table, bans, false);
  // add_script gives add/delete/add per set: drop each set's final add.
  std::string trimmed;
  int line = 0;
  for (std::size_t pos = 0; pos < s.size();) {
    auto nl = s.find('\n', pos);
    if (line++ % 3 != 2) trimmed += s.substr(pos, nl - pos + 1);
    pos = nl + 1;
  }
  auto r = run("nftables delete elements", trimmed);
  if (!r && r.error().err == ENOENT) return std::size_t{0};  // no table (or set): nothing to remove
  if (!r) return tl::unexpected(r.error());
  return bans.size();
}

Result<std::vector<BanEntry>> NftSets::list() {
  auto r = run("nftables list", "list table inet " + layout_.table, true);
  if (!r && r.error().err == ENOENT) return std::vector<BanEntry>{};  // no table yet: it holds nothing
  if (!r) return tl::unexpected(r.error());
  auto doc = nlohmann::json::parse(*r, nullptr, false);
  if (doc.is_discarded() || !doc.contains("nftables")) return fail("nftables list", "inet " + layout_.table, EIO, "unreadable JSON");
  std::vector<BanEntry> out;
  for (const auto& item : doc["nftables"]) {
    if (!item.contains("set")) continue;
    const auto& set = item["set"];
    const std::string name = set.value("name", "");
    const SetSpec* spec = nullptr;
    for (const auto& s : kSets)
      if (name == s.name) spec = &s;
    if (!spec || !set.contains("elem")) continue;
    for (const auto& e : set["elem"]) {
      BanEntry b;
      std::string val;
      if (e.is_string()) {
        val = e.get<std::string>();
      } else if (e.contains("elem")) {
        const auto& el = e["elem"];
        val = el.value("val", "");
        b.timeout = el.value("timeout", std::int64_t{0}) * kNsPerSec;
        b.expires = el.value("expires", std::int64_t{0}) * kNsPerSec;
      }
      auto a = IpAddr::parse(val);
      if (!a) continue;
      b.prefix = prefix_of(*a, spec->len);
      out.push_back(b);
    }
  }
  return out;
}

Result<bool> NftSets::installed() {
  auto r = run("nftables list", "list table inet " + layout_.table);
  if (r) return true;
  if (r.error().err == ENOENT) return false;
  return tl::unexpected(r.error());
}

Result<void> NftSets::uninstall() {
  // add + delete in one transaction: deletes ours when present, no error when absent.
  const std::string t = "inet " + layout_.table;
  if (auto o = check_ours("nftables uninstall"); !o) return o;
  auto r = run("nftables uninstall", "add table " + t + "\ndelete table " + t + "\n");
  if (!r) return tl::unexpected(r.error());
  return {};
}

}  // namespace reach::io
