package dat

import (
	"fmt"
	"math"
	"strconv"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/store"
	"github.com/lazchain/lazchain/tx"
)

// MaxMerge is the most tokens one merge folds into its target.
const MaxMerge = 32

// addIndexes writes a token's owner, class and expiry index entries.
func (k *Keeper) addIndexes(ctx *chain.Context, t *Token) {
	kv := k.kv(ctx)
	kv.Set(ownerKey(owner(t), t.Id), present)
	kv.Set(classTokenKey(t.Class, t.Id), present)
	if t.ExpireAtHeight != 0 {
		kv.Set(expHeightKey(t.ExpireAtHeight, t.Id), present)
	}
	if t.ExpireAtTime != 0 {
		kv.Set(expTimeKey(t.ExpireAtTime, t.Id), present)
	}
}

// deleteToken removes a token with every entry that names it: indexes,
// expiry queue entries, allowances and usage counters.
func (k *Keeper) deleteToken(ctx *chain.Context, t *Token) {
	kv := k.kv(ctx)
	kv.Delete(tokenKey(t.Id))
	kv.Delete(ownerKey(owner(t), t.Id))
	kv.Delete(classTokenKey(t.Class, t.Id))
	k.dropExpiryEntries(ctx, t)
	for _, key := range keys(kv, key(allowPrefix, be(t.Id))) {
		kv.Delete(key)
	}
	for _, key := range keys(kv, key(usagePrefix, be(t.Id))) {
		kv.Delete(key)
	}
}

func (k *Keeper) dropExpiryEntries(ctx *chain.Context, t *Token) {
	kv := k.kv(ctx)
	if t.ExpireAtHeight != 0 {
		kv.Delete(expHeightKey(t.ExpireAtHeight, t.Id))
	}
	if t.ExpireAtTime != 0 {
		kv.Delete(expTimeKey(t.ExpireAtTime, t.Id))
	}
}

// Mint creates a token of class for to and returns its id. It checks
// everything except the signer's authority: callers check that (the
// message handler requires an admin of the class's iDAO).
func (k *Keeper) Mint(ctx *chain.Context, class uint64, to tx.Address, value, shareRatio, expireAtHeight uint64, expireAtTime int64) (uint64, error) {
	c, err := k.Class(ctx, class)
	if err != nil {
		return 0, err
	}
	if value == 0 && shareRatio == 0 {
		return 0, ErrInvalidToken.Wrapf("a token of class %d needs a value or a share ratio (both are 0)", class)
	}
	if expireAtHeight != 0 && expireAtHeight <= uint64(max(ctx.Height, 0)) {
		return 0, ErrInvalidExpiry.Wrapf("expire_at_height %d is not after the current height %d", expireAtHeight, ctx.Height)
	}
	if expireAtTime < 0 {
		return 0, ErrInvalidExpiry.Wrapf("expire_at_time %d is negative; want 0 (none) or unix seconds", expireAtTime)
	}
	if expireAtTime != 0 && expireAtTime <= ctx.Time.Unix() {
		return 0, ErrInvalidExpiry.Wrapf("expire_at_time %d is not after the current block time %d", expireAtTime, ctx.Time.Unix())
	}
	if c.TotalShare > math.MaxUint64-shareRatio {
		return 0, ErrOverflow.Wrapf("class %d: total share %d + %d overflows 64 bits", class, c.TotalShare, shareRatio)
	}
	if c.TotalValue > math.MaxUint64-value {
		return 0, ErrOverflow.Wrapf("class %d: total value %d + %d overflows 64 bits", class, c.TotalValue, value)
	}
	id := chain.NextID(k.kv(ctx), seqTokenKey)
	t := &Token{
		Id: id, Class: class, Owner: to.String(), Value: value, ShareRatio: shareRatio,
		ExpireAtHeight: expireAtHeight, ExpireAtTime: expireAtTime,
		RewardDebt: mulShare(shareRatio, classAcc(c)).Dec(), Owed: "0", Claimed: "0",
		MintedHeight: ctx.Height,
	}
	c.TotalShare += shareRatio
	c.TotalValue += value
	c.Tokens++
	k.setClass(ctx, c)
	k.setToken(ctx, t)
	k.addIndexes(ctx, t)
	ctx.Emit(chain.Event("dat_mint",
		chain.Indexed("class", strconv.FormatUint(class, 10)),
		chain.Indexed("token", strconv.FormatUint(id, 10)),
		chain.Indexed("owner", t.Owner),
		chain.Attr("value", strconv.FormatUint(value, 10)),
		chain.Attr("share_ratio", strconv.FormatUint(shareRatio, 10)),
		chain.Attr("expire_at_height", strconv.FormatUint(expireAtHeight, 10)),
		chain.Attr("expire_at_time", strconv.FormatInt(expireAtTime, 10))))
	return id, nil
}

