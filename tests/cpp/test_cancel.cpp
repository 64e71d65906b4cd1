// CancelToken and parallel_for cancellation.
#include <atomic>
#include <chrono>
#include <thread>

#include "catch.hpp"
#include "dvfskit/cancel.hpp"
#include "dvfskit/parallel.hpp"

using dvfskit::CancelToken;
using dvfskit::Cancelled;

TEST_CASE("a token fires after request() and only then") {
  const CancelToken token;
  CHECK_NOTHROW(token.check());
  CHECK_NOTHROW(dvfskit::check(nullptr));
  token.request();
  CHECK(token.requested());
  CHECK_THROWS_AS(token.check(), Cancelled);
  CHECK_THROWS_AS(dvfskit::check(&token), Cancelled);
}

TEST_CASE("a polling token polls on its own thread, at most once per period") {
  int polls = 0;
  bool fire = false;
  const CancelToken token([&] { ++polls; return fire; }, std::chrono::milliseconds(5));
  for (int i = 0; i < 1000; ++i) token.check();  // well under 5 ms: no poll yet
  CHECK(polls <= 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(6));
  token.check();
  CHECK(polls >= 1);
  // Another thread never polls (it may only read the flag).
  const int before = polls;
  std::this_thread::sleep_for(std::chrono::milliseconds(6));
  std::thread([&] { CHECK_NOTHROW(token.check()); }).join();
  CHECK(polls == before);
  fire = true;
  std::this_thread::sleep_for(std::chrono::milliseconds(6));
  CHECK_THROWS_AS(token.check(), Cancelled);
}

TEST_CASE("parallel_for stops every thread once the token fires and rethrows Cancelled") {
  for (const int threads : {1, 2, 4}) {
    const CancelToken token;
    std::atomic<int> done{0};
    CHECK_THROWS_AS(dvfskit::parallel_for(
                        100000, threads,
                        [&](std::size_t i) {
                          if (i == 50) token.request();
                          ++done;
                        },
                        &token),
                    Cancelled);
    CHECK(done < 100000);
  }
}

TEST_CASE("parallel_for's calling thread keeps polling while the pool finishes long items") {
  // Two items: one returns at once, the other runs until cancelled. When the pool thread has the
  // long one, only the calling thread's wait loop can poll the token (the pool only reads it).
  const auto start = std::chrono::steady_clock::now();
  const CancelToken token([&] { return std::chrono::steady_clock::now() - start > std::chrono::milliseconds(30); },
                          std::chrono::milliseconds(1));
  CHECK_THROWS_AS(dvfskit::parallel_for(
                      2, 2,
                      [&](std::size_t i) {
                        if (i == 0) return;
                        for (;;) {
                          token.check();
                          std::this_thread::sleep_for(std::chrono::milliseconds(1));
                        }
                      },
                      &token),
                  Cancelled);
  CHECK(token.requested());
}

TEST_CASE("parallel_for without a token runs everything") {
  std::atomic<int> done{0};
  dvfskit::parallel_for(1000, 2, [&](std::size_t) { ++done; });
  CHECK(done == 1000);
}
