package dat

import (
	"encoding/json"
	"fmt"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/store"
	"github.com/lazchain/lazchain/tx"
)

// Module is the dat module as the application assembles it.
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
		chain.Handle(k.execCreateClass),
		chain.Handle(k.execAddParent),
		chain.Handle(k.execMint),
		chain.Handle(k.execTransferValue),
		chain.Handle(k.execTransfer),
		chain.Handle(k.execSplit),
		chain.Handle(k.execMerge),
		chain.Handle(k.execApproveForClass),
		chain.Handle(k.execApproveValue),
		chain.Handle(k.execRecordUsage),
		chain.Handle(k.execSettleRevenue),
		chain.Handle(k.execClaim),
		chain.Handle(k.execClaimAll),
		chain.Handle(k.execAddProof),
	}
}

// Genesis is the module's genesis section: classes created in order (ids
// 1, 2, …) with their tokens. Revenue state (accumulators, pending and
// claimed revenue), approvals, allowances, usage counters, proofs and
// expired tokens are not exported: a new chain starts them afresh.
type Genesis struct {
	Classes []GenesisClass `json:"classes"`
}

// GenesisClass is one class of the genesis, as MsgCreateClass carries it,
// with its tokens.
type GenesisClass struct {
	IDAO          uint64          `json:"idao"`
	Creator       string          `json:"creator"`
	Name          string          `json:"name"`
	MetadataURI   string          `json:"metadata_uri,omitempty"`
	IntegrityHash string          `json:"integrity_hash"`
	PolicyURI     string          `json:"policy_uri,omitempty"`
	UnitDecimals  uint32          `json:"unit_decimals,omitempty"`
	Parents       []GenesisParent `json:"parents,omitempty"`
	Policy        GenesisPolicy   `json:"policy"`
	Tokens        []GenesisToken  `json:"tokens,omitempty"`
}

// GenesisParent is a lineage edge of a genesis class. A parent may come
// later in the list (an edge added after creation); it is then added once
// every class exists.
type GenesisParent struct {
	Class    uint64 `json:"class"`
	SplitBps uint32 `json:"split_bps"`
}

// GenesisPolicy is a genesis class's usage policy.
type GenesisPolicy struct {
	AllowedServices []string `json:"allowed_services,omitempty"`
	Restricted      bool     `json:"restricted,omitempty"`
}

// GenesisToken is a token of a genesis class.
type GenesisToken struct {
	Owner          string `json:"owner"`
	Value          uint64 `json:"value"`
	ShareRatio     uint64 `json:"share_ratio"`
	ExpireAtHeight uint64 `json:"expire_at_height,omitempty"`
	ExpireAtTime   int64  `json:"expire_at_time,omitempty"`
}

// DefaultGenesis has no classes.
func (Module) DefaultGenesis() json.RawMessage { return json.RawMessage(`{"classes":[]}`) }

// InitGenesis creates the genesis classes and tokens through CreateClass
// and Mint, so they pass every check a message would. The owning iDAOs must
// exist already (idao's genesis runs first).
func (m Module) InitGenesis(ctx *chain.Context, raw json.RawMessage) error {
	k := m.Keeper
	var g Genesis
	if err := chain.DecodeJSON(raw, &g); err != nil {
		return ErrInvalidGenesis.Wrapf("dat genesis: %v", err)
	}
	type edge struct {
		child uint64
		p     GenesisParent
	}
	var later []edge
	for i, gc := range g.Classes {
		id := uint64(i + 1)
		creator, err := tx.ParseAddress(gc.Creator)
		if err != nil {
			return ErrInvalidGenesis.Wrapf("dat genesis: class %d: creator: %v", id, err)
		}
		msg := &MsgCreateClass{
			From: creator.String(), Idao: gc.IDAO, Name: gc.Name, MetadataUri: gc.MetadataURI,
			IntegrityHash: gc.IntegrityHash, UnitDecimals: gc.UnitDecimals, PolicyUri: gc.PolicyURI,
			Policy: &ClassPolicy{AllowedServices: gc.Policy.AllowedServices, Restricted: gc.Policy.Restricted},
		}
		for _, p := range gc.Parents {
			if p.Class >= id {
				later = append(later, edge{id, p})
				continue
			}
			msg.Parents = append(msg.Parents, &Parent{Class: p.Class, SplitBps: p.SplitBps})
		}
		got, err := k.CreateClass(ctx, creator, msg)
		if err != nil {
			return ErrInvalidGenesis.Wrapf("dat genesis: class %d: %v", id, err)
		}
		if got != id {
			return ErrInvalidGenesis.Wrapf("dat genesis: class %d was created as %d: genesis must start from an empty module", id, got)
		}
		for j, gt := range gc.Tokens {
			to, err := tx.ParseAddress(gt.Owner)
			if err != nil {
				return ErrInvalidGenesis.Wrapf("dat genesis: class %d token %d: owner: %v", id, j, err)
			}
			if _, err := k.Mint(ctx, id, to, gt.Value, gt.ShareRatio, gt.ExpireAtHeight, gt.ExpireAtTime); err != nil {
				return ErrInvalidGenesis.Wrapf("dat genesis: class %d token %d: %v", id, j, err)
			}
		}
	}
	for _, e := range later {
		if err := k.addParent(ctx, e.child, e.p.Class, e.p.SplitBps); err != nil {
			return ErrInvalidGenesis.Wrapf("dat genesis: class %d parent %d: %v", e.child, e.p.Class, err)
		}
	}
	return nil
}

// ExportGenesis writes the classes in id order with their unexpired tokens
// (see Genesis for what is not exported). Ids are reassigned in order on
// import, so a state whose classes are 1..n re-imports with the same ids.
func (m Module) ExportGenesis(ctx *chain.Context) (json.RawMessage, error) {
	k := m.Keeper
	g := Genesis{Classes: []GenesisClass{}}
	var err error
	k.eachClass(ctx, k.kv(ctx), func(c *Class) bool {
		if c.Id != uint64(len(g.Classes)+1) {
			err = fmt.Errorf("dat: class ids are not contiguous at %d", c.Id)
			return false
		}
		gc := GenesisClass{
			IDAO: c.Idao, Creator: c.Creator, Name: c.Name, MetadataURI: c.MetadataUri,
			IntegrityHash: c.IntegrityHash, PolicyURI: c.PolicyUri, UnitDecimals: c.UnitDecimals,
		}
		for _, p := range c.Parents {
			gc.Parents = append(gc.Parents, GenesisParent{Class: p.Class, SplitBps: p.SplitBps})
		}
		if c.Policy != nil {
			gc.Policy = GenesisPolicy{AllowedServices: c.Policy.AllowedServices, Restricted: c.Policy.Restricted}
		}
		for _, id := range store.IDsUnder(k.kv(ctx), key(classTokPrefix, be(c.Id))) {
			t, terr := k.Token(ctx, id)
			if terr != nil {
				err = terr
				return false
			}
			if exp, _ := expiredNow(ctx, t); exp || (t.Value == 0 && t.ShareRatio == 0) {
				continue // nothing a new chain could use
			}
			gc.Tokens = append(gc.Tokens, GenesisToken{
				Owner: t.Owner, Value: t.Value, ShareRatio: t.ShareRatio,
				ExpireAtHeight: t.ExpireAtHeight, ExpireAtTime: t.ExpireAtTime,
			})
		}
		g.Classes = append(g.Classes, gc)
		return true
	})
	if err != nil {
		return nil, err
	}
	return json.Marshal(g)
}