func (k *Keeper) execMint(ctx *chain.Context, msg *MsgMint) error {
	signer, err := parseAddr("from", msg.From)
	if err != nil {
		return err
	}
	c, err := k.Class(ctx, msg.Class)
	if err != nil {
		return err
	}
	if err := k.requireAdmin(ctx, signer, c.Idao, fmt.Sprintf("mint tokens of class %d", c.Id)); err != nil {
		return err
	}
	if err := refuseModuleMinted(c, "mint tokens of"); err != nil {
		return err
	}
	to, err := parseAddr("to", msg.To)
	if err != nil {
		return err
	}
	_, err = k.Mint(ctx, msg.Class, to, msg.Value, msg.ShareRatio, msg.ExpireAtHeight, msg.ExpireAtTime)
	return err
}

// requireOwnerOrOperator checks that signer may move or reshape token t.
func (k *Keeper) requireOwnerOrOperator(ctx *chain.Context, signer tx.Address, t *Token, action string) error {
	o := owner(t)
	if signer == o || k.isOperator(ctx, o, t.Class, signer) {
		return nil
	}
	return ErrUnauthorized.Wrapf("%s may not %s token %d: only its owner %s or an operator it approved for class %d may",
		signer, action, t.Id, o, t.Class)
}

func (k *Keeper) execTransferValue(ctx *chain.Context, msg *MsgTransferValue) error {
	signer, err := parseAddr("from", msg.From)
	if err != nil {
		return err
	}
	if msg.FromToken == msg.ToToken {
		return ErrInvalidToken.Wrapf("cannot move value from token %d to itself", msg.FromToken)
	}
	from, err := k.Token(ctx, msg.FromToken)
	if err != nil {
		return err
	}
	to, err := k.Token(ctx, msg.ToToken)
	if err != nil {
		return err
	}
	if from.Class != to.Class {
		return ErrClassMismatch.Wrapf("token %d is of class %d, token %d of class %d", from.Id, from.Class, to.Id, to.Class)
	}
	if err := checkLive(ctx, from); err != nil {
		return err
	}
	if err := checkLive(ctx, to); err != nil {
		return err
	}
	if msg.Value == 0 {
		return ErrInvalidAmount.Wrap("value to move must be greater than zero")
	}
	if msg.Value > from.Value {
		return ErrInsufficientValue.Wrapf("token %d holds %d units; cannot move %d", from.Id, from.Value, msg.Value)
	}
	// to.Value + msg.Value cannot overflow: both are part of the class's
	// total_value, a uint64.
	o := owner(from)
	if signer != o && !k.isOperator(ctx, o, from.Class, signer) {
		allowed := k.allowance(ctx, from.Id, signer)
		if allowed < msg.Value {
			return ErrUnauthorized.Wrapf("%s may not move %d units of token %d: it is not the owner %s nor an operator for class %d, and its allowance is %d",
				signer, msg.Value, from.Id, o, from.Class, allowed)
		}
		k.setAllowance(ctx, from.Id, signer, allowed-msg.Value)
	}
	from.Value -= msg.Value
	to.Value += msg.Value
	k.setToken(ctx, from)
	k.setToken(ctx, to)
	ctx.Emit(chain.Event("dat_transfer_value",
		chain.Indexed("class", strconv.FormatUint(from.Class, 10)),
		chain.Indexed("from_token", strconv.FormatUint(from.Id, 10)),
		chain.Indexed("to_token", strconv.FormatUint(to.Id, 10)),
		chain.Indexed("sender", signer.String()),
		chain.Attr("value", strconv.FormatUint(msg.Value, 10))))
	return nil
}

