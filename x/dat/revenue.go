package dat

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/holiman/uint256"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/internal/accum"
	"github.com/lazchain/lazchain/store"
	"github.com/lazchain/lazchain/tx"
)

// Revenue accounting. Everything is an exact integer; nothing is floored
// except the ulaz a claim pays.
//
// Per class (256-bit): acc (revenue per unit of share, scaled by Scale),
// acc_remainder (the part of the scaled revenue not yet spread over
// total_share), unallocated (ulaz that arrived while total_share was 0).
// Per token, in scaled units (ulaz·Scale): reward_debt and owed.
//
//	scaled_pending(t) = owed + share·acc − reward_debt   (owed alone once expired)
//	pending(t)        = floor(scaled_pending / Scale)
//
// Settling X ulaz for a class's own holders: distributed += X; if
// total_share is 0, unallocated += X; else num = (X + unallocated)·Scale +
// acc_remainder, acc += num / total_share, acc_remainder = num %
// total_share, unallocated = 0. Hence, per class, always:
//
//	(distributed − claimed)·Scale == Σ scaled_pending + acc_remainder + unallocated·Scale
//
// which the "dat/revenue" invariant checks.

// Scale is the fixed-point scale of acc, reward_debt and owed: 10^18.
const Scale = accum.Scale

var scale = accum.ScaleU

// u256 reads a stored decimal of this module.
func u256(s, what string) *uint256.Int { return accum.Decimal(Name, what, s) }

// mulShare is share·acc.
func mulShare(share uint64, acc *uint256.Int) *uint256.Int { return accum.MulShare(Name, share, acc) }

// scaledPending is a token's claimable revenue in scaled units.
func scaledPending(t *Token, acc *uint256.Int) *uint256.Int {
	owed := u256(t.Owed, "owed")
	if t.Expired {
		return owed
	}
	v := mulShare(t.ShareRatio, acc)
	v.Add(v, owed)
	debt := u256(t.RewardDebt, "reward_debt")
	if v.Lt(debt) {
		panic(fmt.Sprintf("dat: broken invariant: token %d reward_debt %s exceeds owed + share·acc %s", t.Id, debt.Dec(), v.Dec()))
	}
	return v.Sub(v, debt)
}

// pendingOf is what a claim of the token would pay now, in ulaz.
func pendingOf(t *Token, acc *uint256.Int) uint64 {
	p := new(uint256.Int).Div(scaledPending(t, acc), scale)
	if !p.IsUint64() {
		panic(fmt.Sprintf("dat: broken invariant: token %d has %s ulaz pending", t.Id, p.Dec()))
	}
	return p.Uint64()
}

// accrue moves what a token has earned so far into owed, so that its share
// (or expiry) can change: afterwards share·acc − reward_debt is 0.
func accrue(t *Token, acc *uint256.Int) {
	t.Owed = scaledPending(t, acc).Dec()
	resetDebt(t, acc)
}

// resetDebt sets reward_debt = share·acc for the token's current share, so
// it earns from now on. Expired tokens earn nothing and keep their debt.
func resetDebt(t *Token, acc *uint256.Int) {
	if !t.Expired {
		t.RewardDebt = mulShare(t.ShareRatio, acc).Dec()
	}
}

// classAcc is a class's accumulator.
func classAcc(c *Class) *uint256.Int { return u256(c.Acc, "acc") }

// addU256 adds a uint64 to a stored decimal field.
func addU256(s, what string, x uint64) string {
	v, over := new(uint256.Int).AddOverflow(u256(s, what), uint256.NewInt(x))
	if over {
		panic(fmt.Sprintf("dat: %s overflows 256 bits", what))
	}
	return v.Dec()
}

