#include "io/nft_api.hpp"

#include <utility>

#include "sys/shared_library.hpp"

namespace reach::io {
namespace {

// Debian 12's libnftables1 (1.0.6): the soname of the ABI <nftables/libnftables.h> describes.
constexpr const char* kSoname = "libnftables.so.1";

}  // namespace

Result<NftLibrary> NftLibrary::load() {
  auto h = sys::load_library(kSoname);
  if (!h) return tl::unexpected(h.error());
  NftApi a{};
  sys::SymbolBinder bind(*h, kSoname);
  bind(a.ctx_new, "nft_ctx_new");
  bind(a.ctx_free, "nft_ctx_free");
  bind(a.buffer_output, "nft_ctx_buffer_output");
  bind(a.buffer_error, "nft_ctx_buffer_error");
  bind(a.output_get_flags, "nft_ctx_output_get_flags");
  bind(a.output_set_flags, "nft_ctx_output_set_flags");
  bind(a.run_cmd_from_buffer, "nft_run_cmd_from_buffer");
  bind(a.get_output_buffer, "nft_ctx_get_output_buffer");
  bind(a.get_error_buffer, "nft_ctx_get_error_buffer");
  if (auto ok = bind.status(); !ok) {
    sys::unload_library(*h);
    return tl::unexpected(ok.error());
  }
  return NftLibrary(*h, a);
}

NftLibrary::NftLibrary(NftLibrary&& o) noexcept : handle_(std::exchange(o.handle_, nullptr)), api_(o.api_) {}

NftLibrary& NftLibrary::operator=(NftLibrary&& o) noexcept {
  if (this != &o) {
    sys::unload_library(handle_);
    handle_ = std::exchange(o.handle_, nullptr);
    api_ = o.api_;
  }
  return *this;
}

NftLibrary::~NftLibrary() { sys::unload_library(handle_); }

}  // namespace reach::io
