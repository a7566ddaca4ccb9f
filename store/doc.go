// Package store is LazChain's state: one cosmos/iavl versioned Merkle tree on
// an embedded goleveldb database under the node's home, whose root hash is the
// app hash. Modules see it through small views: Prefix gives a module its own
// key space, Cache buffers writes so a tx or a block applies atomically (and
// flushes in sorted order, since an AVL tree's shape depends on insertion
// order), Metered charges gas for every access, and Snapshot is an immutable
// committed version that queries and CheckTx read without racing consensus.
// Proofs are ICS23 commitment proofs against a version's root.
//
// A read or write error from the database is not a user error: the store
// panics with *Failure, and the application turns that into a halt.
package store
