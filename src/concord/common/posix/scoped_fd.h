// ScopedFd owns one file descriptor and closes it when it goes out of scope.
// Used for files, directories, sockets, devices and eventfds across the tree.
// Move-only; not thread-safe (one owner at a time).
#pragma once

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace concord::posix {

class ScopedFd final {
 public:
  // An empty owner (get() == -1).
  ScopedFd() = default;
  // Takes ownership of `fd`; a negative value means "none".
  explicit ScopedFd(int fd) : fd_(fd) {}
  ScopedFd(ScopedFd&& other) noexcept : fd_(other.Release()) {}
  ScopedFd& operator=(ScopedFd&& other) noexcept {
    if (this != &other) {
      Reset(other.Release());
    }
    return *this;
  }
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  ~ScopedFd() { Reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }

  // Closes the descriptor held (ignoring close()'s result) and takes `fd`.
  void Reset(int fd = -1);
  // Gives up ownership without closing; returns the descriptor.
  [[nodiscard]] int Release() { return std::exchange(fd_, -1); }
  // Closes now and reports close()'s error, which can be a failed write
  // (ErrnoToStatus with `operation`). The owner is empty afterwards either
  // way. OK when already empty.
  [[nodiscard]] absl::Status Close(absl::string_view operation);

 private:
  int fd_ = -1;
};

}  // namespace concord::posix
