// `concord`: the operator CLI (see concord/cli/cli.h for exit codes).
#include <signal.h>

#include <iostream>

#include "concord/cli/cli.h"

int main(int argc, char** argv) {
  // A peer closing the connection must be an error, not death: TLS writes go
  // through the socket BIO's write(), which raises SIGPIPE.
  signal(SIGPIPE, SIG_IGN);
  return concord::cli::RunConcordCli(argc, argv, std::cout, std::cerr);
}
