#pragma once
// `reach relay` and `reach guard` replace themselves with their lean image (reach-relay,
// reach-guard), which links only the libraries that daemon uses: the dynamic loader then maps,
// relocates and initialises a few libraries instead of every command's (docs/ARCHITECTURE.md,
// "Lean daemon images"). The image is looked for beside the running binary's real path:
// the installed layout (bin/../libexec/reach/) and the build tree (the same directory).

namespace reach::app {

// For argv[1] "relay" or "guard": execs the lean image with the same argv and environment.
// Returns only when there is none (or it cannot be run); the caller then runs in-process.
void exec_lean_image(int argc, char** argv);

}  // namespace reach::app
