// Package app is LazChain's ABCI 2.0 application: it decodes txs, checks
// them (signature, chain, nonce, fee), routes their messages to the modules
// atomically, keeps the IAVL tree whose root is the app hash, and serves
// queries and proofs from committed versions.
//
// Concurrency: consensus calls (InitChain, PrepareProposal, ProcessProposal,
// FinalizeBlock, Commit) come from one connection and write the working
// tree. CheckTx runs on the mempool connection over a cache of the last
// committed version, and Query over any committed version, so neither races
// consensus; the application is built for CometBFT's connection-synchronised
// local client.
package app
