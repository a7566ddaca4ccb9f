package chain

import (
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/lazchain/lazchain/store"
	"github.com/lazchain/lazchain/tx"
)

// Mode says why state is being run: for a block, for the mempool, for a
// simulation, or for a read-only query.
type Mode int

// The modes of execution.
const (
	ModeDeliver Mode = iota
	ModeCheck
	ModeSimulate
	ModeQuery
)

func (m Mode) String() string {
	return [...]string{"deliver", "check", "simulate", "query"}[m]
}

// Context is what a handler, query or genesis function gets: a view of state
// and the facts of the block. Handlers must take time and randomness from it,
// never from the machine.
type Context struct {
	ChainID string
	Height  int64
	// Time is the block time (BFT time), the same on every node.
	Time time.Time
	// BlockHash is the hash of the block being executed (empty in CheckTx,
	// simulations and queries). It is the one source of randomness a
	// module may use.
	BlockHash []byte
	// Misbehavior, LastCommit and Proposer are CometBFT's facts about the
	// block, set for the begin- and end-of-block hooks only: evidence of
	// validators' faults, who signed the previous block, and who proposed
	// this one.
	Misbehavior []abci.Misbehavior
	LastCommit  abci.CommitInfo
	Proposer    []byte
	Mode        Mode
	// Signer is the verified signer of the tx being executed.
	Signer tx.Address
	// Gas meters state access; nil means unmetered.
	Gas *store.GasMeter

	kv     store.KV
	events *[]abci.Event
}

// NewContext makes a context over kv. The gas meter, when given, charges
// every access through Store.
func NewContext(kv store.KV, chainID string, height int64, t time.Time, mode Mode, gas *store.GasMeter) *Context {
	ev := make([]abci.Event, 0, 4)
	return &Context{ChainID: chainID, Height: height, Time: t, Mode: mode, Gas: gas, kv: kv, events: &ev}
}

// Store is a module's own key space: every key is prefixed with "module/".
func (c *Context) Store(module string) store.KV {
	kv := c.kv
	if c.Gas != nil {
		kv = store.Metered(kv, c.Gas)
	}
	return store.Prefix(kv, module+"/")
}

// KV is the whole state under the context, unprefixed and unmetered. Only
// the application uses it; modules use Store.
func (c *Context) KV() store.KV { return c.kv }

// WithKV is a copy of the context over another view of state with its own
// event list, for running a part of a tx that may be discarded.
func (c *Context) WithKV(kv store.KV) *Context {
	cp := *c
	cp.kv = kv
	ev := make([]abci.Event, 0, 4)
	cp.events = &ev
	return &cp
}

// Emit records an event.
func (c *Context) Emit(e abci.Event) { *c.events = append(*c.events, e) }

// Events are the events emitted so far in this context.
func (c *Context) Events() []abci.Event { return *c.events }