// creditHolders settles x ulaz for the class's own holders (see the top of
// this file). It changes only c.
func creditHolders(c *Class, x uint64) error {
	unalloc := u256(c.Unallocated, "unallocated")
	if c.TotalShare == 0 {
		unalloc.Add(unalloc, uint256.NewInt(x))
		c.Unallocated = unalloc.Dec()
		c.Distributed = addU256(c.Distributed, "distributed", x)
		return nil
	}
	amount := new(uint256.Int).Add(unalloc, uint256.NewInt(x))
	acc, rem, ok := accum.Spread(classAcc(c), u256(c.AccRemainder, "acc_remainder"), amount, c.TotalShare)
	if !ok {
		return ErrOverflow.Wrapf("class %d: revenue of %d ulaz would take its accumulator past 2^192", c.Id, x)
	}
	c.Acc = acc.Dec()
	c.AccRemainder = rem.Dec()
	c.Unallocated = "0"
	c.Distributed = addU256(c.Distributed, "distributed", x)
	return nil
}

// SettleRevenue pays amount ulaz from payer into Escrow, once, and
// distributes it over the class's lineage: each parent p receives
// amount·split_bps/10000 (floored), which it distributes the same way to
// its own parents; what is left is credited to the class's holders. The
// sum of every class's distributed grows by exactly amount. The cost is
// O(lineage_paths), independent of the number of holders.
func (k *Keeper) SettleRevenue(ctx *chain.Context, payer tx.Address, class uint64, amount uint64) error {
	if amount == 0 {
		return ErrInvalidAmount.Wrapf("revenue for class %d must be greater than zero", class)
	}
	if _, err := k.Class(ctx, class); err != nil {
		return err
	}
	if err := k.Bank.Send(ctx, payer, Escrow, amount); err != nil {
		return err
	}
	return k.distribute(ctx, payer, class, class, amount)
}

// distribute credits amount to class and, by their splits, its ancestors.
// The depth of the recursion is bounded by the class's depth (≤ MaxDepth).
func (k *Keeper) distribute(ctx *chain.Context, payer tx.Address, source, id, amount uint64) error {
	c := k.mustClass(ctx, id)
	parts := make([]uint64, len(c.Parents))
	var sum uint64
	for i, p := range c.Parents {
		parts[i] = accum.MulBps(amount, p.SplitBps)
		sum += parts[i] // Σ split_bps ≤ 10000, so Σ parts ≤ amount
	}
	own := amount - sum
	c.Revenue = addU256(c.Revenue, "revenue", amount)
	if err := creditHolders(c, own); err != nil {
		return err
	}
	k.setClass(ctx, c)
	ctx.Emit(chain.Event("dat_revenue",
		chain.Indexed("class", strconv.FormatUint(id, 10)),
		chain.Indexed("source", strconv.FormatUint(source, 10)),
		chain.Indexed("payer", payer.String()),
		chain.Attr("amount", tx.FormatBaseUnits(amount)),
		chain.Attr("holders", tx.FormatBaseUnits(own))))
	for i, p := range c.Parents {
		if parts[i] == 0 {
			continue
		}
		if err := k.distribute(ctx, payer, source, p.Class, parts[i]); err != nil {
			return err
		}
	}
	return nil
}

// Pending is what the token's owner could claim now, in ulaz.
func (k *Keeper) Pending(ctx *chain.Context, tok uint64) (uint64, error) {
	t, err := k.Token(ctx, tok)
	if err != nil {
		return 0, err
	}
	return pendingOf(t, classAcc(k.mustClass(ctx, t.Class))), nil
}

// takePending empties a token's pending revenue into the totals and
// returns it: owed keeps the sub-ulaz rest, claimed grows on the token and
// the class. The caller pays the owner and saves both records.
func takePending(t *Token, c *Class) uint64 {
	acc := classAcc(c)
	sp := scaledPending(t, acc)
	p := new(uint256.Int).Div(sp, scale)
	if !p.IsUint64() {
		panic(fmt.Sprintf("dat: broken invariant: token %d has %s ulaz pending", t.Id, p.Dec()))
	}
	if p.IsZero() {
		return 0
	}
	t.Owed = sp.Sub(sp, new(uint256.Int).Mul(p, scale)).Dec()
	resetDebt(t, acc)
	t.Claimed = addU256(t.Claimed, "token claimed", p.Uint64())
	c.Claimed = addU256(c.Claimed, "class claimed", p.Uint64())
	return p.Uint64()
}

