package flow

import (
	"encoding/json"
	"fmt"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/store"
	"github.com/lazchain/lazchain/tx"
)

// Module is the flow module as the application assembles it.
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
		chain.Handle(k.execCreatePool),
		chain.Handle(k.execContribute),
		chain.Handle(k.execAttest),
		chain.Handle(k.execRefund),
		chain.Handle(k.execRevoke),
		chain.Handle(k.execGrant),
		chain.Handle(k.execTrain),
		chain.Handle(k.execTrainResult),
	}
}

// EndBlock runs the jobs whose deadline is this block.
func (m Module) EndBlock(ctx *chain.Context) error { return m.Keeper.EndBlock(ctx) }

// DefaultGenesis is empty: pools seal their validation sets to workers,
// which must first attest on the chain.
func (Module) DefaultGenesis() json.RawMessage { return json.RawMessage(`{}`) }

// InitGenesis accepts only the empty section.
func (Module) InitGenesis(_ *chain.Context, raw json.RawMessage) error {
	var g struct{}
	if err := chain.DecodeJSON(raw, &g); err != nil {
		return ErrInvalidGenesis.Wrapf("flow genesis: %v (pools are created by transactions, after their workers attest)", err)
	}
	return nil
}

// ExportGenesis writes the empty section: pools and contributions are not
// exported (see the issue notes).
func (Module) ExportGenesis(*chain.Context) (json.RawMessage, error) {
	return json.RawMessage(`{}`), nil
}

// Invariants are the module's whole-state checks.
func (m Module) Invariants() []chain.Invariant {
	return []chain.Invariant{{Name: "flow/fees", Check: m.Keeper.checkFees}}
}

// checkFees: the fee escrow holds exactly the fees of contributions whose
// fee is still owed to someone (verifying or stalled) and of the training
// jobs still open.
func (k *Keeper) checkFees(ctx *chain.Context) error {
	var sum uint64
	kv := ctx.StoreUnmetered(Name)
	store.Each(kv, contribPrefix, store.PrefixEnd(contribPrefix), func(_, v []byte) bool {
		c := &Contribution{}
		chain.DecodeRecord(v, c)
		if c.Status == StatusVerifying || c.Status == StatusStalled {
			sum += mustAmount(c.Fee)
		}
		return true
	})
	store.Each(kv, modelPrefix, store.PrefixEnd(modelPrefix), func(_, v []byte) bool {
		m := &Model{}
		chain.DecodeRecord(v, m)
		if m.Status == ModelTraining {
			sum += mustAmount(m.Fee)
		}
		return true
	})
	if have := k.Bank.Balance(ctx, FeeEscrow); have != sum {
		return fmt.Errorf("fee escrow %s holds %d ulaz, open contributions' and training jobs' fees sum to %d", FeeEscrow, have, sum)
	}
	return nil
}

// PoolQuery asks /flow/pool for one pool.
type PoolQuery struct {
	ID uint64 `json:"id"`
}

// PoolsQuery asks /flow/pools for a page of pools after id After.
type PoolsQuery struct {
	After uint64 `json:"after,omitempty"`
	Limit int    `json:"limit,omitempty"`
}

// ContributionQuery asks /flow/contribution for one contribution.
type ContributionQuery struct {
	ID uint64 `json:"id"`
}

// ContributionsQuery asks /flow/contributions for a page of contributions
// in id order: a pool's, a contributor's, or those assigned (pending) to a
// worker, or those of one ciphertext; exactly one of Pool, Contributor,
// Worker, Ciphertext.
type ContributionsQuery struct {
	Pool        uint64 `json:"pool,omitempty"`
	Contributor string `json:"contributor,omitempty"`
	Worker      uint64 `json:"worker,omitempty"`
	Ciphertext  string `json:"ciphertext,omitempty"`
	After       uint64 `json:"after,omitempty"`
	Limit       int    `json:"limit,omitempty"`
}

// AnchoredQuery asks /flow/anchored for a pool's anchored contributions in
// anchor order, with anchor_seq in (After, UpTo] (UpTo 0: all).
type AnchoredQuery struct {
	Pool  uint64 `json:"pool"`
	After uint64 `json:"after,omitempty"`
	UpTo  uint64 `json:"up_to,omitempty"`
	Limit int    `json:"limit,omitempty"`
}

