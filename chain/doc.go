// Package chain is what every state-machine module is written against: the
// Context a handler runs in (store, block height and time, gas, events,
// signer), the Module interface the application assembles, and typed event
// helpers. It holds no state of its own.
package chain
