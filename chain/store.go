package chain

import "github.com/lazchain/lazchain/store"

// StoreUnmetered is a module's key space without gas metering, for reads the
// application makes on a tx's behalf before its gas is known (the chain's
// parameters) and for invariants.
func (c *Context) StoreUnmetered(module string) store.KV {
	return store.Prefix(c.kv, module+"/")
}
