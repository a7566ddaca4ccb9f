package idao

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/store"
)

// Genesis is the idao genesis section: the iDAOs, created in order with
// ids 1..n. Proposals, votes and agreements are not part of it: an export
// carries iDAOs, members and policies only, and a chain started from it
// begins with no proposals or agreements.
type Genesis struct {
	IDAOs []GenesisIDAO `json:"idaos"`
}

// GenesisIDAO is one iDAO of the genesis. Its creator is made its first
// member (admin, weight 1) as MsgCreate does. Members, when given, is the
// whole member list: the others are added in order, the creator's own
// entry then sets its roles and weight, and a creator not listed is removed
// at the end (so an export of an iDAO whose creator left re-imports as is).
type GenesisIDAO struct {
	Name        string            `json:"name"`
	Description string            `json:"description,omitempty"`
	Creator     string            `json:"creator"`
	Members     []GenesisMember   `json:"members,omitempty"`
	Policies    map[string]string `json:"policies,omitempty"`
}

// GenesisMember is one member of a genesis iDAO. Weight is its voting
// weight; 0 (also when omitted) lets it propose but not vote.
type GenesisMember struct {
	Address string   `json:"address"`
	Roles   []string `json:"roles"`
	Weight  uint64   `json:"weight"`
}

// InitGenesis implements chain.Module.
func (m Module) InitGenesis(ctx *chain.Context, raw json.RawMessage) error {
	var g Genesis
	if err := chain.DecodeJSON(raw, &g); err != nil {
		return ErrInvalidGenesis.Wrapf("idao genesis: %v", err)
	}
	for i, gd := range g.IDAOs {
		if err := m.Keeper.initIDAO(ctx, gd); err != nil {
			return ErrInvalidGenesis.Wrapf("idao genesis: iDAO %d (%s): %s", i+1, gd.Name, strings.TrimPrefix(err.Error(), Name+": "))
		}
	}
	return nil
}

func (k *Keeper) initIDAO(ctx *chain.Context, gd GenesisIDAO) error {
	creator, err := parseAddress("creator", gd.Creator)
	if err != nil {
		return err
	}
	id, err := k.create(ctx, creator, gd.Name, gd.Description, nil)
	if err != nil {
		return err
	}
	var own *GenesisMember
	for i := range gd.Members {
		gm := &gd.Members[i]
		a, err := parseAddress("member", gm.Address)
		if err != nil {
			return err
		}
		if a == creator {
			if own != nil {
				return ErrAlreadyMember.Wrapf("creator %s is listed twice", a)
			}
			own = gm
			continue
		}
		if err := k.addMember(ctx, id, a, gm.Roles, gm.Weight); err != nil {
			return err
		}
	}
	switch {
	case own != nil:
		if err := k.setMember(ctx, id, creator, own.Roles, own.Weight); err != nil {
			return err
		}
	case len(gd.Members) > 0:
		if err := k.removeMember(ctx, id, creator); err != nil {
			return err
		}
	}
	keys := make([]string, 0, len(gd.Policies))
	for key := range gd.Policies {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	for _, key := range keys {
		if err := k.setPolicy(ctx, id, key, gd.Policies[key]); err != nil {
			return err
		}
	}
	return nil
}

// ExportGenesis implements chain.Module. It exports iDAOs, members and
// policies; proposals, votes and agreements are not exported.
func (m Module) ExportGenesis(ctx *chain.Context) (json.RawMessage, error) {
	g := Genesis{IDAOs: []GenesisIDAO{}}
	var ds []*IDAO
	store.Each(ctx.Store(Name), prefixIDAO, store.PrefixEnd(prefixIDAO), func(_, v []byte) bool {
		d := &IDAO{}
		chain.DecodeRecord(v, d)
		ds = append(ds, d)
		return true
	})
	for _, d := range ds {
		gd := GenesisIDAO{Name: d.Name, Description: d.Description, Creator: d.Creator, Members: []GenesisMember{}}
		for _, mem := range m.Keeper.members(ctx, d.Id) {
			gd.Members = append(gd.Members, GenesisMember{Address: mem.Address, Roles: mem.Roles, Weight: mem.Weight})
		}
		if ps := m.Keeper.setPolicies(ctx, d.Id); len(ps) > 0 {
			gd.Policies = ps
		}
		g.IDAOs = append(g.IDAOs, gd)
	}
	return json.Marshal(g)
}

// members lists iDAO id's members in address order.
func (k *Keeper) members(ctx *chain.Context, id uint64) []*Member {
	var out []*Member
	p := key(prefixMember, id)
	store.Each(ctx.Store(Name), p, store.PrefixEnd(p), func(_, v []byte) bool {
		m := &Member{}
		chain.DecodeRecord(v, m)
		out = append(out, m)
		return true
	})
	return out
}
