package staking

import (
	"encoding/base64"
	"encoding/json"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/store"
	"github.com/lazchain/lazchain/tx"
)

// Module is the staking module as the application assembles it.
type Module struct {
	Keeper *Keeper
}

var (
	_ chain.Module          = Module{}
	_ chain.BeginBlocker    = Module{}
	_ chain.EndBlocker      = Module{}
	_ chain.ValidatorSetter = Module{}
)

// Name is the module's name.
func (Module) Name() string { return Name }

// Handlers are the module's messages.
func (m Module) Handlers() []chain.Handler {
	k := m.Keeper
	return []chain.Handler{
		chain.Handle(k.execCreateValidator),
		chain.Handle(k.execDelegate),
		chain.Handle(k.execBond),
		chain.Handle(k.execUndelegate),
		chain.Handle(k.execUnbond),
		chain.Handle(k.execUnjail),
		chain.Handle(k.execWithdrawRewards),
	}
}

// BeginBlock slashes and jails for the block's evidence of double signing
// and for downtime seen in its LastCommit, then moves the fee collector's
// balance into RewardsEscrow and splits it among the previous block's
// signers (see rewards.go).
func (m Module) BeginBlock(ctx *chain.Context) error { return m.Keeper.beginBlock(ctx) }

// EndBlock pays out the unbonding entries whose completion height is
// reached.
func (m Module) EndBlock(ctx *chain.Context) error { return m.Keeper.completeUnbondings(ctx) }

// Genesis is the module's genesis section. Params absent from it keep
// their defaults.
type Genesis struct {
	Params     GenesisParams      `json:"params"`
	Validators []GenesisValidator `json:"validators"`
}

// GenesisParams are the parameters as genesis gives them (see Params).
type GenesisParams struct {
	MaxValidators      uint32 `json:"max_validators"`
	EpochBlocks        uint64 `json:"epoch_blocks"`
	UnbondingBlocks    uint64 `json:"unbonding_blocks"`
	DoubleSignSlashBps uint32 `json:"double_sign_slash_bps"`
	DowntimeSlashBps   uint32 `json:"downtime_slash_bps"`
	DowntimeWindow     uint32 `json:"downtime_window"`
	MaxMissed          uint32 `json:"max_missed"`
	JailBlocks         uint64 `json:"jail_blocks"`
	PowerReduction     uint64 `json:"power_reduction"`
	MinSelfBond        uint64 `json:"min_self_bond"`
	CommissionBps      uint32 `json:"commission_bps"`
}

func genesisParams(p *Params) GenesisParams {
	return GenesisParams{
		MaxValidators: p.MaxValidators, EpochBlocks: p.EpochBlocks, UnbondingBlocks: p.UnbondingBlocks,
		DoubleSignSlashBps: p.DoubleSignSlashBps, DowntimeSlashBps: p.DowntimeSlashBps,
		DowntimeWindow: p.DowntimeWindow, MaxMissed: p.MaxMissed, JailBlocks: p.JailBlocks,
		PowerReduction: p.PowerReduction, MinSelfBond: p.MinSelfBond, CommissionBps: p.CommissionBps,
	}
}

func (g GenesisParams) params() *Params {
	return &Params{
		MaxValidators: g.MaxValidators, EpochBlocks: g.EpochBlocks, UnbondingBlocks: g.UnbondingBlocks,
		DoubleSignSlashBps: g.DoubleSignSlashBps, DowntimeSlashBps: g.DowntimeSlashBps,
		DowntimeWindow: g.DowntimeWindow, MaxMissed: g.MaxMissed, JailBlocks: g.JailBlocks,
		PowerReduction: g.PowerReduction, MinSelfBond: g.MinSelfBond, CommissionBps: g.CommissionBps,
	}
}

// GenesisValidator is one validator of the genesis, created as
// MsgCreateValidator would be: delegator must hold the validator role in
// the iDAO and pays self_bond (decimal ulaz) from its genesis balance.
type GenesisValidator struct {
	IDAO            uint64 `json:"idao"`
	ConsensusPubkey string `json:"consensus_pubkey"`
	Delegator       string `json:"delegator"`
	SelfBond        string `json:"self_bond"`
}

