package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/proto"

	"github.com/lazchain/lazchain/client"
	"github.com/lazchain/lazchain/node"
	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/staking"
)

func newTxStakingCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "staking",
		Short: "iDAO validators: create, bond, delegate, unbond, unjail, withdraw rewards",
		Long: `The validators of LazChain are iDAOs. A member with the iDAO's "validator"
role creates its validator with a consensus key and a self-bond; anyone may
delegate LAZ to it. At every epoch the validators with the most bonded LAZ
(not jailed) form the set CometBFT runs with, with a voting power of their
bonded ulaz divided by the power_reduction parameter.

Unbonded LAZ stay slashable for unbonding_blocks and are paid out then.
Double signing and downtime are slashed and jailed; a jailed validator comes
back with unjail once its jail period is over. Each block's fees go to the
previous block's signers by power, a commission of them to the validator
iDAO's treasury; delegators withdraw theirs with withdraw-rewards.
Amounts are like 12.5laz or 12500000ulaz.`,
	}
	cmd.AddCommand(newCreateValidatorCmd(),
		newStakeAmountCmd("bond", "Add to your self-bond in an iDAO's validator (validator role)",
			`Bond AMOUNT to the validator of iDAO IDAO as a self-bond: the signer must hold
the iDAO's "validator" role. Self-bonds count toward the min_self_bond a
validator needs; anyone else delegates with `+"`delegate`"+`.`,
			"  lazchain tx staking bond 1 500laz --from operator",
			func(from tx.Address, id uint64, amount string) proto.Message {
				return &staking.MsgBond{From: from.String(), Idao: id, Amount: amount}
			}),
		newStakeAmountCmd("unbond", "Start unbonding part of your self-bond",
			`Start unbonding AMOUNT of the signer's self-bond in the validator of iDAO
IDAO. The LAZ leave the validator now, stay slashable and are paid back
unbonding_blocks later (see `+"`query staking unbondings`"+`). A self-bond left
below min_self_bond jails the validator.`,
			"  lazchain tx staking unbond 1 100laz --from operator",
			func(from tx.Address, id uint64, amount string) proto.Message {
				return &staking.MsgUnbond{From: from.String(), Idao: id, Amount: amount}
			}),
		newStakeAmountCmd("delegate", "Delegate LAZ to an iDAO's validator",
			`Delegate AMOUNT from the signer to the validator of iDAO IDAO. The delegation
earns a part of every block's fees while the validator signs, and shares its
slashes.`,
			"  lazchain tx staking delegate 1 250laz --from alice",
			func(from tx.Address, id uint64, amount string) proto.Message {
				return &staking.MsgDelegate{From: from.String(), Idao: id, Amount: amount}
			}),
		newStakeAmountCmd("undelegate", "Start unbonding part of a delegation",
			`Start unbonding AMOUNT of the signer's delegation to the validator of iDAO
IDAO. The LAZ leave the validator now, stay slashable and are paid back
unbonding_blocks later (see `+"`query staking unbondings`"+`).`,
			"  lazchain tx staking undelegate 1 50laz --from alice",
			func(from tx.Address, id uint64, amount string) proto.Message {
				return &staking.MsgUndelegate{From: from.String(), Idao: id, Amount: amount}
			}),
		newStakeIDCmd("unjail", "Bring a jailed validator back among the candidates",
			`Unjail the validator of iDAO IDAO. The signer must hold the iDAO's
"validator" role, the jail period must be over (query staking validator shows
jailed_until) and the self-bond at least min_self_bond. The validator joins
the set again at the next epoch if its stake ranks.`,
			"  lazchain tx staking unjail 1 --from operator",
			func(from tx.Address, id uint64) proto.Message {
				return &staking.MsgUnjail{From: from.String(), Idao: id}
			}),
		newStakeIDCmd("withdraw-rewards", "Withdraw your pending rewards from a validator",
			`Pay the signer's pending rewards from its delegation (or self-bond) to the
validator of iDAO IDAO. query staking delegations shows pending_rewards.`,
			"  lazchain tx staking withdraw-rewards 1 --from alice",
			func(from tx.Address, id uint64) proto.Message {
				return &staking.MsgWithdrawRewards{From: from.String(), Idao: id}
			}),
	)
	return cmd
}

