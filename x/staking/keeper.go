package staking

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/store"
	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/idao"
)

// Name is the module's name: its key prefix, codespace and genesis section.
const Name = "staking"

// The module's accounts, which no key controls.
var (
	// BondedEscrow holds the validators' tokens and the unbonding entries.
	BondedEscrow = tx.ModuleAddress("staking/bonded")
	// RewardsEscrow holds rewards not yet withdrawn and the remainders of
	// their split.
	RewardsEscrow = tx.ModuleAddress("staking/rewards")
	// SlashedAccount receives slashed tokens; nothing leaves it, so they
	// are burned from the stakers' point of view.
	SlashedAccount = tx.ModuleAddress("staking/slashed")
)

// BankKeeper is what staking needs of the bank: moving ulaz and reading a
// balance.
type BankKeeper interface {
	Send(ctx *chain.Context, from, to tx.Address, amount uint64) error
	Balance(ctx *chain.Context, a tx.Address) uint64
}

// IDAOKeeper is what staking needs of the idao module: that an iDAO exists,
// who holds its validator role, and its treasury.
type IDAOKeeper interface {
	Get(ctx *chain.Context, id uint64) (*idao.IDAO, error)
	HasRole(ctx *chain.Context, id uint64, a tx.Address, role string) bool
	Treasury(id uint64) tx.Address
}

// roleValidator is the iDAO role that may create, bond and unjail a
// validator (idao.RoleValidator).
const roleValidator = idao.RoleValidator

// Keeper executes the module's state transitions. It holds no state
// itself: everything lives under the module's store prefix.
type Keeper struct {
	Bank BankKeeper
	IDAO IDAOKeeper
}

func (k *Keeper) kv(ctx *chain.Context) store.KV { return ctx.Store(Name) }

// ConsensusAddress is CometBFT's address of an ed25519 consensus key: the
// first 20 bytes of its SHA-256.
func ConsensusAddress(pubkey []byte) []byte {
	h := sha256.Sum256(pubkey)
	return h[:20]
}

// getValidator reads a validator; ErrNotFound if the iDAO has none.
func (k *Keeper) getValidator(ctx *chain.Context, id uint64) (*Validator, error) {
	v := &Validator{}
	if !chain.LoadRecord(k.kv(ctx), validatorKey(id), v) {
		return nil, ErrNotFound.Wrapf("iDAO %d is not a validator: create one with MsgCreateValidator first", id)
	}
	return v, nil
}

// mustValidator reads a validator that the state says exists.
func (k *Keeper) mustValidator(ctx *chain.Context, id uint64) *Validator {
	v, err := k.getValidator(ctx, id)
	if err != nil {
		panic(fmt.Sprintf("staking: broken invariant: %v", err))
	}
	return v
}

// candidate says whether a validator belongs in the power index: not
// jailed and worth at least one unit of power.
func candidate(p *Params, v *Validator) bool {
	return !v.Jailed && v.Tokens >= p.PowerReduction
}

// setValidator writes a validator and keeps the power index and the
// bonded total in step with its tokens and jail state.
func (k *Keeper) setValidator(ctx *chain.Context, p *Params, v *Validator) {
	kv := k.kv(ctx)
	var oldTokens uint64
	old := &Validator{}
	if chain.LoadRecord(kv, validatorKey(v.Idao), old) {
		oldTokens = old.Tokens
		if candidate(p, old) && (!candidate(p, v) || old.Tokens != v.Tokens) {
			kv.Delete(powerKey(old.Tokens, old.Idao))
		}
	}
	if candidate(p, v) {
		kv.Set(powerKey(v.Tokens, v.Idao), present)
	}
	if oldTokens != v.Tokens {
		// The sum of all tokens is bounded by the supply, a uint64.
		kv.Set(bondedTotalKey, be(k.BondedTotal(ctx)-oldTokens+v.Tokens))
	}
	chain.SaveRecord(kv, validatorKey(v.Idao), v)
}

// getDelegation reads a delegation; false when there is none.
func (k *Keeper) getDelegation(ctx *chain.Context, id uint64, d tx.Address) (*Delegation, bool) {
	del := &Delegation{}
	if !chain.LoadRecord(k.kv(ctx), delegationKey(id, d), del) {
		return nil, false
	}
	return del, true
}

func (k *Keeper) setDelegation(ctx *chain.Context, d tx.Address, del *Delegation) {
	kv := k.kv(ctx)
	chain.SaveRecord(kv, delegationKey(del.Idao, d), del)
	kv.Set(delegatorKey(d, del.Idao), present)
}

