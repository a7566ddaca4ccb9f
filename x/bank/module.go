package bank

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/store"
	"github.com/lazchain/lazchain/tx"
)

// Module is the bank module for the application.
type Module struct{ Keeper Keeper }

var _ chain.Module = Module{}

// Name implements chain.Module.
func (Module) Name() string { return Name }

// Handlers implements chain.Module.
func (m Module) Handlers() []chain.Handler {
	return []chain.Handler{chain.Handle(m.Keeper.execSend)}
}

// Balance is one account's balance in genesis and queries. Amounts are
// decimal strings so that JSON readers never round them.
type Balance struct {
	Address tx.Address `json:"address"`
	Amount  string     `json:"amount"`
}

// Genesis is the bank's genesis section. The supply is not given: it is the
// sum of the balances.
type Genesis struct {
	Balances []Balance `json:"balances"`
}

// DefaultGenesis implements chain.Module.
func (Module) DefaultGenesis() json.RawMessage { return json.RawMessage(`{"balances":[]}`) }

// InitGenesis implements chain.Module.
func (m Module) InitGenesis(ctx *chain.Context, raw json.RawMessage) error {
	var g Genesis
	if err := chain.DecodeJSON(raw, &g); err != nil {
		return ErrInvalidGenesis.Wrapf("bank genesis: %v", err)
	}
	seen := map[tx.Address]bool{}
	var supply uint64
	for i, b := range g.Balances {
		if seen[b.Address] {
			return ErrInvalidGenesis.Wrapf("bank genesis: balance %d: %s listed twice", i, b.Address)
		}
		seen[b.Address] = true
		v, err := tx.ParseBaseUnits(b.Amount)
		if err != nil {
			return ErrInvalidGenesis.Wrapf("bank genesis: balance %d (%s): %v", i, b.Address, err)
		}
		if supply > math.MaxUint64-v {
			return ErrInvalidGenesis.Wrapf("bank genesis: balances add up to more than %d ulaz", uint64(math.MaxUint64))
		}
		supply += v
		m.Keeper.setBalance(ctx, b.Address, v)
	}
	ctx.Store(Name).Set(supplyKey, encodeAmount(supply))
	return nil
}

// ExportGenesis implements chain.Module.
func (m Module) ExportGenesis(ctx *chain.Context) (json.RawMessage, error) {
	g := Genesis{Balances: []Balance{}}
	m.Keeper.IterateBalances(ctx, func(a tx.Address, v uint64) bool {
		g.Balances = append(g.Balances, Balance{Address: a, Amount: tx.FormatBaseUnits(v)})
		return true
	})
	return json.Marshal(g)
}

// IterateBalances calls fn for every non-zero balance in address order.
func (Keeper) IterateBalances(ctx *chain.Context, fn func(tx.Address, uint64) bool) {
	store.Each(ctx.Store(Name), []byte("b/"), store.PrefixEnd([]byte("b/")), func(k, v []byte) bool {
		a, err := tx.AddressFromBytes(k[2:])
		if err != nil {
			panic(fmt.Sprintf("bank: bad balance key %x", k))
		}
		return fn(a, DecodeAmount(v))
	})
}

// Invariants implements chain.Module.
func (m Module) Invariants() []chain.Invariant {
	return []chain.Invariant{{Name: "bank/conservation", Check: m.checkConservation}}
}

// checkConservation: the balances, the fee collector's included, add up to
// the supply exactly.
func (m Module) checkConservation(ctx *chain.Context) error {
	var sum uint64
	overflow := false
	m.Keeper.IterateBalances(ctx, func(_ tx.Address, v uint64) bool {
		if sum > math.MaxUint64-v {
			overflow = true
			return false
		}
		sum += v
		return true
	})
	supply := m.Keeper.Supply(ctx)
	if overflow || sum != supply {
		return fmt.Errorf("sum of balances %d != supply %d (overflow %v)", sum, supply, overflow)
	}
	return nil
}

// BalanceQuery asks for one account's balance.
type BalanceQuery struct {
	Address string `json:"address"`
}

// SupplyResult is the answer to /bank/supply.
type SupplyResult struct {
	Supply        string     `json:"supply"`
	FeeCollector  tx.Address `json:"fee_collector"`
	FeesCollected string     `json:"fees_collected"`
}

// BalancesQuery pages through all balances in address order.
type BalancesQuery struct {
	After string `json:"after,omitempty"`
	Limit int    `json:"limit,omitempty"`
}

// BalancesResult is a page of balances; Next is the After of the next page.
type BalancesResult struct {
	Balances []Balance `json:"balances"`
	Next     string    `json:"next,omitempty"`
}

// Queries implements chain.Module.
func (m Module) Queries() []chain.Query {
	return []chain.Query{
		{Path: "balance", Run: func(ctx *chain.Context, req []byte) (any, error) {
			var q BalanceQuery
			if err := chain.DecodeJSON(req, &q); err != nil {
				return nil, chain.ErrBadRequest.Wrapf("balance query: %v", err)
			}
			a, err := tx.ParseAddress(q.Address)
			if err != nil {
				return nil, ErrInvalidAddress.Wrap(err.Error())
			}
			return Balance{Address: a, Amount: tx.FormatBaseUnits(m.Keeper.Balance(ctx, a))}, nil
		}},
		{Path: "supply", Run: func(ctx *chain.Context, _ []byte) (any, error) {
			return SupplyResult{
				Supply:        tx.FormatBaseUnits(m.Keeper.Supply(ctx)),
				FeeCollector:  FeeCollector,
				FeesCollected: tx.FormatBaseUnits(m.Keeper.Balance(ctx, FeeCollector)),
			}, nil
		}},
		{Path: "balances", Run: func(ctx *chain.Context, req []byte) (any, error) {
			var q BalancesQuery
			if err := chain.DecodeJSON(req, &q); err != nil {
				return nil, chain.ErrBadRequest.Wrapf("balances query: %v", err)
			}
			return m.Keeper.balancesPage(ctx, q)
		}},
	}
}

func (Keeper) balancesPage(ctx *chain.Context, q BalancesQuery) (BalancesResult, error) {
	const maxLimit = 1000
	if q.Limit <= 0 || q.Limit > maxLimit {
		q.Limit = maxLimit
	}
	start := []byte("b/")
	if q.After != "" {
		a, err := tx.ParseAddress(q.After)
		if err != nil {
			return BalancesResult{}, ErrInvalidAddress.Wrapf("after: %v", err)
		}
		start = append(balanceKey(a), 0)
	}
	res := BalancesResult{Balances: []Balance{}}
	store.Each(ctx.Store(Name), start, store.PrefixEnd([]byte("b/")), func(k, v []byte) bool {
		a, _ := tx.AddressFromBytes(k[2:])
		if len(res.Balances) == q.Limit {
			res.Next = res.Balances[len(res.Balances)-1].Address.String()
			return false
		}
		res.Balances = append(res.Balances, Balance{Address: a, Amount: tx.FormatBaseUnits(DecodeAmount(v))})
		return true
	})
	return res, nil
}
