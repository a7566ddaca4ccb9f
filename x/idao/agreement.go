package idao

import (
	"math"
	"strconv"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/store"
	"github.com/lazchain/lazchain/tx"
)

// Agreement returns agreement id, or ErrNotFound.
func (k *Keeper) Agreement(ctx *chain.Context, id uint64) (*Agreement, error) {
	a := &Agreement{}
	if !chain.LoadRecord(ctx.Store(Name), key(prefixAgreement, id), a) {
		return nil, ErrNotFound.Wrapf("agreement %d does not exist", id)
	}
	return a, nil
}

func emitAgreement(ctx *chain.Context, a *Agreement) {
	ctx.Emit(chain.Event("idao_agreement", chain.Indexed("agreement", fmtID(a.Id)),
		chain.Indexed("grantor", fmtID(a.Grantor)), chain.Indexed("grantee", fmtID(a.Grantee)),
		chain.Indexed("class", fmtID(a.Class)), chain.Indexed("status", a.Status)))
}

// checkTerms checks an offer that does not depend on state besides the
// height.
func checkTerms(ctx *chain.Context, t *AgreementTerms) error {
	if t == nil {
		return ErrInvalidAgreement.Wrap("the offer has no terms")
	}
	if _, err := tx.ParseBaseUnits(t.PricePerUnit); err != nil {
		return ErrInvalidAgreement.Wrapf("price per unit: %v", err)
	}
	if t.RevenueSplitBps > 10000 {
		return ErrInvalidAgreement.Wrapf("revenue split of %d bps is above 10000", t.RevenueSplitBps)
	}
	if t.Quota == 0 {
		return ErrInvalidAgreement.Wrap("quota must be greater than zero")
	}
	if ctx.Height < 0 || t.ExpireHeight <= uint64(ctx.Height) {
		return ErrInvalidAgreement.Wrapf("expire height %d is not after the current height %d", t.ExpireHeight, ctx.Height)
	}
	return nil
}

// checkClass checks that DAT class belongs to iDAO grantor.
func (k *Keeper) checkClass(ctx *chain.Context, grantor, class uint64) error {
	if k.Classes == nil {
		return ErrInvalidAgreement.Wrap("DAT classes are not available on this chain")
	}
	owner, ok := k.Classes.ClassIDAO(ctx, class)
	if !ok {
		return ErrInvalidAgreement.Wrapf("DAT class %d does not exist", class)
	}
	if owner != grantor {
		return ErrInvalidAgreement.Wrapf("DAT class %d belongs to iDAO %d, not iDAO %d", class, owner, grantor)
	}
	return nil
}

// offerAgreement records iDAO grantor's offer to grantee.
func (k *Keeper) offerAgreement(ctx *chain.Context, grantor uint64, o *OfferAgreement) error {
	if err := checkTerms(ctx, o.Terms); err != nil {
		return err
	}
	if o.Grantee == grantor {
		return ErrInvalidAgreement.Wrapf("iDAO %d cannot offer an agreement to itself", grantor)
	}
	if _, err := k.Get(ctx, o.Grantee); err != nil {
		return ErrInvalidAgreement.Wrapf("grantee iDAO %d does not exist", o.Grantee)
	}
	if err := k.checkClass(ctx, grantor, o.Class); err != nil {
		return err
	}
	kv := ctx.Store(Name)
	id := chain.NextID(kv, seqAgreementKey)
	terms := &AgreementTerms{PricePerUnit: o.Terms.PricePerUnit, Quota: o.Terms.Quota,
		RevenueSplitBps: o.Terms.RevenueSplitBps, ExpireHeight: o.Terms.ExpireHeight}
	a := &Agreement{Id: id, Grantor: grantor, Grantee: o.Grantee, Class: o.Class, Terms: terms,
		Status: AgreementOffered, OfferedHeight: ctx.Height}
	chain.SaveRecord(kv, key(prefixAgreement, id), a)
	kv.Set(key(prefixParty, grantor, id), present)
	kv.Set(key(prefixParty, o.Grantee, id), present)
	emitAgreement(ctx, a)
	return nil
}