func (k *Keeper) deleteDelegation(ctx *chain.Context, d tx.Address, id uint64) {
	kv := k.kv(ctx)
	kv.Delete(delegationKey(id, d))
	kv.Delete(delegatorKey(d, id))
}

// BondedTotal is the sum of every validator's tokens, in ulaz (unbonding
// entries not included).
func (k *Keeper) BondedTotal(ctx *chain.Context) uint64 {
	b := k.kv(ctx).Get(bondedTotalKey)
	if b == nil {
		return 0
	}
	return store.DecodeUint64(b)
}

// lastPower is a validator's power in the set last handed to CometBFT (0
// when not in it).
func (k *Keeper) lastPower(ctx *chain.Context, id uint64) int64 {
	b := k.kv(ctx).Get(lastSetKey(id))
	if b == nil {
		return 0
	}
	return int64(store.DecodeUint64(b))
}

// Power is a validator's power in the set last handed to CometBFT, 0 when
// it is not in it.
func (k *Keeper) Power(ctx *chain.Context, id uint64) int64 { return k.lastPower(ctx, id) }

// Missed is the number of blocks a validator missed in the downtime
// window.
func (k *Keeper) Missed(ctx *chain.Context, id uint64) uint32 {
	r := &MissedBlocks{}
	if !chain.LoadRecord(k.kv(ctx), missedKey(id), r) {
		return 0
	}
	return r.Missed
}

// tokensOf is what shares of a validator are worth: shares·tokens/total
// shares, floored.
func tokensOf(v *Validator, shares uint64) uint64 {
	if v.Shares == 0 {
		return 0
	}
	return mulDiv(shares, v.Tokens, v.Shares)
}

// SelfBond is the tokens of a validator's self-bonds, in ulaz.
func SelfBond(v *Validator) uint64 { return tokensOf(v, v.SelfShares) }

// info is a validator with what follows from the rest of the state.
func (k *Keeper) info(ctx *chain.Context, v *Validator) *ValidatorInfo {
	pw := k.lastPower(ctx, v.Idao)
	status := "unbonded"
	switch {
	case v.Jailed:
		status = "jailed"
	case pw > 0:
		status = "bonded"
	}
	return &ValidatorInfo{
		Validator: v, Status: status, Power: pw, Missed: k.Missed(ctx, v.Idao), SelfBond: SelfBond(v),
		ConsensusAddress: strings.ToUpper(hex.EncodeToString(ConsensusAddress(v.ConsensusPubkey))),
	}
}

// Validator is the validator of an iDAO with its status, power, missed
// blocks and self-bond; ErrNotFound if the iDAO is not a validator.
func (k *Keeper) Validator(ctx *chain.Context, id uint64) (*ValidatorInfo, error) {
	v, err := k.getValidator(ctx, id)
	if err != nil {
		return nil, err
	}
	return k.info(ctx, v), nil
}

// Validators lists every validator in iDAO order, as Validator describes
// them. It reads every validator: for metrics and tools, not for blocks.
func (k *Keeper) Validators(ctx *chain.Context) []*ValidatorInfo {
	var out []*ValidatorInfo
	store.Each(k.kv(ctx), validatorPrefix, store.PrefixEnd(validatorPrefix), func(_, b []byte) bool {
		v := &Validator{}
		chain.DecodeRecord(b, v)
		out = append(out, k.info(ctx, v))
		return true
	})
	return out
}

// Delegation reads a delegation; ErrNoDelegation if there is none.
func (k *Keeper) Delegation(ctx *chain.Context, delegator tx.Address, id uint64) (*Delegation, error) {
	d, ok := k.getDelegation(ctx, id, delegator)
	if !ok {
		return nil, ErrNoDelegation.Wrapf("%s has no delegation to validator %d", delegator, id)
	}
	return d, nil
}

// parseAddr reads an address from a message field, naming the field.
func parseAddr(field, s string) (tx.Address, error) {
	a, err := tx.ParseAddress(s)
	if err != nil {
		return a, ErrInvalidAddress.Wrapf("%s: %v", field, err)
	}
	return a, nil
}

// delegatorOf reads a stored delegation's delegator.
func delegatorOf(d *Delegation) tx.Address {
	a, err := tx.ParseAddress(d.Delegator)
	if err != nil {
		panic(fmt.Sprintf("staking: delegation to %d has a bad stored delegator: %v", d.Idao, err))
	}
	return a
}
