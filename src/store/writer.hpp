#pragma once
// History and alert-state writes off the caller's thread: a thread owning its own Store (the
// same file, its own connection) takes rounds from a bounded queue and commits them as they
// come (group commit: whatever queued while the last transaction ran goes in the next), and
// runs flush()'s rollups and pruning when tick() asks, in short transactions with the rounds
// that arrived meanwhile written between them. The probe loop only queues: it never waits for
// SQLite (a minute's rollup of 10,000 targets took 3 s of wall time on a loaded machine).
//
// A kill -9 loses what is queued and not committed yet: the rounds of the last few
// milliseconds, or of one rollup chunk's transaction (Options::rollup_chunk targets).
//
// Thread-safety: every method is for one caller thread (the daemon's loop); the writer thread
// is internal. Reads (history, the outbox) go through the caller's own Store.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "store/store.hpp"

namespace reach::store {

class Writer {
 public:
  // Opens its Store now (errors are the caller's, at start); the thread starts with start().
  static Result<std::unique_ptr<Writer>> open(const Options& options);
  // Starts the thread. Call it after privileges are dropped (capabilities are per thread: one
  // started before the drop keeps them) and after the caller blocked the signals it reads from
  // a signalfd (the thread inherits the mask). What was queued before is written then.
  void start();
  ~Writer();  // writes what is queued (without a last flush) unless close() ran
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Queued in order; never blocks on the disk. Beyond Options::max_pending queued rounds the
  // oldest is dropped (counted in Status::dropped).
  void add_round(const model::RoundResult& round);
  void save_alert_states(std::vector<AlertState> states);
  void forget_alert_states(std::vector<std::string> targets);
  // Asks for one flush(now_wall) (rollups, pruning) once what is queued is written; ticks that
  // come while one runs are merged into the next.
  void tick(TimeNs now_wall);
  // Writes everything queued, runs a last flush(now_wall) and stops the thread.
  Result<void> close(TimeNs now_wall);

  // Held by the caller's thread around its own writes to the file (the outbox): while one is
  // held the writer thread starts no transaction, so the caller waits for the one running at
  // most (a rollup chunk, tens of ms). SQLite's lock is not fair: without this, a rollup's
  // series of transactions could keep the caller's busy handler waiting until it is all done.
  class Hold {
   public:
    explicit Hold(Writer* w);  // null: holds nothing
    ~Hold();
    Hold(const Hold&) = delete;
    Hold& operator=(const Hold&) = delete;

   private:
    Writer* w_;
  };

  struct Status {
    bool failing = false;       // the latest write or flush failed
    std::string error;          // its message ("store write /var/lib/reach/watch.db: ...")
    std::uint64_t errors = 0;   // failed writes and flushes since open
    std::uint64_t flushes = 0;  // flush() passes completed (ok or not)
    std::uint64_t written = 0;  // rounds committed since open
    std::size_t dropped = 0;    // rounds dropped because the queue was full
    std::size_t queued = 0;     // rounds waiting now
  };
  Status status() const;

  struct Impl;

 private:
  explicit Writer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace reach::store