// acceptAgreement makes an offered agreement active, by its grantee.
func (k *Keeper) acceptAgreement(ctx *chain.Context, grantee, id uint64) error {
	a, err := k.Agreement(ctx, id)
	if err != nil {
		return err
	}
	if a.Grantee != grantee {
		return ErrInvalidAgreement.Wrapf("agreement %d was offered to iDAO %d, not iDAO %d", id, a.Grantee, grantee)
	}
	if a.Status != AgreementOffered {
		return ErrInvalidAgreement.Wrapf("agreement %d is %s, not offered", id, a.Status)
	}
	if expired(ctx, a) {
		return ErrInvalidAgreement.Wrapf("agreement %d expired at height %d (now %d)", id, a.Terms.GetExpireHeight(), ctx.Height)
	}
	a.Status = AgreementActive
	a.AcceptedHeight = ctx.Height
	kv := ctx.Store(Name)
	chain.SaveRecord(kv, key(prefixAgreement, id), a)
	kv.Set(key(prefixActive, a.Grantor, a.Grantee, a.Class), store.EncodeUint64(id))
	emitAgreement(ctx, a)
	return nil
}

func expired(ctx *chain.Context, a *Agreement) bool {
	return ctx.Height < 0 || uint64(ctx.Height) >= a.Terms.GetExpireHeight()
}

// ActiveAgreement returns the agreement under which iDAO grantee may use
// grantor's DAT class, or ErrNoAgreement saying why there is none: no
// agreement, only an offer not yet accepted, or an agreement that expired.
func (k *Keeper) ActiveAgreement(ctx *chain.Context, grantor, grantee, class uint64) (*Agreement, error) {
	kv := ctx.Store(Name)
	bz := kv.Get(key(prefixActive, grantor, grantee, class))
	if bz == nil {
		if off := k.offered(ctx, grantor, grantee, class); off != 0 {
			return nil, ErrNoAgreement.Wrapf("agreement %d from iDAO %d to iDAO %d for class %d is only offered; iDAO %d has not accepted it",
				off, grantor, grantee, class, grantee)
		}
		return nil, ErrNoAgreement.Wrapf("iDAO %d has no active agreement with iDAO %d for class %d", grantee, grantor, class)
	}
	a, err := k.Agreement(ctx, store.DecodeUint64(bz))
	if err != nil {
		return nil, err
	}
	if expired(ctx, a) {
		return nil, ErrNoAgreement.Wrapf("agreement %d expired at height %d (now %d)", a.Id, a.Terms.GetExpireHeight(), ctx.Height)
	}
	return a, nil
}

// offered finds the newest offered agreement for a triple, or 0.
func (k *Keeper) offered(ctx *chain.Context, grantor, grantee, class uint64) uint64 {
	var found uint64
	for _, id := range k.agreementIDs(ctx, grantor) {
		a, err := k.Agreement(ctx, id)
		if err == nil && a.Grantee == grantee && a.Class == class && a.Status == AgreementOffered && !expired(ctx, a) {
			found = id
		}
	}
	return found
}

// agreementIDs lists the agreements iDAO id grants or was granted, in id order.
func (k *Keeper) agreementIDs(ctx *chain.Context, id uint64) []uint64 {
	var ids []uint64
	p := key(prefixParty, id)
	store.Each(ctx.Store(Name), p, store.PrefixEnd(p), func(kk, _ []byte) bool {
		ids = append(ids, store.DecodeUint64(kk[len(p):]))
		return true
	})
	return ids
}

// UseAgreement records units of usage under active agreement id; it
// refuses usage beyond the agreement's quota, on an agreement not accepted
// or expired.
func (k *Keeper) UseAgreement(ctx *chain.Context, id uint64, units uint64) error {
	a, err := k.Agreement(ctx, id)
	if err != nil {
		return err
	}
	if a.Status != AgreementActive {
		return ErrNoAgreement.Wrapf("agreement %d is %s, not active", id, a.Status)
	}
	if expired(ctx, a) {
		return ErrNoAgreement.Wrapf("agreement %d expired at height %d (now %d)", id, a.Terms.GetExpireHeight(), ctx.Height)
	}
	quota := a.Terms.GetQuota()
	if units > math.MaxUint64-a.Used || a.Used+units > quota {
		return ErrAgreementQuota.Wrapf("agreement %d: %d units used of %d, %d more would exceed the quota", id, a.Used, quota, units)
	}
	if units == 0 {
		return nil
	}
	a.Used += units
	chain.SaveRecord(ctx.Store(Name), key(prefixAgreement, id), a)
	ctx.Emit(chain.Event("idao_agreement_use", chain.Indexed("agreement", fmtID(id)),
		chain.Attr("units", strconv.FormatUint(units, 10)), chain.Attr("used", strconv.FormatUint(a.Used, 10))))
	return nil
}
