// Package packaging holds what the release packages install beside the
// binaries (systemd units, the agent's example configuration, its man
// page, the maintainer scripts) and the test that installs the built
// .debs into a Debian root filesystem, runs them and removes them.
package packaging
