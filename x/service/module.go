package service

import (
	"encoding/json"
	"fmt"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/store"
)

// Module is the service module as the application assembles it.
type Module struct {
	Keeper *Keeper
}

var (
	_ chain.Module     = Module{}
	_ chain.EndBlocker = Module{}
)

// Name is the module's name.
func (Module) Name() string { return Name }

// Handlers are the module's messages.
func (m Module) Handlers() []chain.Handler {
	k := m.Keeper
	return []chain.Handler{
		chain.Handle(k.execRegisterService),
		chain.Handle(k.execUpdateService),
		chain.Handle(k.execDeposit),
		chain.Handle(k.execWithdraw),
		chain.Handle(k.execBuyUsage),
		chain.Handle(k.execSettle),
	}
}

// EndBlock pays out the withdrawals that unlock at this height.
func (m Module) EndBlock(ctx *chain.Context) error { return m.Keeper.EndBlock(ctx) }

// Genesis is the module's genesis section: its parameters (protobuf JSON
// of Params). Services are registered by transactions, after their model
// is trained.
type Genesis = chain.ParamsGenesis

// DefaultGenesis has the default parameters.
func (Module) DefaultGenesis() json.RawMessage {
	out, err := chain.EncodeParamsGenesis(DefaultParams())
	if err != nil {
		panic(err)
	}
	return out
}

// InitGenesis validates and stores the parameters; fields left out take
// their defaults.
func (m Module) InitGenesis(ctx *chain.Context, raw json.RawMessage) error {
	p := DefaultParams()
	if err := chain.DecodeParamsGenesis(raw, p, &Params{}); err != nil {
		return ErrInvalidGenesis.Wrapf("service genesis: %v", err)
	}
	if err := validateParams(p); err != nil {
		return err
	}
	chain.SaveRecord(ctx.StoreUnmetered(Name), paramsKey, p)
	return nil
}

// ExportGenesis writes the parameters.
func (m Module) ExportGenesis(ctx *chain.Context) (json.RawMessage, error) {
	return chain.EncodeParamsGenesis(m.Keeper.Params(ctx))
}

// Invariants are the module's whole-state checks.
func (m Module) Invariants() []chain.Invariant {
	return []chain.Invariant{
		{Name: "service/escrow", Check: m.Keeper.checkEscrow},
		{Name: "service/totals", Check: m.Keeper.checkTotals},
	}
}

// checkEscrow: the escrow account holds exactly the consumers' escrow
// balances plus the usage value left on the model classes sold through
// services (one ulaz per unit).
func (k *Keeper) checkEscrow(ctx *chain.Context) error {
	kv := ctx.StoreUnmetered(Name)
	var sum uint64
	var err error
	store.Each(kv, escrowPrefix, store.PrefixEnd(escrowPrefix), func(_, v []byte) bool {
		e := &Escrow{}
		chain.DecodeRecord(v, e)
		if mustAmount(e.Unlocking) > mustAmount(e.Balance) && e.UnlockHeight == 0 {
			err = fmt.Errorf("escrow of %s for service %d: unlocking %s without an unlock height", e.Consumer, e.Service, e.Unlocking)
		}
		sum += mustAmount(e.Balance)
		return err == nil
	})
	if err != nil {
		return err
	}
	store.Each(kv, usageClassPre, store.PrefixEnd(usageClassPre), func(kk, _ []byte) bool {
		c, cerr := k.DAT.Class(ctx, store.DecodeUint64(kk[len(kk)-8:]))
		if cerr != nil {
			err = cerr
			return false
		}
		sum += c.TotalValue
		return true
	})
	if err != nil {
		return err
	}
	if have := k.Bank.Balance(ctx, EscrowAccount); have != sum {
		return fmt.Errorf("service escrow %s holds %d ulaz; escrows and unspent usage value sum to %d", EscrowAccount, have, sum)
	}
	return nil
}

