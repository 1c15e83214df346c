// `concord`: the operator CLI (see concord/cli/cli.h for exit codes).
#include <iostream>

#include "concord/cli/cli.h"

int main(int argc, char** argv) {
  return concord::cli::RunConcordCli(argc, argv, std::cout, std::cerr);
}
