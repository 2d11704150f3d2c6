// Fuzzes the ancillary-data decoders of sys/socket.cpp with arbitrary control buffers (the
// kernel's are well formed; a decoder must still never read past msg_control).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "sys/socket.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // An exact-size heap copy, so ASan sees any read beyond it.
  std::vector<unsigned char> control(data, data + size);
  msghdr msg{};
  msg.msg_control = control.empty() ? nullptr : control.data();
  msg.msg_controllen = control.size();
  reach::sys::Received r;
  reach::sys::decode_receive_cmsgs(msg, r);
  reach::sys::ErrQueueEntry e;
  reach::sys::decode_error_cmsgs(msg, e);
  return 0;
}