// execTransfer gives a whole token to another account. Its pending revenue
// (owed and share·acc − reward_debt) goes with it: the new owner claims it.
// Value allowances on the token are cleared.
func (k *Keeper) execTransfer(ctx *chain.Context, msg *MsgTransfer) error {
	signer, err := parseAddr("from", msg.From)
	if err != nil {
		return err
	}
	t, err := k.Token(ctx, msg.Token)
	if err != nil {
		return err
	}
	to, err := parseAddr("to", msg.To)
	if err != nil {
		return err
	}
	if err := checkLive(ctx, t); err != nil {
		return err
	}
	if err := k.requireOwnerOrOperator(ctx, signer, t, "transfer"); err != nil {
		return err
	}
	prev := owner(t)
	if to == prev {
		return ErrInvalidAddress.Wrapf("token %d already belongs to %s", t.Id, to)
	}
	kv := k.kv(ctx)
	for _, key := range keys(kv, key(allowPrefix, be(t.Id))) {
		kv.Delete(key)
	}
	kv.Delete(ownerKey(prev, t.Id))
	t.Owner = to.String()
	kv.Set(ownerKey(to, t.Id), present)
	k.setToken(ctx, t)
	ctx.Emit(chain.Event("dat_transfer",
		chain.Indexed("token", strconv.FormatUint(t.Id, 10)),
		chain.Indexed("class", strconv.FormatUint(t.Class, 10)),
		chain.Indexed("sender", prev.String()),
		chain.Indexed("recipient", t.Owner),
		chain.Indexed("operator", signer.String())))
	return nil
}

func (k *Keeper) execSplit(ctx *chain.Context, msg *MsgSplit) error {
	signer, err := parseAddr("from", msg.From)
	if err != nil {
		return err
	}
	t, err := k.Token(ctx, msg.Token)
	if err != nil {
		return err
	}
	if err := checkLive(ctx, t); err != nil {
		return err
	}
	if err := k.requireOwnerOrOperator(ctx, signer, t, "split"); err != nil {
		return err
	}
	if msg.Value > t.Value {
		return ErrInsufficientValue.Wrapf("token %d holds %d units; cannot split off %d", t.Id, t.Value, msg.Value)
	}
	if msg.ShareRatio > t.ShareRatio {
		return ErrInsufficientValue.Wrapf("token %d has share ratio %d; cannot split off %d", t.Id, t.ShareRatio, msg.ShareRatio)
	}
	if msg.Value == 0 && msg.ShareRatio == 0 {
		return ErrInvalidToken.Wrapf("split of token %d would create an empty token (value and share ratio 0)", t.Id)
	}
	if msg.Value == t.Value && msg.ShareRatio == t.ShareRatio {
		return ErrInvalidToken.Wrapf("split of token %d would leave it empty: transfer it instead", t.Id)
	}
	c := k.mustClass(ctx, t.Class)
	acc := classAcc(c)
	accrue(t, acc)
	t.Value -= msg.Value
	t.ShareRatio -= msg.ShareRatio
	resetDebt(t, acc)
	id := chain.NextID(k.kv(ctx), seqTokenKey)
	n := &Token{
		Id: id, Class: t.Class, Owner: t.Owner, Value: msg.Value, ShareRatio: msg.ShareRatio,
		ExpireAtHeight: t.ExpireAtHeight, ExpireAtTime: t.ExpireAtTime,
		RewardDebt: mulShare(msg.ShareRatio, acc).Dec(), Owed: "0", Claimed: "0",
		MintedHeight: ctx.Height,
	}
	c.Tokens++
	k.setClass(ctx, c)
	k.setToken(ctx, t)
	k.setToken(ctx, n)
	k.addIndexes(ctx, n)
	ctx.Emit(chain.Event("dat_split",
		chain.Indexed("token", strconv.FormatUint(t.Id, 10)),
		chain.Indexed("new_token", strconv.FormatUint(id, 10)),
		chain.Indexed("class", strconv.FormatUint(t.Class, 10)),
		chain.Indexed("owner", t.Owner),
		chain.Attr("value", strconv.FormatUint(msg.Value, 10)),
		chain.Attr("share_ratio", strconv.FormatUint(msg.ShareRatio, 10))))
	return nil
}

