// Package staking is the staking module: LazChain's validators are iDAOs,
// bonded with LAZ by their members and by delegators, chosen into
// CometBFT's validator set by stake, slashed for double signing and
// downtime, and paid the chain's fees.
//
// A validator is created by a member holding the iDAO's "validator" role
// (MsgCreateValidator), with an ed25519 consensus key and a self-bond of
// at least min_self_bond. Anyone delegates to it (MsgDelegate); members
// with the role add to the self-bond (MsgBond). Stake is held as shares of
// the validator's tokens (Cosmos style), so a slash of the tokens is
// shared pro rata. MsgUndelegate and MsgUnbond move tokens out of the
// validator into an unbonding entry paid out by EndBlock unbonding_blocks
// later; until then a slash for an infraction older than the entry cuts it
// too. A self-bond unbonded below min_self_bond jails the validator.
//
// The set handed to CometBFT (ValidatorSetter) is the max_validators
// non-jailed validators with the most tokens, recomputed every
// epoch_blocks blocks; a validator jailed in a block leaves the set at the
// end of that block. No update ever empties the set.
//
// BeginBlock slashes and jails for duplicate-vote evidence and for
// downtime (more than max_missed missed of the last downtime_window
// blocks, counted in a bitmap ring per validator), then moves the fee
// collector's balance into RewardsEscrow and splits it among the previous
// block's signers by power: commission_bps to the iDAO's treasury, the
// rest into a per-share accumulator from which delegators withdraw
// (MsgWithdrawRewards). Rounding remainders are carried, never lost: see
// rewards.go for the exact rules. MsgUnjail returns a jailed validator to
// the candidates once its jail period is over.
//
// Keys, under the module's "staking/" prefix (ids and heights 8-byte
// big-endian, addresses 20 bytes):
//
//	params                           Params
//	s/unbonding                      last unbonding entry id handed out
//	s/tokens                         Σ validator tokens (8-byte amount)
//	s/carry                          fees waiting for the next split
//	v/<idao>                         Validator
//	ca/<consensus address>           iDAO of the key (8 bytes)
//	p/<^tokens><idao>                candidates by tokens, largest first
//	ls/<idao>                        power last handed to CometBFT
//	jb/<idao>                        jailed in this block (cleared at its end)
//	m/<idao>                         MissedBlocks ring
//	d/<idao><delegator>              Delegation
//	dd/<delegator><idao>             delegations of a delegator
//	u/<id>                           UnbondingEntry
//	ui/<idao><creation height><id>   entries of a validator
//	ud/<delegator><id>               entries of a delegator
//	uq/<completion height><id>       completion queue
//	ds/<height><idao>                double signs punished
//
// The module talks to others only through the interfaces it declares:
// BankKeeper (the bonded and rewards escrows, the slashed account, the fee
// collector) and IDAOKeeper (iDAO existence, the validator role,
// treasuries).
package staking
