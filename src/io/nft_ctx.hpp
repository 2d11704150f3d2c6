#pragma once
// One libnftables context with buffered output and errors, shared by io/nft_sets and
// io/nft_usage_block: runs one command buffer (one netlink transaction) in the calling thread's
// network namespace, its error a value of one line. The library (io/nft_api) and the context
// are made at the first run() and dropped again by release(): a daemon maps libnftables only
// while it bans.
#include <memory>
#include <string>

#include "base/error.hpp"
#include "base/time.hpp"

namespace reach::io {

class NftCtx {
 public:
  // Makes no context and loads nothing yet: that is the first run()'s.
  static Result<NftCtx> open();
  NftCtx(NftCtx&&) noexcept;
  NftCtx& operator=(NftCtx&&) noexcept;
  ~NftCtx();
  // Runs `cmds`; op and where ("inet reach") name the operation for the error (errno ENOENT or
  // EPERM when nft says so, else EIO). json: the output as libnftables JSON.
  // Loads libnftables and makes the context when released (errors: {op "load", addr
  // "libnftables.so.1"}, {op "nft_ctx_new"}); never without CAP_NET_ADMIN.
  Result<std::string> run(const std::string& op, const std::string& where, const std::string& cmds, bool json = false);
  // The error run() gives without CAP_NET_ADMIN (none with it): a daemon asks before it writes
  // its state, so a start that could never ban leaves nothing behind.
  static Result<void> permitted(const std::string& op, const std::string& where);
  // Frees the context and drops this context's reference to the library (its pages and heap go
  // with the last one); the next run() makes them again.
  void release();
  bool loaded() const;

 private:
  struct Impl;
  explicit NftCtx(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// An element timeout as nft writes one: "31d", "1d2h3m4s500ms", rounded up to milliseconds, at
// least 1s, at most 36500d. nft 1.0.6 refuses one number that large in a smaller unit ("2678400000ms",
// "100000000s": "value too large"), so a month-long timeout must be written in days.
std::string nft_timeout_text(TimeNs t);

}  // namespace reach::io