func (k *Keeper) execMerge(ctx *chain.Context, msg *MsgMerge) error {
	signer, err := parseAddr("from", msg.From)
	if err != nil {
		return err
	}
	if n := len(msg.Tokens); n == 0 || n > MaxMerge {
		return ErrInvalidToken.Wrapf("merge names %d tokens, want 1 to %d", n, MaxMerge)
	}
	into, err := k.Token(ctx, msg.Into)
	if err != nil {
		return err
	}
	if err := checkLive(ctx, into); err != nil {
		return err
	}
	srcs := make([]*Token, 0, len(msg.Tokens))
	value, share := into.Value, into.ShareRatio
	for i, id := range msg.Tokens {
		if id == msg.Into {
			return ErrInvalidToken.Wrapf("token %d cannot be merged into itself", id)
		}
		for _, prev := range msg.Tokens[:i] {
			if prev == id {
				return ErrInvalidToken.Wrapf("token %d is listed twice", id)
			}
		}
		t, err := k.Token(ctx, id)
		if err != nil {
			return err
		}
		if t.Class != into.Class {
			return ErrClassMismatch.Wrapf("token %d is of class %d, token %d of class %d", t.Id, t.Class, into.Id, into.Class)
		}
		if t.Owner != into.Owner {
			return ErrInvalidToken.Wrapf("token %d belongs to %s, token %d to %s: only tokens of one owner merge", t.Id, t.Owner, into.Id, into.Owner)
		}
		if t.ExpireAtHeight != into.ExpireAtHeight || t.ExpireAtTime != into.ExpireAtTime {
			return ErrInvalidToken.Wrapf("token %d expires at height %d / time %d, token %d at height %d / time %d: only tokens with the same expiry merge",
				t.Id, t.ExpireAtHeight, t.ExpireAtTime, into.Id, into.ExpireAtHeight, into.ExpireAtTime)
		}
		if err := checkLive(ctx, t); err != nil {
			return err
		}
		if value > math.MaxUint64-t.Value || share > math.MaxUint64-t.ShareRatio {
			return ErrOverflow.Wrapf("merging token %d into token %d overflows its value or share ratio", t.Id, into.Id)
		}
		value += t.Value
		share += t.ShareRatio
		srcs = append(srcs, t)
	}
	if err := k.requireOwnerOrOperator(ctx, signer, into, "merge into"); err != nil {
		return err
	}
	c := k.mustClass(ctx, into.Class)
	acc := classAcc(c)
	accrue(into, acc)
	owed := u256(into.Owed, "owed")
	claimed := u256(into.Claimed, "claimed")
	kv := k.kv(ctx)
	for _, t := range srcs {
		owed.Add(owed, scaledPending(t, acc))
		claimed.Add(claimed, u256(t.Claimed, "claimed"))
		// Usage history follows the value into the target.
		for _, uk := range keys(kv, key(usagePrefix, be(t.Id))) {
			metric := string(uk[len(usagePrefix)+8:])
			k.addUsage(ctx, into.Id, metric, store.DecodeUint64(kv.Get(uk)))
		}
		k.deleteToken(ctx, t)
		ctx.Emit(chain.Event("dat_merge",
			chain.Indexed("token", strconv.FormatUint(t.Id, 10)),
			chain.Indexed("into", strconv.FormatUint(into.Id, 10)),
			chain.Indexed("class", strconv.FormatUint(into.Class, 10)),
			chain.Indexed("owner", into.Owner),
			chain.Attr("value", strconv.FormatUint(t.Value, 10)),
			chain.Attr("share_ratio", strconv.FormatUint(t.ShareRatio, 10))))
	}
	into.Owed = owed.Dec()
	into.Claimed = claimed.Dec()
	into.Value, into.ShareRatio = value, share
	resetDebt(into, acc)
	c.Tokens -= uint64(len(srcs))
	k.setClass(ctx, c)
	k.setToken(ctx, into)
	return nil
}

