package compute

import (
	"encoding/json"
	"fmt"

	"github.com/lazchain/lazchain/chain"
)

// Module is the compute module as the application assembles it.
type Module struct {
	Keeper *Keeper
}

var (
	_ chain.Module       = Module{}
	_ chain.BeginBlocker = Module{}
)

// Name is the module's name.
func (Module) Name() string { return Name }

// Handlers are the module's messages.
func (m Module) Handlers() []chain.Handler {
	k := m.Keeper
	return []chain.Handler{
		chain.Handle(k.execRegisterWorker),
		chain.Handle(k.execRenewWorker),
		chain.Handle(k.execRetireWorker),
	}
}

// BeginBlock records the block's hash, for attestations to bind.
func (m Module) BeginBlock(ctx *chain.Context) error {
	m.Keeper.recordBlockHash(ctx)
	return nil
}

// Genesis is the module's genesis section: its parameters (protobuf JSON
// of Params). Workers are not in genesis: each must attest on the chain.
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
		return ErrInvalidGenesis.Wrapf("compute genesis: %v", err)
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
	return []chain.Invariant{{Name: "compute/bonds", Check: m.Keeper.checkBonds}}
}

// checkBonds: the bond escrow holds exactly the sum of the workers' bonds.
func (k *Keeper) checkBonds(ctx *chain.Context) error {
	var sum uint64
	for _, w := range k.Workers(ctx) {
		sum += Bond(w)
	}
	if have := k.Bank.Balance(ctx, BondEscrow); have != sum {
		return fmt.Errorf("bond escrow %s holds %d ulaz, workers' bonds sum to %d", BondEscrow, have, sum)
	}
	return nil
}

// WorkerQuery asks /compute/worker for one worker.
type WorkerQuery struct {
	ID uint64 `json:"id"`
}

// WorkersQuery asks /compute/workers for every worker, or an iDAO's.
type WorkersQuery struct {
	IDAO uint64 `json:"idao,omitempty"`
}

// Queries are the module's read paths.
func (m Module) Queries() []chain.Query {
	k := m.Keeper
	return []chain.Query{
		chain.NewQuery("params", func(ctx *chain.Context, _ struct{}) (*QueryParamsResponse, error) {
			return &QueryParamsResponse{Params: k.Params(ctx)}, nil
		}),
		chain.NewQuery("worker", func(ctx *chain.Context, q WorkerQuery) (*Worker, error) {
			return k.Worker(ctx, q.ID)
		}),
		chain.NewQuery("workers", func(ctx *chain.Context, q WorkersQuery) (*QueryWorkersResponse, error) {
			res := &QueryWorkersResponse{Workers: []*Worker{}, DevAttestation: k.Params(ctx).DevAttestation}
			for _, w := range k.Workers(ctx) {
				if q.IDAO == 0 || w.Idao == q.IDAO {
					res.Workers = append(res.Workers, w)
				}
			}
			return res, nil
		}),
	}
}