// Queries are the module's read paths.
func (m Module) Queries() []chain.Query {
	k := m.Keeper
	return []chain.Query{
		chain.NewQuery("pool", func(ctx *chain.Context, q PoolQuery) (*Pool, error) { return k.Pool(ctx, q.ID) }),
		chain.NewQuery("pools", k.queryPools),
		chain.NewQuery("contribution", func(ctx *chain.Context, q ContributionQuery) (*Contribution, error) {
			return k.Contribution(ctx, q.ID)
		}),
		chain.NewQuery("contributions", k.queryContributions),
		chain.NewQuery("anchored", k.queryAnchored),
		chain.NewQuery("model", func(ctx *chain.Context, q ModelQuery) (*Model, error) { return k.Model(ctx, q.ID) }),
		chain.NewQuery("models", k.queryModels),
	}
}

func (k *Keeper) queryPools(ctx *chain.Context, q PoolsQuery) (*QueryPoolsResponse, error) {
	limit := chain.PageLimit(q.Limit)
	res := &QueryPoolsResponse{Pools: []*Pool{}}
	if q.After == ^uint64(0) {
		return res, nil
	}
	store.Each(k.kv(ctx), key(poolPrefix, be(q.After+1)), store.PrefixEnd(poolPrefix), func(_, v []byte) bool {
		p := &Pool{}
		chain.DecodeRecord(v, p)
		res.Pools = append(res.Pools, p)
		return len(res.Pools) < limit
	})
	return res, nil
}

func (k *Keeper) queryContributions(ctx *chain.Context, q ContributionsQuery) (*QueryContributionsResponse, error) {
	var prefix []byte
	n := 0
	if q.Pool != 0 {
		prefix, n = key(poolCPrefix, be(q.Pool)), n+1
	}
	if q.Contributor != "" {
		a, err := tx.ParseAddress(q.Contributor)
		if err != nil {
			return nil, chain.ErrBadRequest.Wrapf("contributions query: contributor: %v", err)
		}
		prefix, n = key(userCPrefix, a.Bytes()), n+1
	}
	if q.Worker != 0 {
		prefix, n = key(assignPrefix, be(q.Worker)), n+1
	}
	if q.Ciphertext != "" {
		if !hexN(q.Ciphertext, 32) {
			return nil, chain.ErrBadRequest.Wrap("contributions query: ciphertext: want 64 lower-case hex digits")
		}
		prefix, n = key(cipherPrefix, []byte(q.Ciphertext)), n+1
	}
	if n != 1 {
		return nil, chain.ErrBadRequest.Wrap("contributions query: give exactly one of pool, contributor, worker or ciphertext")
	}
	limit := chain.PageLimit(q.Limit)
	res := &QueryContributionsResponse{Contributions: []*Contribution{}}
	if q.After == ^uint64(0) {
		return res, nil
	}
	store.Each(k.kv(ctx), key(prefix, be(q.After+1)), store.PrefixEnd(prefix), func(kk, _ []byte) bool {
		c, err := k.Contribution(ctx, store.DecodeUint64(kk[len(kk)-8:]))
		if err != nil {
			panic(fmt.Sprintf("flow: broken index: %v", err))
		}
		res.Contributions = append(res.Contributions, c)
		return len(res.Contributions) < limit
	})
	return res, nil
}

func (k *Keeper) queryAnchored(ctx *chain.Context, q AnchoredQuery) (*QueryContributionsResponse, error) {
	if _, err := k.Pool(ctx, q.Pool); err != nil {
		return nil, err
	}
	limit := chain.PageLimit(q.Limit)
	res := &QueryContributionsResponse{Contributions: []*Contribution{}}
	prefix := key(anchorPrefix, be(q.Pool))
	end := store.PrefixEnd(prefix)
	if q.UpTo != 0 {
		end = key(prefix, be(q.UpTo+1))
		if q.UpTo == ^uint64(0) {
			end = store.PrefixEnd(prefix)
		}
	}
	if q.After == ^uint64(0) {
		return res, nil
	}
	store.Each(k.kv(ctx), key(prefix, be(q.After+1)), end, func(_, v []byte) bool {
		c, err := k.Contribution(ctx, store.DecodeUint64(v))
		if err != nil {
			panic(fmt.Sprintf("flow: broken index: %v", err))
		}
		res.Contributions = append(res.Contributions, c)
		return len(res.Contributions) < limit
	})
	return res, nil
}
