package idao

import (
	"encoding/json"

	"github.com/lazchain/lazchain/chain"
)

// Module is the idao module for the application.
type Module struct{ Keeper *Keeper }

var (
	_ chain.Module     = Module{}
	_ chain.EndBlocker = Module{}
)

// Name implements chain.Module.
func (Module) Name() string { return Name }

// Handlers implements chain.Module.
func (m Module) Handlers() []chain.Handler {
	return []chain.Handler{
		chain.Handle(m.Keeper.execCreate),
		chain.Handle(m.Keeper.execPropose),
		chain.Handle(m.Keeper.execVote),
	}
}

// DefaultGenesis implements chain.Module: no iDAOs.
func (Module) DefaultGenesis() json.RawMessage { return json.RawMessage(`{"idaos":[]}`) }
