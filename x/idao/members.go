package idao

import (
	"math"
	"strconv"
	"strings"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/store"
	"github.com/lazchain/lazchain/tx"
)

// create forms an iDAO with creator as its first member (admin plus roles,
// weight 1). MsgCreate and genesis both go through it.
func (k *Keeper) create(ctx *chain.Context, creator tx.Address, name, description string, roles []string) (uint64, error) {
	if err := validName(name); err != nil {
		return 0, err
	}
	kv := ctx.Store(Name)
	if bz := kv.Get(key(prefixName, name)); bz != nil {
		return 0, ErrNameTaken.Wrapf("name %q is taken by iDAO %d", name, store.DecodeUint64(bz))
	}
	if len(description) > MaxDescriptionLen {
		return 0, ErrInvalidDescription.Wrapf("description has %d bytes; at most %d are allowed", len(description), MaxDescriptionLen)
	}
	given, err := normalizeRoles(roles)
	if len(roles) > 0 && err != nil {
		return 0, err
	}
	all := []string{RoleAdmin}
	for _, r := range given {
		if r != RoleAdmin {
			all = append(all, r)
		}
	}
	all, err = normalizeRoles(all)
	if err != nil {
		return 0, err
	}
	id := chain.NextID(kv, seqIDAOKey)
	treasury := TreasuryAddress(id)
	d := &IDAO{
		Id: id, Name: name, Description: description, Creator: creator.String(),
		Treasury: treasury.String(), CreatedHeight: ctx.Height,
		Members: 1, TotalWeight: 1, Admins: 1, NextProposal: 1,
	}
	k.setIDAO(ctx, d)
	kv.Set(key(prefixName, name), store.EncodeUint64(id))
	kv.Set(key(prefixTreasury, treasury), store.EncodeUint64(id))
	m := &Member{Address: creator.String(), Roles: all, Weight: 1, JoinedHeight: ctx.Height}
	chain.SaveRecord(kv, key(prefixMember, id, creator), m)
	ctx.Emit(chain.Event("idao_create", chain.Indexed("idao", fmtID(id)), chain.Indexed("name", name),
		chain.Indexed("creator", creator.String()), chain.Indexed("treasury", treasury.String())))
	emitMember(ctx, id, "add", m)
	return id, nil
}

func fmtID(id uint64) string { return strconv.FormatUint(id, 10) }

func emitMember(ctx *chain.Context, id uint64, action string, m *Member) {
	ctx.Emit(chain.Event("idao_member", chain.Indexed("idao", fmtID(id)), chain.Indexed("member", m.Address),
		chain.Indexed("action", action), chain.Attr("roles", strings.Join(m.Roles, ",")),
		chain.Attr("weight", strconv.FormatUint(m.Weight, 10))))
}

// addMember admits a with roles and weight.
func (k *Keeper) addMember(ctx *chain.Context, id uint64, a tx.Address, roles []string, weight uint64) error {
	roles, err := normalizeRoles(roles)
	if err != nil {
		return err
	}
	if err := checkWeight(weight); err != nil {
		return err
	}
	d, err := k.Get(ctx, id)
	if err != nil {
		return err
	}
	if k.IsMember(ctx, id, a) {
		return ErrAlreadyMember.Wrapf("%s is already a member of iDAO %d (%s)", a, id, d.Name)
	}
	if d.TotalWeight > math.MaxUint64-weight {
		return ErrInvalidWeight.Wrapf("adding weight %d to iDAO %d's total of %d overflows", weight, id, d.TotalWeight)
	}
	d.Members++
	d.TotalWeight += weight
	if hasRole(roles, RoleAdmin) {
		d.Admins++
	}
	m := &Member{Address: a.String(), Roles: roles, Weight: weight, JoinedHeight: ctx.Height}
	k.setIDAO(ctx, d)
	chain.SaveRecord(ctx.Store(Name), key(prefixMember, id, a), m)
	emitMember(ctx, id, "add", m)
	return nil
}

// removeMember removes a. Its votes already cast stay in the tallies of the
// proposals it voted on.
func (k *Keeper) removeMember(ctx *chain.Context, id uint64, a tx.Address) error {
	d, err := k.Get(ctx, id)
	if err != nil {
		return err
	}
	m, err := k.Member(ctx, id, a)
	if err != nil {
		return err
	}
	if hasRole(m.Roles, RoleAdmin) {
		if d.Admins <= 1 {
			return ErrLastAdmin.Wrapf("removing %s would leave iDAO %d (%s) with no admin", a, id, d.Name)
		}
		d.Admins--
	}
	d.Members--
	d.TotalWeight -= m.Weight
	k.setIDAO(ctx, d)
	ctx.Store(Name).Delete(key(prefixMember, id, a))
	emitMember(ctx, id, "remove", m)
	return nil
}

// setMember replaces a's roles and weight.
func (k *Keeper) setMember(ctx *chain.Context, id uint64, a tx.Address, roles []string, weight uint64) error {
	roles, err := normalizeRoles(roles)
	if err != nil {
		return err
	}
	if err := checkWeight(weight); err != nil {
		return err
	}
	d, err := k.Get(ctx, id)
	if err != nil {
		return err
	}
	m, err := k.Member(ctx, id, a)
	if err != nil {
		return err
	}
	wasAdmin, isAdmin := hasRole(m.Roles, RoleAdmin), hasRole(roles, RoleAdmin)
	switch {
	case wasAdmin && !isAdmin:
		if d.Admins <= 1 {
			return ErrLastAdmin.Wrapf("setting the roles of %s to %s would leave iDAO %d (%s) with no admin",
				a, strings.Join(roles, ","), id, d.Name)
		}
		d.Admins--
	case !wasAdmin && isAdmin:
		d.Admins++
	}
	rest := d.TotalWeight - m.Weight
	if rest > math.MaxUint64-weight {
		return ErrInvalidWeight.Wrapf("setting %s's weight to %d overflows iDAO %d's total weight", a, weight, id)
	}
	d.TotalWeight = rest + weight
	m.Roles, m.Weight = roles, weight
	k.setIDAO(ctx, d)
	chain.SaveRecord(ctx.Store(Name), key(prefixMember, id, a), m)
	emitMember(ctx, id, "set", m)
	return nil
}
