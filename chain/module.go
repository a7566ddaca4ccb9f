package chain

import (
	"encoding/json"
	"fmt"

	abci "github.com/cometbft/cometbft/abci/types"

	"google.golang.org/protobuf/proto"
)

// Module is one part of the state machine (bank, auth, …). It owns the keys
// under its name, the messages it registers, its queries, its genesis
// section and its invariants.
type Module interface {
	// Name is the module's key prefix, error codespace and genesis section.
	Name() string
	// Handlers are the messages the module executes.
	Handlers() []Handler
	// Queries are the read paths the module serves, under "/<name>/<path>".
	Queries() []Query
	// DefaultGenesis is the module's genesis section for a new chain.
	DefaultGenesis() json.RawMessage
	// InitGenesis validates and writes the module's genesis section.
	InitGenesis(ctx *Context, raw json.RawMessage) error
	// ExportGenesis reads the module's state back as a genesis section.
	ExportGenesis(ctx *Context) (json.RawMessage, error)
	// Invariants are checks that must hold after every block.
	Invariants() []Invariant
}

// Handler executes one message type. Msg is a zero value of the type, for
// routing by its protobuf full name. Exec must not modify the message it is
// given: decoded txs are cached and shared between CheckTx and the block.
type Handler struct {
	Msg  proto.Message
	Exec func(ctx *Context, msg proto.Message) error
}

// Handle adapts a typed handler function, so modules write
// func(ctx, *MsgSend) error and the router does the type assertion.
func Handle[M proto.Message](exec func(ctx *Context, msg M) error) Handler {
	var zero M
	return Handler{
		Msg: zero.ProtoReflect().Type().Zero().Interface(),
		Exec: func(ctx *Context, msg proto.Message) error {
			m, ok := msg.(M)
			if !ok {
				return fmt.Errorf("handler for %T got %T", zero, msg)
			}
			return exec(ctx, m)
		},
	}
}

// Query serves one read path. Req is the JSON request (may be empty); the
// result is encoded as JSON.
type Query struct {
	Path string
	Run  func(ctx *Context, req []byte) (any, error)
}

// Invariant is a named check over the whole state.
type Invariant struct {
	Name  string
	Check func(ctx *Context) error
}

// BeginBlocker is a module with work at the start of every block, before
// the block's txs run (expiries that take effect at the block's height or
// time). It runs unmetered; an error halts the chain, so it returns one
// only for a broken invariant.
type BeginBlocker interface {
	BeginBlock(ctx *Context) error
}

// EndBlocker is a module with work at the end of every block, after the
// block's txs (proposals that passed in the block, deadlines that closed).
// Like BeginBlock it runs unmetered, and an error halts the chain.
type EndBlocker interface {
	EndBlock(ctx *Context) error
}

// ValidatorSetter is the module that chooses the validator set (staking).
// GenesisValidators is the set it starts with (empty: CometBFT's genesis
// validators stand); ValidatorUpdates, called after the end-of-block
// hooks, are the changes to hand CometBFT for this block. Like the hooks,
// an error halts the chain.
type ValidatorSetter interface {
	GenesisValidators(ctx *Context) ([]abci.ValidatorUpdate, error)
	ValidatorUpdates(ctx *Context) ([]abci.ValidatorUpdate, error)
}

// NewQuery adapts a typed query function, as Handle does for messages: the
// JSON request is decoded strictly into R (a malformed one is
// ErrBadRequest naming the path) and run's answer is the query's result.
func NewQuery[R, A any](path string, run func(ctx *Context, req R) (A, error)) Query {
	return Query{Path: path, Run: func(ctx *Context, raw []byte) (any, error) {
		var req R
		if err := DecodeJSON(raw, &req); err != nil {
			return nil, ErrBadRequest.Wrapf("%s query: %v", path, err)
		}
		return run(ctx, req)
	}}
}
