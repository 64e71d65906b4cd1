// Cooperative cancellation of long C++ work (fits, grouped fits, batch solves, schedules).
//
// A CancelToken is passed (as a const pointer, nullptr = not cancellable) to long-running work,
// which calls check() at safe points: between starts, iterations, groups, scenarios. check()
// throws Cancelled once cancellation was requested, from any thread, with request().
//
// A token may carry a poll function, called by check() on the thread that created the token (at
// most every `period`, so check() is cheap enough for inner loops: a clock read). The Python
// bindings poll for Ctrl-C this way (cpp/bindings/interrupt.hpp): the thread that called into C++
// is the only one that may run Python's signal handlers. Other threads only read the flag.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <stdexcept>
#include <thread>
#include <utility>

namespace dvfskit {

// Thrown by CancelToken::check() after cancellation was requested.
class Cancelled : public std::runtime_error {
 public:
  Cancelled() : std::runtime_error("interrupted") {}
};

class CancelToken {
 public:
  using Clock = std::chrono::steady_clock;

  // A token that fires only when request() is called.
  CancelToken() = default;

  // A token that also fires when poll() returns true; poll runs on the creating thread only, at
  // most once per `period`. poll must not throw.
  explicit CancelToken(std::function<bool()> poll, Clock::duration period = std::chrono::milliseconds(20))
      : poll_(std::move(poll)), period_(period), owner_(std::this_thread::get_id()), next_poll_(Clock::now() + period) {}

  CancelToken(const CancelToken&) = delete;
  CancelToken& operator=(const CancelToken&) = delete;

  void request() const noexcept { requested_.store(true, std::memory_order_relaxed); }

  // Whether cancellation was requested (does not poll).
  bool requested() const noexcept { return requested_.load(std::memory_order_relaxed); }

  // Polls when due (on the owning thread) and throws Cancelled once cancellation was requested.
  void check() const {
    if (poll_ && std::this_thread::get_id() == owner_) {
      const Clock::time_point now = Clock::now();
      if (now >= next_poll_) {
        next_poll_ = now + period_;
        if (poll_()) request();
      }
    }
    if (requested()) throw Cancelled();
  }

 private:
  std::function<bool()> poll_;
  Clock::duration period_{};
  std::thread::id owner_{};
  mutable Clock::time_point next_poll_{};     // touched by the owning thread only
  mutable std::atomic<bool> requested_{false};
};

// check() for an optional token (nullptr: never cancelled).
inline void check(const CancelToken* token) {
  if (token != nullptr) token->check();
}

}  // namespace dvfskit
