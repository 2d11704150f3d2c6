#pragma once
// libnftables' functions that io::NftCtx calls, loaded with dlopen while a context needs them,
// not linked: relay and guard map libnftables and what it pulls in (libnftnl, libmnl,
// libxtables, libjansson, libgmp: ~1.4 MiB of file pages, plus the context's heap) only around
// their ban batches. Each pointer has the type of the declaration in <nftables/libnftables.h>.
#include <nftables/libnftables.h>

#include "base/error.hpp"

namespace reach::io {

struct NftApi {
  decltype(&::nft_ctx_new) ctx_new;
  decltype(&::nft_ctx_free) ctx_free;
  decltype(&::nft_ctx_buffer_output) buffer_output;
  decltype(&::nft_ctx_buffer_error) buffer_error;
  decltype(&::nft_ctx_output_get_flags) output_get_flags;
  decltype(&::nft_ctx_output_set_flags) output_set_flags;
  decltype(&::nft_run_cmd_from_buffer) run_cmd_from_buffer;
  decltype(&::nft_ctx_get_output_buffer) get_output_buffer;
  decltype(&::nft_ctx_get_error_buffer) get_error_buffer;
};

// One reference to the loaded library and its table. The dynamic loader counts references: the
// library leaves the address space when the last NftLibrary is destroyed (unlike libmicrohttpd
// and libcurl, which stay once loaded).
class NftLibrary {
 public:
  // Error: {op "load", addr "libnftables.so.1", 0, why} when the library or a function is missing.
  static Result<NftLibrary> load();
  NftLibrary(NftLibrary&& o) noexcept;
  NftLibrary& operator=(NftLibrary&& o) noexcept;
  ~NftLibrary();
  const NftApi& api() const { return api_; }

 private:
  NftLibrary(void* handle, const NftApi& api) : handle_(handle), api_(api) {}
  void* handle_ = nullptr;
  NftApi api_{};
};

}  // namespace reach::io
