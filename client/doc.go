// Package client is the LazChain Go SDK: it reads state, builds, signs and
// broadcasts txs, waits for them and verifies state proofs, over CometBFT's
// RPC (HTTP for a remote node, or in-process for an embedded one). The CLI,
// the HTTP API and the tests all go through it; there is no second path
// into the node.
package client
