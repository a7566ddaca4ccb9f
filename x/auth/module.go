package auth

import (
	"encoding/json"
	"fmt"
	"strconv"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/store"
	"github.com/lazchain/lazchain/tx"
)

func formatUint(v uint64) string { return strconv.FormatUint(v, 10) }

// Module is the auth module for the application.
type Module struct{ Keeper Keeper }

var _ chain.Module = Module{}

// Name implements chain.Module.
func (Module) Name() string { return Name }

// Handlers implements chain.Module: auth has no messages of its own yet
// (parameter changes will come through governance).
func (Module) Handlers() []chain.Handler { return nil }

// Account is an account as queries and genesis show it.
type Account struct {
	Address tx.Address `json:"address"`
	Nonce   uint64     `json:"nonce"`
}

// Genesis is auth's genesis section.
type Genesis struct {
	Params   json.RawMessage `json:"params"`
	Accounts []Account       `json:"accounts,omitempty"`
}

// DefaultGenesis implements chain.Module.
func (Module) DefaultGenesis() json.RawMessage {
	p, _ := protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true}.Marshal(DefaultParams())
	bz, _ := json.Marshal(Genesis{Params: p})
	return bz
}

// InitGenesis implements chain.Module.
func (m Module) InitGenesis(ctx *chain.Context, raw json.RawMessage) error {
	var g Genesis
	if err := chain.DecodeJSON(raw, &g); err != nil {
		return ErrInvalidGenesis.Wrapf("auth genesis: %v", err)
	}
	p := DefaultParams()
	if len(g.Params) > 0 {
		p = &Params{}
		if err := protojson.Unmarshal(g.Params, p); err != nil {
			return ErrInvalidGenesis.Wrapf("auth genesis params: %v", err)
		}
	}
	if err := m.Keeper.SetParams(ctx, p); err != nil {
		return ErrInvalidGenesis.Wrapf("auth genesis params: %v", err)
	}
	seen := map[tx.Address]bool{}
	for _, a := range g.Accounts {
		if seen[a.Address] {
			return ErrInvalidGenesis.Wrapf("auth genesis: account %s listed twice", a.Address)
		}
		seen[a.Address] = true
		if a.Nonce > 0 {
			m.Keeper.setNonce(ctx, a.Address, a.Nonce)
		}
	}
	return nil
}

// ExportGenesis implements chain.Module.
func (m Module) ExportGenesis(ctx *chain.Context) (json.RawMessage, error) {
	p, err := protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true}.Marshal(m.Keeper.Params(ctx))
	if err != nil {
		return nil, err
	}
	g := Genesis{Params: p}
	store.Each(ctx.Store(Name), []byte("n/"), store.PrefixEnd([]byte("n/")), func(k, v []byte) bool {
		a, _ := tx.AddressFromBytes(k[2:])
		g.Accounts = append(g.Accounts, Account{Address: a, Nonce: m.Keeper.Nonce(ctx, a)})
		return true
	})
	return json.Marshal(g)
}

// Invariants implements chain.Module.
func (Module) Invariants() []chain.Invariant { return nil }

// AccountQuery asks for one account.
type AccountQuery struct {
	Address string `json:"address"`
}

// Queries implements chain.Module.
func (m Module) Queries() []chain.Query {
	return []chain.Query{
		{Path: "account", Run: func(ctx *chain.Context, req []byte) (any, error) {
			var q AccountQuery
			if err := chain.DecodeJSON(req, &q); err != nil {
				return nil, chain.ErrBadRequest.Wrapf("account query: %v", err)
			}
			a, err := tx.ParseAddress(q.Address)
			if err != nil {
				return nil, ErrInvalidAddress.Wrap(err.Error())
			}
			return Account{Address: a, Nonce: m.Keeper.Nonce(ctx, a)}, nil
		}},
		{Path: "params", Run: func(ctx *chain.Context, _ []byte) (any, error) {
			bz, err := protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true}.Marshal(m.Keeper.Params(ctx))
			if err != nil {
				return nil, fmt.Errorf("encode params: %w", err)
			}
			return json.RawMessage(bz), nil
		}},
	}
}
