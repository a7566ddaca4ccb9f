package idao

import (
	"fmt"
	"math"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/codes"
	"github.com/lazchain/lazchain/tx"
)

// actionKind names an action's kind as in the .proto.
func actionKind(a *Action) string {
	switch a.GetKind().(type) {
	case *Action_AddMember:
		return "add_member"
	case *Action_RemoveMember:
		return "remove_member"
	case *Action_SetMember:
		return "set_member"
	case *Action_SetPolicy:
		return "set_policy"
	case *Action_SpendTreasury:
		return "spend_treasury"
	case *Action_OfferAgreement:
		return "offer_agreement"
	case *Action_AcceptAgreement:
		return "accept_agreement"
	case *Action_BondTreasury:
		return "bond_treasury"
	}
	return "empty"
}

func annotate(err error, i int, a *Action) error {
	return codes.Annotate(err, fmt.Sprintf("action %d (%s): ", i+1, actionKind(a)))
}

// parseSpend reads a SpendTreasury of iDAO id.
func parseSpend(id uint64, s *SpendTreasury) (tx.Address, uint64, error) {
	to, err := parseAddress("recipient", s.To)
	if err != nil {
		return to, 0, err
	}
	if to == TreasuryAddress(id) {
		return to, 0, ErrInvalidAddress.Wrapf("recipient %s is iDAO %d's own treasury", to, id)
	}
	amount, err := tx.ParseBaseUnits(s.Amount)
	if err != nil {
		return to, 0, ErrInvalidAmount.Wrap(err.Error())
	}
	if amount == 0 {
		return to, 0, ErrInvalidAmount.Wrap("amount must be greater than zero")
	}
	return to, amount, nil
}

// checkAction checks what can be checked of an action of iDAO id without
// running it: addresses, roles, weights, policy values, amounts, and an
// offer's terms, grantee and class.
func (k *Keeper) checkAction(ctx *chain.Context, id uint64, a *Action) error {
	switch kind := a.GetKind().(type) {
	case *Action_AddMember:
		if _, err := parseAddress("member", kind.AddMember.Address); err != nil {
			return err
		}
		if _, err := normalizeRoles(kind.AddMember.Roles); err != nil {
			return err
		}
		return checkWeight(kind.AddMember.Weight)
	case *Action_RemoveMember:
		_, err := parseAddress("member", kind.RemoveMember.Address)
		return err
	case *Action_SetMember:
		if _, err := parseAddress("member", kind.SetMember.Address); err != nil {
			return err
		}
		if _, err := normalizeRoles(kind.SetMember.Roles); err != nil {
			return err
		}
		return checkWeight(kind.SetMember.Weight)
	case *Action_SetPolicy:
		_, err := NormalizePolicy(kind.SetPolicy.Key, kind.SetPolicy.Value)
		return err
	case *Action_SpendTreasury:
		_, _, err := parseSpend(id, kind.SpendTreasury)
		return err
	case *Action_OfferAgreement:
		o := kind.OfferAgreement
		if err := checkTerms(ctx, o.Terms); err != nil {
			return err
		}
		if o.Grantee == id {
			return ErrInvalidAgreement.Wrapf("iDAO %d cannot offer an agreement to itself", id)
		}
		if _, err := k.Get(ctx, o.Grantee); err != nil {
			return ErrInvalidAgreement.Wrapf("grantee iDAO %d does not exist", o.Grantee)
		}
		return k.checkClass(ctx, id, o.Class)
	case *Action_AcceptAgreement:
		if kind.AcceptAgreement.Agreement == 0 {
			return ErrInvalidAgreement.Wrap("no agreement id given")
		}
		return nil
	case *Action_BondTreasury:
		_, err := parseBond(kind.BondTreasury)
		return err
	}
	return ErrInvalidProposal.Wrap("the action has no kind set")
}

