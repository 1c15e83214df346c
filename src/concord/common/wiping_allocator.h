// An allocator that overwrites memory before it frees it, and the string
// type built on it: for transient plain-text copies of secrets whose buffers
// a library grows and frees on its own (a JSON lexer's token buffer), where
// wiping the final value is not enough. Thread-safe (stateless).
#pragma once

#include <string.h>  // explicit_bzero

#include <cstddef>
#include <memory>
#include <string>

namespace concord {

template <typename T>
struct WipingAllocator {
  using value_type = T;

  WipingAllocator() noexcept = default;
  template <typename U>
  WipingAllocator(const WipingAllocator<U>&) noexcept {}  // NOLINT: rebinding

  T* allocate(size_t n) { return std::allocator<T>().allocate(n); }
  void deallocate(T* p, size_t n) noexcept {
    // explicit_bzero is not elided as a dead store before the free.
    explicit_bzero(p, n * sizeof(T));
    std::allocator<T>().deallocate(p, n);
  }

  template <typename U>
  bool operator==(const WipingAllocator<U>&) const noexcept {
    return true;
  }
};

// Overwrites every byte a std::string holds (its whole capacity, where
// earlier, longer contents may linger) and empties it. For the transient
// plain-text copies that buffers, JSON documents and HTTP bodies make of a
// secret on its way into or out of SecretBytes (crypto::WipeString).
inline void WipeString(std::string& s) {
  s.resize(s.capacity());
  explicit_bzero(s.data(), s.size());
  s.clear();
}

// Strings of at most 15 bytes live inside the object (no allocation), so
// only longer contents are wiped: hex or base64 secrets always are.
using WipingString = std::basic_string<char, std::char_traits<char>, WipingAllocator<char>>;

}  // namespace concord
