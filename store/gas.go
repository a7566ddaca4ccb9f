package store

import (
	"fmt"
	"math"
)

// Gas prices of state access. They follow the Cosmos SDK's KV schedule:
// writes cost an order of magnitude more than reads because every written
// byte is kept by every node forever.
const (
	GasReadFlat     = 1000
	GasReadPerByte  = 3
	GasWriteFlat    = 2000
	GasWritePerByte = 30
	GasDelete       = 1000
	GasIterNext     = 30
)

// OutOfGas is what a GasMeter panics with when its limit is passed; the
// application recovers it at the tx boundary and fails the tx.
type OutOfGas struct {
	Limit, Wanted uint64
	Descriptor    string
}

func (o *OutOfGas) Error() string {
	return fmt.Sprintf("out of gas at %s: limit %d, wanted %d", o.Descriptor, o.Limit, o.Wanted)
}

// GasMeter counts gas against a limit.
type GasMeter struct {
	limit, used uint64
}

// NewGasMeter returns a meter that allows limit gas.
func NewGasMeter(limit uint64) *GasMeter { return &GasMeter{limit: limit} }

// InfiniteGasMeter counts without a limit (genesis, queries).
func InfiniteGasMeter() *GasMeter { return &GasMeter{limit: math.MaxUint64} }

// Consume charges amount, panicking with *OutOfGas past the limit. The
// meter records what was asked for even when it overflows the limit, so the
// response tells the sender how much the tx wanted.
func (g *GasMeter) Consume(amount uint64, descriptor string) {
	next := g.used + amount
	if next < g.used {
		next = math.MaxUint64
	}
	g.used = next
	if next > g.limit {
		panic(&OutOfGas{Limit: g.limit, Wanted: next, Descriptor: descriptor})
	}
}

// Used is the gas consumed so far.
func (g *GasMeter) Used() uint64 { return g.used }

// Limit is the meter's limit.
func (g *GasMeter) Limit() uint64 { return g.limit }

// Metered charges meter for every access to parent.
func Metered(parent KV, meter *GasMeter) KV { return &gasKV{parent: parent, meter: meter} }

type gasKV struct {
	parent KV
	meter  *GasMeter
}

func (g *gasKV) Get(key []byte) []byte {
	g.meter.Consume(GasReadFlat, "read")
	v := g.parent.Get(key)
	g.meter.Consume(GasReadPerByte*uint64(len(key)+len(v)), "read bytes")
	return v
}

func (g *gasKV) Has(key []byte) bool {
	g.meter.Consume(GasReadFlat, "has")
	return g.parent.Has(key)
}

func (g *gasKV) Set(key, value []byte) {
	g.meter.Consume(GasWriteFlat, "write")
	g.meter.Consume(GasWritePerByte*uint64(len(key)+len(value)), "write bytes")
	g.parent.Set(key, value)
}

func (g *gasKV) Delete(key []byte) {
	g.meter.Consume(GasDelete, "delete")
	g.parent.Delete(key)
}

func (g *gasKV) Iterator(start, end []byte) Iterator {
	g.meter.Consume(GasReadFlat, "iterator")
	return &gasIterator{Iterator: g.parent.Iterator(start, end), meter: g.meter}
}

type gasIterator struct {
	Iterator
	meter *GasMeter
}

func (i *gasIterator) Value() []byte {
	v := i.Iterator.Value()
	i.meter.Consume(GasIterNext+GasReadPerByte*uint64(len(i.Iterator.Key())+len(v)), "iterate")
	return v
}