func newCreateValidatorCmd() *cobra.Command {
	var idaoID uint64
	var pubkey, selfBond string
	var homeKey bool
	return newMsgCmd(msgSpec{
		use:   "create-validator",
		short: "Make an iDAO a validator with a consensus key and a self-bond",
		long: `Make iDAO --idao a validator. The signer must hold the iDAO's "validator"
role; it bonds --self-bond (at least the min_self_bond parameter) from its
account. The consensus key is the ed25519 key the validator's node signs
blocks with: give it with --pubkey (pub_key.value of the node's
priv_validator_key.json, standard base64) or, on that node's machine, with
--home-key, which reads it from HOME/config/priv_validator_key.json (only the
public key is read). One validator per iDAO and per key.

The validator joins the set CometBFT runs with at the next epoch, if its
bonded LAZ rank among the max_validators largest.`,
		example: `  lazchain tx staking create-validator --idao 2 --home-key --self-bond 1000laz --from operator
  lazchain tx staking create-validator --idao 2 --pubkey 3q3pmKm8Xx0Hn9U1VKe+tT6xk8ZlzyoVUh3cWOkhJmU= --self-bond 1000laz --from operator`,
		args: cobra.NoArgs,
		flags: func(cmd *cobra.Command) {
			fs := cmd.Flags()
			fs.Uint64Var(&idaoID, "idao", 0, "id of the iDAO that becomes a validator (required)")
			fs.StringVar(&pubkey, "pubkey", "", "the node's ed25519 consensus public key, standard base64 (or --home-key)")
			fs.BoolVar(&homeKey, "home-key", false, "use the consensus key of the node in --home (config/priv_validator_key.json)")
			fs.StringVar(&selfBond, "self-bond", "", "LAZ to bond from the signer, like 1000laz (required)")
		},
		build: func(cmd *cobra.Command, from tx.Address, _ []string) ([]proto.Message, error) {
			if idaoID == 0 {
				return nil, fmt.Errorf("--idao is required: the id of the iDAO that becomes a validator")
			}
			if (pubkey == "") == !homeKey {
				return nil, fmt.Errorf("give exactly one of --pubkey BASE64 and --home-key: the consensus key of the validator's node")
			}
			if selfBond == "" {
				return nil, fmt.Errorf("--self-bond is required: the LAZ to bond, like 1000laz")
			}
			bond, err := parseLAZ("--self-bond", selfBond)
			if err != nil {
				return nil, err
			}
			if bond == 0 {
				return nil, fmt.Errorf("--self-bond: must be greater than zero")
			}
			key := pubkey
			if homeKey {
				if key, err = homeConsensusKey(homeFlag(cmd)); err != nil {
					return nil, fmt.Errorf("--home-key: %w", err)
				}
			}
			if _, err := staking.ParsePubKey(key); err != nil {
				return nil, fmt.Errorf("--pubkey: %w", err)
			}
			return one(&staking.MsgCreateValidator{From: from.String(), Idao: idaoID, ConsensusPubkey: key, SelfBond: tx.FormatBaseUnits(bond)}), nil
		},
	})
}

// homeConsensusKey reads the public consensus key (standard base64) of the
// node in home from its priv_validator_key.json, wherever config.toml
// puts that file. The private key is not kept.
func homeConsensusKey(home string) (string, error) {
	cfg, _, err := node.LoadConfig(home)
	if err != nil {
		return "", err
	}
	path := cfg.PrivValidatorKeyFile()
	bz, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read the node's consensus key: %w (is --home the validator node's home?)", err)
	}
	var f struct {
		PubKey struct {
			Type  string `json:"type"`
			Value string `json:"value"`
		} `json:"pub_key"`
	}
	if err := json.Unmarshal(bz, &f); err != nil {
		return "", fmt.Errorf("%s is not a CometBFT priv_validator_key.json: %w", path, err)
	}
	if f.PubKey.Type != "tendermint/PubKeyEd25519" {
		return "", fmt.Errorf("%s holds a %q key; LazChain validators use ed25519 (tendermint/PubKeyEd25519)", path, f.PubKey.Type)
	}
	if _, err := staking.ParsePubKey(f.PubKey.Value); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return f.PubKey.Value, nil
}

