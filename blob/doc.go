// Package blob stores content-addressed blobs: sealed (encrypted)
// contributions, named by the SHA-256 of their bytes. The store never sees
// plaintext; it checks that what it stores hashes to its name.
//
// Store is the interface the node, the CLI and enclave workers use. Dir is
// the default backend, a local directory; Register serves any Store over HTTP
// under /v1/blobs/{sha256}; Client is a Store that talks to that HTTP API, so
// code written against Store works locally and remotely alike.
package blob