// applyAction runs one action of iDAO id against ctx's state.
func (k *Keeper) applyAction(ctx *chain.Context, id uint64, a *Action) error {
	if err := k.checkAction(ctx, id, a); err != nil {
		return err
	}
	switch kind := a.GetKind().(type) {
	case *Action_AddMember:
		addr, _ := tx.ParseAddress(kind.AddMember.Address)
		return k.addMember(ctx, id, addr, kind.AddMember.Roles, kind.AddMember.Weight)
	case *Action_RemoveMember:
		addr, _ := tx.ParseAddress(kind.RemoveMember.Address)
		return k.removeMember(ctx, id, addr)
	case *Action_SetMember:
		addr, _ := tx.ParseAddress(kind.SetMember.Address)
		return k.setMember(ctx, id, addr, kind.SetMember.Roles, kind.SetMember.Weight)
	case *Action_SetPolicy:
		return k.setPolicy(ctx, id, kind.SetPolicy.Key, kind.SetPolicy.Value)
	case *Action_SpendTreasury:
		to, amount, _ := parseSpend(id, kind.SpendTreasury)
		return k.spend(ctx, id, to, amount)
	case *Action_OfferAgreement:
		return k.offerAgreement(ctx, id, kind.OfferAgreement)
	case *Action_AcceptAgreement:
		return k.acceptAgreement(ctx, id, kind.AcceptAgreement.Agreement)
	case *Action_BondTreasury:
		amount, _ := parseBond(kind.BondTreasury)
		if k.Staking == nil {
			return ErrInvalidProposal.Wrap("this chain has no staking module")
		}
		return k.Staking.Delegate(ctx, TreasuryAddress(id), kind.BondTreasury.Validator, amount)
	}
	return ErrInvalidProposal.Wrap("the action has no kind set")
}

// parseBond reads a BondTreasury's amount.
func parseBond(b *BondTreasury) (uint64, error) {
	if b.Validator == 0 {
		return 0, ErrInvalidProposal.Wrap("bond_treasury: no validator iDAO given")
	}
	amount, err := tx.ParseBaseUnits(b.Amount)
	if err != nil {
		return 0, ErrInvalidAmount.Wrap(err.Error())
	}
	if amount == 0 {
		return 0, ErrInvalidAmount.Wrap("amount must be greater than zero")
	}
	return amount, nil
}

// runActions runs a proposal's actions in order, stopping at the first
// failure; the caller runs it on a cache and discards it on failure.
func (k *Keeper) runActions(ctx *chain.Context, id uint64, actions []*Action) error {
	for i, a := range actions {
		if err := k.applyAction(ctx, id, a); err != nil {
			return annotate(err, i, a)
		}
	}
	return nil
}

// spend pays amount from iDAO id's treasury to to.
func (k *Keeper) spend(ctx *chain.Context, id uint64, to tx.Address, amount uint64) error {
	treasury := TreasuryAddress(id)
	if have := k.Bank.Balance(ctx, treasury); have < amount {
		return ErrTreasuryFunds.Wrapf("treasury of iDAO %d holds %d ulaz; the action spends %d ulaz", id, have, amount)
	}
	if err := k.Bank.Send(ctx, treasury, to, amount); err != nil {
		return err
	}
	ctx.Emit(chain.Event("idao_spend", chain.Indexed("idao", fmtID(id)), chain.Indexed("recipient", to.String()),
		chain.Attr("amount", tx.FormatBaseUnits(amount))))
	return nil
}

// totalSpend adds up a proposal's treasury spends.
func totalSpend(id uint64, actions []*Action) (uint64, error) {
	var total uint64
	for _, a := range actions {
		s := a.GetSpendTreasury()
		if s == nil {
			continue
		}
		_, amount, err := parseSpend(id, s)
		if err != nil {
			return 0, err
		}
		if total > math.MaxUint64-amount {
			return 0, ErrInvalidAmount.Wrap("the proposal's spends add up to more than 2^64-1 ulaz")
		}
		total += amount
	}
	return total, nil
}
