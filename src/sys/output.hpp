#pragma once
// Standard output that loses no failure. A reader that went away (EPIPE: `reach ping X | head
// -1`) ends the process as SIGPIPE ends ping: reach ignores SIGPIPE for its sockets, so without
// this a ping without -c would run on forever into a closed pipe. Any other failed write (a full
// disk, /dev/full) is remembered for main to report and asks the run to stop; later output is
// dropped.
#include <streambuf>

namespace reach::sys {

class FdOutput final : public std::streambuf {
 public:
  explicit FdOutput(int fd);
  ~FdOutput() override;
  FdOutput(const FdOutput&) = delete;
  FdOutput& operator=(const FdOutput&) = delete;

  int error() const { return err_; }  // errno of the first failed write, 0 when none failed

 protected:
  int_type overflow(int_type c) override;
  std::streamsize xsputn(const char* s, std::streamsize n) override;
  int sync() override;

 private:
  bool write_out(const char* p, std::size_t n);
  int fd_;
  int err_ = 0;
  char buf_[16384];
};

}  // namespace reach::sys
