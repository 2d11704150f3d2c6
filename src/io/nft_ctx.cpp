#include "io/nft_ctx.hpp"

#include <linux/capability.h>

#include <algorithm>
#include <cerrno>
#include <optional>

#include "io/nft_api.hpp"

#include "sys/caps.hpp"
#include "sys/shared_library.hpp"

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
  std::optional<NftLibrary> lib;
  nft_ctx* nft = nullptr;
  void drop() {
    if (nft) lib->api().ctx_free(nft);
    nft = nullptr;
    lib.reset();
  }
  ~Impl() { drop(); }
  Result<void> make() {
    if (nft) return {};
    if (!lib) {
      auto l = NftLibrary::load();
      if (!l) return tl::unexpected(l.error());
      lib.emplace(std::move(*l));
    }
    const NftApi& a = lib->api();
    nft = a.ctx_new(NFT_CTX_DEFAULT);
    if (!nft) return fail("nft_ctx_new", "", ENOMEM);
    if (a.buffer_output(nft) != 0 || a.buffer_error(nft) != 0) {
      drop();
      return fail("nft_ctx_buffer_output", "", ENOMEM);
    }
    return {};
  }
};

NftCtx::NftCtx(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
NftCtx::NftCtx(NftCtx&&) noexcept = default;
NftCtx& NftCtx::operator=(NftCtx&&) noexcept = default;
NftCtx::~NftCtx() = default;

Result<NftCtx> NftCtx::open() { return NftCtx(std::make_unique<Impl>()); }

void NftCtx::release() {
  if (!impl_ || !impl_->lib) return;
  impl_->drop();
  sys::trim_heap();  // the context's freed heap, else kept resident
}

bool NftCtx::loaded() const { return impl_ && impl_->lib.has_value(); }

Result<void> NftCtx::permitted(const std::string& op, const std::string& where) {
  if (!sys::has_capability(CAP_NET_ADMIN)) return fail(op, where, EPERM, "needs root or CAP_NET_ADMIN");
  return {};
}

Result<std::string> NftCtx::run(const std::string& op, const std::string& where, const std::string& cmds, bool json) {
  // Without CAP_NET_ADMIN every netlink request of nftables is refused, and libnftables 1.0.6
  // then writes "(you must be root)" to the process's stderr itself, past its error buffer: an
  // unprefixed stray line under a daemon's own. Said here instead, as our error.
  if (auto p = permitted(op, where); !p) return tl::unexpected(p.error());
  if (auto m = impl_->make(); !m) return tl::unexpected(m.error());
  const NftApi& a = impl_->lib->api();
  nft_ctx* n = impl_->nft;
  const unsigned flags = a.output_get_flags(n);
  a.output_set_flags(n, json ? (flags | NFT_CTX_OUTPUT_JSON) : (flags & ~NFT_CTX_OUTPUT_JSON));
  const int rc = a.run_cmd_from_buffer(n, cmds.c_str());
  a.output_set_flags(n, flags);
  std::string out = a.get_output_buffer(n);
  std::string err = first_line(a.get_error_buffer(n));
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