func (k *Keeper) execClaim(ctx *chain.Context, msg *MsgClaim) error {
	signer, err := parseAddr("from", msg.From)
	if err != nil {
		return err
	}
	t, err := k.Token(ctx, msg.Token)
	if err != nil {
		return err
	}
	if o := owner(t); o != signer {
		return ErrNotOwner.Wrapf("%s does not own token %d; its owner is %s", signer, t.Id, o)
	}
	c := k.mustClass(ctx, t.Class)
	p := takePending(t, c)
	if p == 0 {
		return ErrNothingToClaim.Wrapf("token %d has less than 1 ulaz of revenue pending", t.Id)
	}
	k.setToken(ctx, t)
	k.setClass(ctx, c)
	if err := k.Bank.Send(ctx, Escrow, signer, p); err != nil {
		return err
	}
	ctx.Emit(chain.Event("dat_claim",
		chain.Indexed("token", strconv.FormatUint(t.Id, 10)),
		chain.Indexed("class", strconv.FormatUint(t.Class, 10)),
		chain.Indexed("owner", signer.String()),
		chain.Attr("amount", tx.FormatBaseUnits(p))))
	return nil
}

// execClaimAll claims every token of the signer with something pending, in
// token id order, and pays the sum in one transfer. Tokens with nothing
// pending are skipped; with nothing at all it succeeds with total 0.
func (k *Keeper) execClaimAll(ctx *chain.Context, msg *MsgClaimAll) error {
	signer, err := parseAddr("from", msg.From)
	if err != nil {
		return err
	}
	var total uint64
	var claimed int
	for _, id := range store.IDsUnder(k.kv(ctx), key(ownerPrefix, signer[:])) {
		t, err := k.Token(ctx, id)
		if err != nil {
			panic(fmt.Sprintf("dat: broken invariant: owner index names %v", err))
		}
		c := k.mustClass(ctx, t.Class)
		p := takePending(t, c)
		if p == 0 {
			continue
		}
		if total+p < total {
			// Impossible while Escrow holds every unclaimed ulaz in 64 bits.
			panic("dat: claims overflow 64 bits")
		}
		total += p
		claimed++
		k.setToken(ctx, t)
		k.setClass(ctx, c)
		ctx.Emit(chain.Event("dat_claim",
			chain.Indexed("token", strconv.FormatUint(t.Id, 10)),
			chain.Indexed("class", strconv.FormatUint(t.Class, 10)),
			chain.Indexed("owner", signer.String()),
			chain.Attr("amount", tx.FormatBaseUnits(p))))
	}
	if total > 0 {
		if err := k.Bank.Send(ctx, Escrow, signer, total); err != nil {
			return err
		}
	}
	ctx.Emit(chain.Event("dat_claim_all",
		chain.Indexed("owner", signer.String()),
		chain.Attr("tokens", strconv.Itoa(claimed)),
		chain.Attr("total", tx.FormatBaseUnits(total))))
	return nil
}

// parseRevenue reads a revenue amount from a message, as the bank reads
// amounts: a decimal integer of ulaz, greater than zero.
func parseRevenue(s string) (uint64, error) {
	v, err := tx.ParseBaseUnits(s)
	if err != nil {
		if errors.Is(err, tx.ErrOverflow) {
			return 0, ErrOverflow.Wrap(err.Error())
		}
		return 0, ErrInvalidAmount.Wrap(err.Error())
	}
	if v == 0 {
		return 0, ErrInvalidAmount.Wrap("amount must be greater than zero")
	}
	return v, nil
}

func (k *Keeper) execSettleRevenue(ctx *chain.Context, msg *MsgSettleRevenue) error {
	signer, err := parseAddr("from", msg.From)
	if err != nil {
		return err
	}
	amount, err := parseRevenue(msg.Amount)
	if err != nil {
		return err
	}
	if _, err := k.Class(ctx, msg.Class); err != nil {
		return err
	}
	if have := k.Bank.Balance(ctx, signer); have < amount {
		return ErrInsufficientFunds.Wrapf("%s has %d ulaz and cannot settle %d ulaz into class %d", signer, have, amount, msg.Class)
	}
	return k.SettleRevenue(ctx, signer, msg.Class, amount)
}