// DefaultGenesis has the default parameters and no validators.
func (Module) DefaultGenesis() json.RawMessage {
	b, err := json.Marshal(Genesis{Params: genesisParams(DefaultParams()), Validators: []GenesisValidator{}})
	if err != nil {
		panic("staking: encode the default genesis: " + err.Error())
	}
	return b
}

// InitGenesis writes the parameters and creates the genesis validators
// through CreateValidator, so they pass every check a message would. The
// iDAOs must exist already (idao's genesis runs first) and the delegators
// be funded (bank's genesis runs first).
func (m Module) InitGenesis(ctx *chain.Context, raw json.RawMessage) error {
	k := m.Keeper
	g := Genesis{Params: genesisParams(DefaultParams())}
	if err := chain.DecodeJSON(raw, &g); err != nil {
		return ErrInvalidGenesis.Wrapf("staking genesis: %v", err)
	}
	if k.kv(ctx).Has(paramsKey) {
		return ErrInvalidGenesis.Wrap("staking genesis: the module already has state: genesis must start from an empty module")
	}
	if err := k.setParams(ctx, g.Params.params()); err != nil {
		return ErrInvalidGenesis.Wrapf("staking genesis: %v", err)
	}
	for i, gv := range g.Validators {
		from, err := tx.ParseAddress(gv.Delegator)
		if err != nil {
			return ErrInvalidGenesis.Wrapf("staking genesis: validator %d (iDAO %d): delegator: %v", i, gv.IDAO, err)
		}
		pk, err := ParsePubKey(gv.ConsensusPubkey)
		if err != nil {
			return ErrInvalidGenesis.Wrapf("staking genesis: validator %d (iDAO %d): %v", i, gv.IDAO, err)
		}
		amount, err := parseAmount("self_bond", gv.SelfBond)
		if err != nil {
			return ErrInvalidGenesis.Wrapf("staking genesis: validator %d (iDAO %d): %v", i, gv.IDAO, err)
		}
		if err := k.CreateValidator(ctx, from, gv.IDAO, pk, amount); err != nil {
			return ErrInvalidGenesis.Wrapf("staking genesis: validator %d (iDAO %d): %v", i, gv.IDAO, err)
		}
	}
	return nil
}

// ExportGenesis writes the parameters and, in iDAO order, every validator
// whose creator still holds a self-bond of at least min_self_bond, with
// that self-bond's current worth. Not exported: other delegations and
// self-bonds, unbonding entries, pending rewards and the carry, jail
// state, missed-block rings, slash counts and the set last handed to
// CometBFT. Their ulaz stay in the bank's export as balances of
// BondedEscrow, RewardsEscrow and SlashedAccount, so a chain started from
// both exports must move those balances back to their owners first.
func (m Module) ExportGenesis(ctx *chain.Context) (json.RawMessage, error) {
	k := m.Keeper
	p := k.Params(ctx)
	g := Genesis{Params: genesisParams(p), Validators: []GenesisValidator{}}
	store.Each(k.kv(ctx), validatorPrefix, store.PrefixEnd(validatorPrefix), func(_, b []byte) bool {
		v := &Validator{}
		chain.DecodeRecord(b, v)
		creator, err := tx.ParseAddress(v.Creator)
		if err != nil {
			return true
		}
		d, ok := k.getDelegation(ctx, v.Idao, creator)
		if !ok || !d.Self {
			return true
		}
		worth := tokensOf(v, d.Shares)
		if worth < p.MinSelfBond {
			return true
		}
		g.Validators = append(g.Validators, GenesisValidator{
			IDAO: v.Idao, ConsensusPubkey: base64.StdEncoding.EncodeToString(v.ConsensusPubkey),
			Delegator: v.Creator, SelfBond: tx.FormatBaseUnits(worth),
		})
		return true
	})
	return json.Marshal(g)
}
