// Package bench measures LazChain's transfer throughput through a whole
// node and sets it beside CometBFT's bundled kvstore app on the same
// machine, in the same run. The LazChain txs are bank transfers or, with
// Options.Workload WorkloadDATTransferValue, DAT transferValues between
// tokens that genesis mints (no setup txs run in the timed window).
//
// Each run starts a single-validator node in-process (CheckTx, consensus,
// FinalizeBlock, Commit, tx indexing all real), pre-signs every tx outside
// the timed window, broadcasts from several goroutines with BroadcastTxSync
// through CometBFT's in-process RPC, and watches CometBFT's event bus for the
// blocks that commit them. Throughput is committed txs over the window from
// the first broadcast to the last commit; latency is, per tx, the time from
// its broadcast to the moment its block's NewBlock event (fired after the
// app's Commit) is seen. The kvstore node is built from a copy of the
// LazChain node's config.toml and consensus parameters, so mempool, RPC,
// consensus and indexer settings are the same; only the app differs.
//
// With Options.Validators above 1 the LazChain run uses a network of that
// many validators instead (node.Testnet homes, every node in this process on
// loopback, each validator's iDAO bonded in genesis so all vote): txs go to
// node 0's RPC (or, with Options.Spread, to every node's) and commits are
// timed on node 0's event bus; the state is checked as for one node. The
// kvstore reference always runs on a single node.
//
// `lazchain bench transfers` runs it (`--workload dat-transfer-value` for
// DAT); BenchmarkTransfers, BenchmarkDATTransferValue and BenchmarkKVStore
// run shorter versions under `go test -bench`.
package bench
