// Package e2e holds LazChain's end-to-end tests: they build the real
// lazchain binary once, run it as separate processes on temporary homes and
// free loopback ports, and drive it over the wire with the Go SDK (client/),
// as a user would.
//
// The tests check what only a whole process can show: that a devnet killed
// with SIGKILL under load comes back with every committed tx, the same app
// hash at every height and balances that add up to the supply; that Ctrl-C
// stops it cleanly and it goes on from where it stopped; and that bad txs
// sent over RPC are refused with their registered codes and change nothing.
//
// Run them with `go test ./e2e/ -count=1 -v`; the package has no non-test
// code besides this comment.
package e2e
