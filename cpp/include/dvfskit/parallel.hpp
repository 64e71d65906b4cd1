// parallel_for: run body(i) for i in [0, count) on up to `threads` threads (0 = all cores).
// Work is handed out one index at a time; the first exception thrown by a body is rethrown
// after every thread has joined. With a CancelToken, every thread checks it before each index
// (the calling thread, which works too, also polls it), so a cancelled loop stops within one
// body call per thread and rethrows Cancelled.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "dvfskit/cancel.hpp"

namespace dvfskit {

inline int resolve_threads(int threads) {
  if (threads > 0) return threads;
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(hw);
}

template <typename Body>
void parallel_for(std::size_t count, int threads, Body&& body, const CancelToken* cancel = nullptr) {
  const std::size_t workers = std::min<std::size_t>(static_cast<std::size_t>(resolve_threads(threads)), count);
  if (workers <= 1) {
    for (std::size_t i = 0; i < count; ++i) {
      check(cancel);
      body(i);
    }
    return;
  }
  std::atomic<std::size_t> next{0};
  std::atomic<std::size_t> running{workers - 1};  // pool threads still working
  std::exception_ptr error;
  std::mutex error_mutex;
  const auto fail = [&] {
    const std::lock_guard<std::mutex> lock(error_mutex);
    if (!error) error = std::current_exception();
    next = count;
  };
  auto work = [&] {
    for (std::size_t i = next++; i < count; i = next++) {
      try {
        check(cancel);
        body(i);
      } catch (...) {
        fail();
      }
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(workers - 1);
  for (std::size_t t = 0; t + 1 < workers; ++t) {
    pool.emplace_back([&] {
      work();
      --running;
    });
  }
  work();
  // The calling thread is the one that may poll the token: keep polling while the pool finishes.
  while (cancel != nullptr && running > 0) {
    try {
      cancel->check();
    } catch (...) {
      fail();
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  for (std::thread& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

}  // namespace dvfskit
