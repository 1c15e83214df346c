// Control-flow macros for absl::Status / absl::StatusOr.
//
// CONCORD_RETURN_IF_ERROR(expr) returns the status of `expr` if it is not OK.
// CONCORD_ASSIGN_OR_RETURN(lhs, expr) evaluates a StatusOr, returns its status
// on error and otherwise assigns (or declares) `lhs` from the moved value.
// These are the only control-flow macros in Concord.
#pragma once

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define CONCORD_STATUS_CONCAT_INNER_(a, b) a##b
#define CONCORD_STATUS_CONCAT_(a, b) CONCORD_STATUS_CONCAT_INNER_(a, b)

#define CONCORD_RETURN_IF_ERROR(expr)                                     \
  do {                                                                    \
    if (::absl::Status concord_status_ = (expr); !concord_status_.ok()) { \
      return concord_status_;                                             \
    }                                                                     \
  } while (false)

#define CONCORD_ASSIGN_OR_RETURN(lhs, rexpr) \
  CONCORD_ASSIGN_OR_RETURN_IMPL_(CONCORD_STATUS_CONCAT_(concord_statusor_, __LINE__), lhs, rexpr)

#define CONCORD_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                   \
  if (!statusor.ok()) {                                      \
    return std::move(statusor).status();                     \
  }                                                          \
  lhs = std::move(statusor).value()