// checkTotals: every service's paid total splits exactly into its parts.
func (k *Keeper) checkTotals(ctx *chain.Context) error {
	var err error
	store.Each(ctx.StoreUnmetered(Name), servicePrefix, store.PrefixEnd(servicePrefix), func(_, v []byte) bool {
		s := &Service{}
		chain.DecodeRecord(v, s)
		t := s.Totals
		parts := mustAmount(t.Protocol) + mustAmount(t.Providers) + mustAmount(t.Owner) + mustAmount(t.Model)
		if parts != mustAmount(t.Paid) {
			err = fmt.Errorf("service %d: paid %s but protocol+providers+owner+model = %d", s.Id, t.Paid, parts)
		}
		return err == nil
	})
	return err
}

// ServiceQuery asks /service/service for one service.
type ServiceQuery struct {
	ID uint64 `json:"id"`
}

// ServicesQuery asks /service/services for a page of services in id
// order, all or an iDAO's.
type ServicesQuery struct {
	IDAO  uint64 `json:"idao,omitempty"`
	After uint64 `json:"after,omitempty"`
	Limit int    `json:"limit,omitempty"`
}

// EscrowQuery asks /service/escrow for a consumer's escrow for a service.
type EscrowQuery struct {
	Consumer string `json:"consumer"`
	Service  uint64 `json:"service"`
}

// NoncesQuery asks /service/nonces for a consumer's nonce set at a
// worker.
type NoncesQuery struct {
	Consumer string `json:"consumer"`
	Worker   uint64 `json:"worker"`
}

// Queries are the module's read paths.
func (m Module) Queries() []chain.Query {
	k := m.Keeper
	return []chain.Query{
		chain.NewQuery("params", func(ctx *chain.Context, _ struct{}) (*Params, error) { return k.Params(ctx), nil }),
		chain.NewQuery("service", func(ctx *chain.Context, q ServiceQuery) (*Service, error) { return k.Service(ctx, q.ID) }),
		chain.NewQuery("services", k.queryServices),
		chain.NewQuery("escrow", func(ctx *chain.Context, q EscrowQuery) (*Escrow, error) {
			a, err := parseAddr("consumer", q.Consumer)
			if err != nil {
				return nil, err
			}
			if _, err := k.Service(ctx, q.Service); err != nil {
				return nil, err
			}
			return k.Escrow(ctx, a, q.Service), nil
		}),
		chain.NewQuery("nonces", func(ctx *chain.Context, q NoncesQuery) (*NonceSet, error) {
			a, err := parseAddr("consumer", q.Consumer)
			if err != nil {
				return nil, err
			}
			ns := &NonceSet{}
			if !chain.LoadRecord(k.kv(ctx), nonceKey(a, q.Worker), ns) {
				return &NonceSet{Consumer: a.String(), Worker: q.Worker}, nil
			}
			return ns, nil
		}),
	}
}

func (k *Keeper) queryServices(ctx *chain.Context, q ServicesQuery) (*QueryServicesResponse, error) {
	limit := chain.PageLimit(q.Limit)
	res := &QueryServicesResponse{Services: []*Service{}}
	if q.After == ^uint64(0) {
		return res, nil
	}
	kv := k.kv(ctx)
	if q.IDAO == 0 {
		store.Each(kv, key(servicePrefix, be(q.After+1)), store.PrefixEnd(servicePrefix), func(_, v []byte) bool {
			s := &Service{}
			chain.DecodeRecord(v, s)
			res.Services = append(res.Services, s)
			return len(res.Services) < limit
		})
		return res, nil
	}
	prefix := key(idaoSPrefix, be(q.IDAO))
	store.Each(kv, key(prefix, be(q.After+1)), store.PrefixEnd(prefix), func(kk, _ []byte) bool {
		s, err := k.Service(ctx, store.DecodeUint64(kk[len(kk)-8:]))
		if err != nil {
			panic(fmt.Sprintf("service: broken index: %v", err))
		}
		res.Services = append(res.Services, s)
		return len(res.Services) < limit
	})
	return res, nil
}
