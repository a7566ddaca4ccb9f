package staking

import (
	"encoding/base64"
	"errors"
	"strconv"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/store"
	"github.com/lazchain/lazchain/tx"
)

// parseAmount reads an amount of ulaz from a message field: a decimal
// integer, greater than zero.
func parseAmount(field, s string) (uint64, error) {
	v, err := tx.ParseBaseUnits(s)
	if err != nil {
		if errors.Is(err, tx.ErrOverflow) {
			return 0, ErrOverflow.Wrapf("%s: %v", field, err)
		}
		return 0, ErrInvalidAmount.Wrapf("%s: %v", field, err)
	}
	if v == 0 {
		return 0, ErrInvalidAmount.Wrapf("%s must be greater than zero", field)
	}
	return v, nil
}

// ParsePubKey reads a consensus key as CometBFT's priv_validator_key.json
// shows it: 32 bytes of ed25519 key in standard base64.
func ParsePubKey(s string) ([]byte, error) {
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, ErrInvalidPubKey.Wrapf("consensus_pubkey %q is not standard base64: copy pub_key.value from priv_validator_key.json", s)
	}
	if len(b) != 32 {
		return nil, ErrInvalidPubKey.Wrapf("consensus_pubkey is %d bytes; an ed25519 key is 32: copy pub_key.value from priv_validator_key.json", len(b))
	}
	return b, nil
}

// CreateValidator makes iDAO id a validator with consensus key pubkey,
// from bonding selfBond ulaz; the checks of MsgCreateValidator. A refusal
// changes nothing.
func (k *Keeper) CreateValidator(ctx *chain.Context, from tx.Address, id uint64, pubkey []byte, selfBond uint64) error {
	p := k.Params(ctx)
	if _, err := k.IDAO.Get(ctx, id); err != nil {
		return ErrNotFound.Wrapf("iDAO %d does not exist: create it first (%v)", id, err)
	}
	if !k.IDAO.HasRole(ctx, id, from, roleValidator) {
		return ErrUnauthorized.Wrapf("%s does not hold the %q role in iDAO %d: ask the iDAO to grant it", from, roleValidator, id)
	}
	kv := k.kv(ctx)
	if kv.Has(validatorKey(id)) {
		return ErrValidatorExists.Wrapf("iDAO %d already has a validator: bond to it with MsgBond instead", id)
	}
	if len(pubkey) != 32 {
		return ErrInvalidPubKey.Wrapf("the consensus key is %d bytes; an ed25519 key is 32", len(pubkey))
	}
	addr := ConsensusAddress(pubkey)
	if b := kv.Get(consAddrKey(addr)); b != nil {
		return ErrPubKeyTaken.Wrapf("the consensus key is already the key of validator %s: generate a new one for this node", strconv.FormatUint(decodeID(b), 10))
	}
	if selfBond < p.MinSelfBond {
		return ErrSelfBondTooLow.Wrapf("a self-bond of %d ulaz is below the minimum of %d ulaz: bond at least that", selfBond, p.MinSelfBond)
	}
	v := &Validator{
		Idao: id, ConsensusPubkey: append([]byte(nil), pubkey...), Creator: from.String(),
		CreatedHeight: ctx.Height, Acc: "0", AccRemainder: "0",
	}
	if _, err := k.checkDelegate(ctx, v, from, selfBond); err != nil {
		return err
	}
	kv.Set(consAddrKey(addr), be(id))
	k.setValidator(ctx, p, v)
	ctx.Emit(chain.Event("staking_validator",
		chain.Indexed("idao", strconv.FormatUint(id, 10)),
		chain.Indexed("delegator", from.String()),
		chain.Attr("action", "create"),
		chain.Attr("consensus_pubkey", base64.StdEncoding.EncodeToString(pubkey)),
		chain.Attr("self_bond", tx.FormatBaseUnits(selfBond))))
	return k.delegate(ctx, p, v, from, selfBond, true)
}

func (k *Keeper) execCreateValidator(ctx *chain.Context, msg *MsgCreateValidator) error {
	from, err := parseAddr("from", msg.From)
	if err != nil {
		return err
	}
	pk, err := ParsePubKey(msg.ConsensusPubkey)
	if err != nil {
		return err
	}
	amount, err := parseAmount("self_bond", msg.SelfBond)
	if err != nil {
		return err
	}
	return k.CreateValidator(ctx, from, msg.Idao, pk, amount)
}

func (k *Keeper) execDelegate(ctx *chain.Context, msg *MsgDelegate) error {
	from, err := parseAddr("from", msg.From)
	if err != nil {
		return err
	}
	amount, err := parseAmount("amount", msg.Amount)
	if err != nil {
		return err
	}
	v, err := k.getValidator(ctx, msg.Idao)
	if err != nil {
		return err
	}
	return k.delegate(ctx, k.Params(ctx), v, from, amount, false)
}

func (k *Keeper) execBond(ctx *chain.Context, msg *MsgBond) error {
	from, err := parseAddr("from", msg.From)
	if err != nil {
		return err
	}
	amount, err := parseAmount("amount", msg.Amount)
	if err != nil {
		return err
	}
	v, err := k.getValidator(ctx, msg.Idao)
	if err != nil {
		return err
	}
	if !k.IDAO.HasRole(ctx, msg.Idao, from, roleValidator) {
		return ErrUnauthorized.Wrapf("%s does not hold the %q role in iDAO %d: use MsgDelegate instead", from, roleValidator, msg.Idao)
	}
	return k.delegate(ctx, k.Params(ctx), v, from, amount, true)
}

func (k *Keeper) execUndelegate(ctx *chain.Context, msg *MsgUndelegate) error {
	from, err := parseAddr("from", msg.From)
	if err != nil {
		return err
	}
	amount, err := parseAmount("amount", msg.Amount)
	if err != nil {
		return err
	}
	return k.undelegate(ctx, msg.Idao, from, amount, false)
}

func (k *Keeper) execUnbond(ctx *chain.Context, msg *MsgUnbond) error {
	from, err := parseAddr("from", msg.From)
	if err != nil {
		return err
	}
	amount, err := parseAmount("amount", msg.Amount)
	if err != nil {
		return err
	}
	return k.undelegate(ctx, msg.Idao, from, amount, true)
}

func (k *Keeper) execUnjail(ctx *chain.Context, msg *MsgUnjail) error {
	from, err := parseAddr("from", msg.From)
	if err != nil {
		return err
	}
	return k.unjail(ctx, from, msg.Idao)
}

func (k *Keeper) execWithdrawRewards(ctx *chain.Context, msg *MsgWithdrawRewards) error {
	from, err := parseAddr("from", msg.From)
	if err != nil {
		return err
	}
	v, err := k.getValidator(ctx, msg.Idao)
	if err != nil {
		return err
	}
	d, ok := k.getDelegation(ctx, msg.Idao, from)
	if !ok {
		return ErrNoDelegation.Wrapf("%s has no delegation to validator %d: nothing to withdraw", from, msg.Idao)
	}
	if pendingOf(d, v) == 0 {
		return ErrNothingToWithdraw.Wrapf("%s has less than 1 ulaz of rewards pending from validator %d: wait for more blocks", from, msg.Idao)
	}
	if _, err := k.payRewards(ctx, d, v, from); err != nil {
		return err
	}
	k.setDelegation(ctx, from, d)
	return nil
}

// decodeID reads a stored 8-byte id.
func decodeID(b []byte) uint64 { return store.DecodeUint64(b) }