// newStakeAmountCmd is a tx command taking IDAO AMOUNT.
func newStakeAmountCmd(name, short, long, example string, build func(from tx.Address, id uint64, amount string) proto.Message) *cobra.Command {
	return newMsgCmd(msgSpec{
		use: name + " IDAO AMOUNT", short: short, long: long, example: example, args: cobra.ExactArgs(2),
		build: func(_ *cobra.Command, from tx.Address, args []string) ([]proto.Message, error) {
			id, err := parseID("IDAO", args[0])
			if err != nil {
				return nil, err
			}
			n, err := parseLAZ("AMOUNT", args[1])
			if err != nil {
				return nil, err
			}
			if n == 0 {
				return nil, fmt.Errorf("AMOUNT: must be greater than zero")
			}
			return one(build(from, id, tx.FormatBaseUnits(n))), nil
		},
	})
}

// newStakeIDCmd is a tx command taking IDAO.
func newStakeIDCmd(name, short, long, example string, build func(from tx.Address, id uint64) proto.Message) *cobra.Command {
	return newMsgCmd(msgSpec{
		use: name + " IDAO", short: short, long: long, example: example, args: cobra.ExactArgs(1),
		build: func(_ *cobra.Command, from tx.Address, args []string) ([]proto.Message, error) {
			id, err := parseID("IDAO", args[0])
			if err != nil {
				return nil, err
			}
			return one(build(from, id)), nil
		},
	})
}

func newQueryStakingCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "staking",
		Short: "Validators, delegations, unbondings, parameters and totals of staking",
		Long: `Read the staking module: iDAO validators with their status (bonded: in the
set CometBFT runs with; jailed; unbonded), power, tokens, self-bond and missed
blocks; delegations with their worth and pending rewards; unbonding entries;
the parameters; and the bonded and unbonding totals. Amounts in --output json
are integers of ulaz (as strings, like every 64-bit integer).`,
	}

	var vpage pageFlags
	validators := &cobra.Command{
		Use: "validators", Short: "List validators in iDAO order", Args: cobra.NoArgs,
		Example: "  lazchain query staking validators\n  lazchain query staking validators --after 10 --limit 10 -o json",
		RunE: func(cmd *cobra.Command, _ []string) error {
			after, err := vpage.afterID()
			if err != nil {
				return err
			}
			c, err := dial(cmd)
			if err != nil {
				return err
			}
			r, err := c.Validators(cmd.Context(), after, vpage.limit, heightFlag(cmd))
			if err != nil {
				return err
			}
			return emitProto(cmd, r, func(w io.Writer) {
				if len(r.Validators) == 0 {
					fmt.Fprintln(w, "no validators")
				}
				for _, v := range r.Validators {
					fmt.Fprintf(w, "iDAO %-4d %-8s power %-8d tokens %-22s self-bond %-22s missed %-4d %s\n",
						v.Validator.Idao, v.Status, v.Power, lazText(v.Validator.Tokens), lazText(v.SelfBond), v.Missed, v.ConsensusAddress)
				}
				if r.Next != 0 {
					fmt.Fprintf(w, "more: --after %d\n", r.Next)
				}
			})
		},
	}
	vpage.register(validators, "last iDAO id of the previous page")

	validator := newShowCmd("validator IDAO", "A validator: status, power, tokens, shares, self-bond, jail, slashes, commission", "IDAO",
		(*client.Client).Validator, func(w io.Writer, r *staking.QueryValidatorResponse) { printValidator(w, r.Validator) })
	validator.Example = "  lazchain query staking validator 1\n  lazchain query staking validator 1 -o json"

	delegations := newStakingListCmd("delegations", "Delegations of a delegator (--delegator) or to a validator (--idao), with pending rewards",
		"  lazchain query staking delegations --delegator alice\n  lazchain query staking delegations --idao 1 -o json",
		"the next of the previous page: an iDAO id with --delegator, an address with --idao",
		func(cmd *cobra.Command, c *client.Client, delegator string, idaoID uint64, p pageFlags) error {
			q := staking.DelegationsQuery{Delegator: delegator, IDAO: idaoID, After: p.after, Limit: p.limit}
			if p.after != "" {
				if delegator != "" {
					if _, err := parseUint("--after", p.after); err != nil {
						return fmt.Errorf("%w (with --delegator it is the last iDAO id of the previous page)", err)
					}
				} else {
					a, err := resolveAddress(cmd, p.after)
					if err != nil {
						return fmt.Errorf("--after: %w (with --idao it is the last delegator of the previous page)", err)
					}
					q.After = a.String()
				}
			}
			r, err := c.Delegations(cmd.Context(), q, heightFlag(cmd))
			if err != nil {
				return err
			}
			return emitProto(cmd, r, func(w io.Writer) {
				if len(r.Delegations) == 0 {
					fmt.Fprintln(w, "no delegations")
				}
				for _, d := range r.Delegations {
					kind := ""
					if d.Delegation.Self {
						kind = " (self-bond)"
					}
					fmt.Fprintf(w, "%s -> iDAO %-4d %s, %d shares, pending rewards %s%s\n",
						d.Delegation.Delegator, d.Delegation.Idao, lazText(d.Tokens), d.Delegation.Shares, lazText(d.PendingRewards), kind)
				}
				if r.Next != "" {
					fmt.Fprintf(w, "more: --after %s\n", r.Next)
				}
			})
		})

	unbondings := newStakingListCmd("unbondings", "Unbonding entries of a delegator (--delegator) or of a validator (--idao)",
		"  lazchain query staking unbondings --delegator alice\n  lazchain query staking unbondings --idao 1 -o json",
		"last entry id of the previous page",
		func(cmd *cobra.Command, c *client.Client, delegator string, idaoID uint64, p pageFlags) error {
			after, err := p.afterID()
			if err != nil {
				return err
			}
			r, err := c.Unbondings(cmd.Context(), staking.UnbondingsQuery{Delegator: delegator, IDAO: idaoID, After: after, Limit: p.limit}, heightFlag(cmd))
			if err != nil {
				return err
			}
			return emitProto(cmd, r, func(w io.Writer) {
				if len(r.Unbondings) == 0 {
					fmt.Fprintln(w, "no unbonding entries")
				}
				for _, e := range r.Unbondings {
					slashed := ""
					if e.Amount != e.InitialAmount {
						slashed = fmt.Sprintf(" (of %s before slashes)", lazText(e.InitialAmount))
					}
					fmt.Fprintf(w, "%-6d %s from iDAO %-4d %s%s, started at height %d, paid at height %d\n",
						e.Id, e.Delegator, e.Idao, lazText(e.Amount), slashed, e.CreationHeight, e.CompletionHeight)
				}
				if r.Next != 0 {
					fmt.Fprintf(w, "more: --after %d\n", r.Next)
				}
			})
		})

	params := &cobra.Command{
		Use: "params", Short: "The staking parameters: set size, epochs, unbonding, slashing, jail, power, self-bond, commission", Args: cobra.NoArgs,
		Example: "  lazchain query staking params -o json",
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := dial(cmd)
			if err != nil {
				return err
			}
			p, err := c.StakingParams(cmd.Context(), heightFlag(cmd))
			if err != nil {
				return err
			}
			return emitProto(cmd, &staking.QueryParamsResponse{Params: p}, func(w io.Writer) { printStakingParams(w, p) })
		},
	}

	pool := &cobra.Command{
		Use: "pool", Short: "Bonded and unbonding totals, rewards waiting for their split, the module's accounts", Args: cobra.NoArgs,
		Example: "  lazchain query staking pool",
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := dial(cmd)
			if err != nil {
				return err
			}
			r, err := c.StakingPool(cmd.Context(), heightFlag(cmd))
			if err != nil {
				return err
			}
			return emitProto(cmd, r, func(w io.Writer) {
				fmt.Fprintf(w, "bonded          %s\nunbonding       %s\nrewards carry   %s\nbonded escrow   %s\nrewards escrow  %s\nslashed account %s\n",
					lazText(r.BondedTotal), lazText(r.UnbondingTotal), lazText(r.RewardsCarry), r.BondedEscrow, r.RewardsEscrow, r.SlashedAccount)
			})
		},
	}

	cmd.AddCommand(validators, validator, delegations, unbondings, params, pool)
	return cmd
}

