// Package keyring stores account keys under a node's home. Real keys are
// go-ethereum keystore v3 files (scrypt + AES-128-CTR), one per key in
// HOME/keys/NAME.json, so geth and other Ethereum tools read them as they
// are. The devnet's keys live unencrypted in HOME/keyring-test/ and are
// marked test-only everywhere they are shown.
package keyring