// addUsage adds to a token's usage counter of a metric.
func (k *Keeper) addUsage(ctx *chain.Context, tok uint64, metric string, amount uint64) {
	kv := k.kv(ctx)
	var have uint64
	if b := kv.Get(usageKey(tok, metric)); b != nil {
		have = store.DecodeUint64(b)
	}
	if have > math.MaxUint64-amount {
		have = math.MaxUint64 // a counter, not an amount: saturate
	} else {
		have += amount
	}
	kv.Set(usageKey(tok, metric), be(have))
}

func (k *Keeper) execApproveForClass(ctx *chain.Context, msg *MsgApproveForClass) error {
	signer, err := parseAddr("from", msg.From)
	if err != nil {
		return err
	}
	op, err := parseAddr("operator", msg.Operator)
	if err != nil {
		return err
	}
	if op == signer {
		return ErrInvalidAddress.Wrapf("%s cannot approve itself as an operator", signer)
	}
	if _, err := k.Class(ctx, msg.Class); err != nil {
		return err
	}
	if msg.Approved {
		k.kv(ctx).Set(operatorKey(signer, msg.Class, op), present)
	} else {
		k.kv(ctx).Delete(operatorKey(signer, msg.Class, op))
	}
	ctx.Emit(chain.Event("dat_approval",
		chain.Indexed("owner", signer.String()),
		chain.Indexed("operator", op.String()),
		chain.Indexed("class", strconv.FormatUint(msg.Class, 10)),
		chain.Attr("approved", strconv.FormatBool(msg.Approved))))
	return nil
}

func (k *Keeper) execApproveValue(ctx *chain.Context, msg *MsgApproveValue) error {
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
	op, err := parseAddr("operator", msg.Operator)
	if err != nil {
		return err
	}
	if op == signer {
		return ErrInvalidAddress.Wrapf("%s cannot give itself an allowance on its own token %d", signer, t.Id)
	}
	k.setAllowance(ctx, t.Id, op, msg.Value)
	ctx.Emit(chain.Event("dat_approve_value",
		chain.Indexed("token", strconv.FormatUint(t.Id, 10)),
		chain.Indexed("owner", signer.String()),
		chain.Indexed("operator", op.String()),
		chain.Attr("value", strconv.FormatUint(msg.Value, 10))))
	return nil
}

// SetIntegrityHash records the commitment to the content a token anchors
// (flow sets it on the token it mints for a verified contribution).
func (k *Keeper) SetIntegrityHash(ctx *chain.Context, token uint64, hashHex string) error {
	h, ok := hex64(hashHex)
	if !ok {
		return ErrInvalidToken.Wrapf("integrity hash %q: want 64 hex digits", hashHex)
	}
	t, err := k.Token(ctx, token)
	if err != nil {
		return err
	}
	t.IntegrityHash = h
	k.setToken(ctx, t)
	return nil
}