// newStakingListCmd is a query listing what belongs to exactly one of
// --delegator (an address or key name) and --idao, a page at a time.
func newStakingListCmd(name, short, example, afterHelp string, list func(cmd *cobra.Command, c *client.Client, delegator string, idaoID uint64, p pageFlags) error) *cobra.Command {
	var page pageFlags
	var delegator string
	var idaoID uint64
	cmd := &cobra.Command{
		Use: name, Short: short, Example: example, Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if (delegator == "") == (idaoID == 0) {
				return fmt.Errorf("give exactly one of --delegator ADDRESS|KEY and --idao ID")
			}
			var d string
			if delegator != "" {
				a, err := resolveAddress(cmd, delegator)
				if err != nil {
					return fmt.Errorf("--delegator: %w", err)
				}
				d = a.String()
			}
			c, err := dial(cmd)
			if err != nil {
				return err
			}
			return list(cmd, c, d, idaoID, page)
		},
	}
	page.register(cmd, afterHelp)
	cmd.Flags().StringVar(&delegator, "delegator", "", "address or key name of the delegator")
	cmd.Flags().Uint64Var(&idaoID, "idao", 0, "iDAO id of the validator")
	return cmd
}

// lazText renders ulaz as LAZ with the exact base units.
func lazText(n uint64) string { return fmt.Sprintf("%s (%d ulaz)", tx.FormatAmount(n), n) }

func printValidator(w io.Writer, v *staking.ValidatorInfo) {
	val := v.Validator
	fmt.Fprintf(w, "validator of iDAO %d: %s, power %d\n", val.Idao, v.Status, v.Power)
	fmt.Fprintf(w, "  consensus key      %s (address %s)\n", base64.StdEncoding.EncodeToString(val.ConsensusPubkey), v.ConsensusAddress)
	fmt.Fprintf(w, "  created            by %s at height %d\n", val.Creator, val.CreatedHeight)
	fmt.Fprintf(w, "  tokens             %s in %d shares\n", lazText(val.Tokens), val.Shares)
	fmt.Fprintf(w, "  self-bond          %s (%d shares)\n", lazText(v.SelfBond), val.SelfShares)
	fmt.Fprintf(w, "  missed blocks      %d in the downtime window\n", v.Missed)
	if val.Jailed {
		fmt.Fprintf(w, "  jailed             until height %d (then: tx staking unjail %d)\n", val.JailedUntil, val.Idao)
	}
	fmt.Fprintf(w, "  slashes            %d, %s in all\n", val.Slashes, lazText(val.Slashed))
	fmt.Fprintf(w, "  commission paid    %s to the iDAO's treasury\n", lazText(val.Commission))
}

func printStakingParams(w io.Writer, p *staking.Params) {
	bps := func(v uint32) string { return strconv.FormatFloat(float64(v)/100, 'f', -1, 64) + "%" }
	fmt.Fprintf(w, "max validators       %d\nepoch                %d blocks\nunbonding            %d blocks\n", p.MaxValidators, p.EpochBlocks, p.UnbondingBlocks)
	fmt.Fprintf(w, "double-sign slash    %s\ndowntime slash       %s (more than %d missed of %d blocks)\njail                 %d blocks\n",
		bps(p.DoubleSignSlashBps), bps(p.DowntimeSlashBps), p.MaxMissed, p.DowntimeWindow, p.JailBlocks)
	fmt.Fprintf(w, "power reduction      %d ulaz per unit of power\nmin self-bond        %s\ncommission           %s\n",
		p.PowerReduction, lazText(p.MinSelfBond), bps(p.CommissionBps))
}
