// Package node assembles a LazChain node: it lays out a home directory
// (CometBFT config, genesis, validator and node keys, LazChain's app.toml),
// opens the IAVL state, embeds CometBFT in-process with a local ABCI client,
// and serves the HTTP API beside it. `lazchain init`, `start`, `devnet` and
// the benchmarks all start nodes through it.
package node
