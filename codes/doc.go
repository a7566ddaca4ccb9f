// Package codes registers the error codes that failed transactions and
// queries return. Each module owns a codespace (its name) and registers its
// codes once, at init; a code never changes meaning. A registered error is
// wrapped with a sentence a person can act on, and ABCI responses carry the
// codespace, the code and that sentence.
package codes
