// Loopback ports for tests that start servers (etcd, Redis, openssl s_server,
// concordd): a port the kernel picked as free a moment ago, and whether
// something accepts connections on one. TESTONLY.
#pragma once

#include <cstdint>

namespace concord::testing {

// A TCP port on 127.0.0.1 that was free when this returned (the kernel's
// pick for port 0). Records a test failure and returns 0 if the socket
// cannot be bound.
uint16_t FreeLoopbackPort();

// True when a TCP connection to 127.0.0.1:`port` is accepted.
bool CanConnectLoopback(uint16_t port);

}  // namespace concord::testing
