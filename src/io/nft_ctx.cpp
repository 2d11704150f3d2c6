#include "io/nft_ctx.hpp"

#include <linux/capability.h>
#include <nftables/libnftables.h>

#include <algorithm>
#include <cerrno>

#include "sys/caps.hpp"

namespace reach::io {

namespace {

// "Error: ...\n<cmd>\n^^^" -> its first line, for an error message of one line.
std::string first_line(const char* text) {
  std::string s = text ? text : "";
  auto nl = s.find('\n');
  return nl == std::string::npos ? s : s.substr(0, nl);
}

}  // namespace

struct NftCtx::Impl {
  nft_ctx* nft = nullptr;
  ~Impl() {
    if (nft) nft_ctx_free(nft);
  }
};

NftCtx::NftCtx(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
NftCtx::NftCtx(NftCtx&&) noexcept = default;
NftCtx& NftCtx::operator=(NftCtx&&) noexcept = default;
NftCtx::~NftCtx() = default;

Result<NftCtx> NftCtx::open() {
  auto impl = std::make_unique<Impl>();
  impl->nft = nft_ctx_new(NFT_CTX_DEFAULT);
  if (!impl->nft) return fail("nft_ctx_new", "", ENOMEM);
  if (nft_ctx_buffer_output(impl->nft) != 0 || nft_ctx_buffer_error(impl->nft) != 0)
    return fail("nft_ctx_buffer_output", "", ENOMEM);
  return NftCtx(std::move(impl));
}

Result<std::string> NftCtx::run(const std::string& op, const std::string& where, const std::string& cmds, bool json) {
  // Without CAP_NET_ADMIN every netlink request of nftables is refused, and libnftables 1.0.6
  // then writes "(you must be root)" to the process's stderr itself, past its error buffer: an
  // unprefixed stray line under a daemon's own. Said here instead, as our error.
  if (!sys::has_capability(CAP_NET_ADMIN))
    return fail(op, where, EPERM, "Operation not permitted (needs root or CAP_NET_ADMIN)");
  nft_ctx* n = impl_->nft;
  const unsigned flags = nft_ctx_output_get_flags(n);
  nft_ctx_output_set_flags(n, json ? (flags | NFT_CTX_OUTPUT_JSON) : (flags & ~NFT_CTX_OUTPUT_JSON));
  const int rc = nft_run_cmd_from_buffer(n, cmds.c_str());
  nft_ctx_output_set_flags(n, flags);
  std::string out = nft_ctx_get_output_buffer(n);
  std::string err = first_line(nft_ctx_get_error_buffer(n));
  if (rc != 0) {
    int e = EIO;
    if (err.find("No such file or directory") != std::string::npos) e = ENOENT;
    if (err.find("Operation not permitted") != std::string::npos) e = EPERM;
    return fail(op, where, e, err);
  }
  return out;
}

std::string nft_timeout_text(TimeNs t) {
  constexpr std::int64_t kMaxMs = 36500LL * 86400 * 1000;
  std::int64_t ms = std::clamp<std::int64_t>((t + kNsPerMs - 1) / kNsPerMs, 1000, kMaxMs);
  std::string out;
  auto part = [&](std::int64_t v, const char* unit) {
    if (v > 0) out += std::to_string(v) + unit;
  };
  part(ms / 86400000, "d");
  part(ms % 86400000 / 3600000, "h");
  part(ms % 3600000 / 60000, "m");
  part(ms % 60000 / 1000, "s");
  part(ms % 1000, "ms");
  return out;
}

}  // namespace reach::io
