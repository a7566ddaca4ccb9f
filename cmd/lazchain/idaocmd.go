package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/lazchain/lazchain/client"
	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/idao"
)

func newTxIDAOCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "idao",
		Short: "Form and govern iDAOs: create, propose, vote, fund",
		Long: `An iDAO is the unit of participation: members with roles and voting weights,
a treasury no key controls, typed policies, proposals and votes, and
agreements with other iDAOs. Everything but creating one goes through a
proposal that members vote on; a proposal that reaches the iDAO's quorum runs
at the end of the block in which it passed.`,
	}
	var description, roles string
	create := newMsgCmd(msgSpec{
		use: "create NAME", short: "Form an iDAO with the signer as its first admin",
		long:    "NAME is unique on the chain: 3 to 64 characters of a-z, 0-9, '-' and '_'.",
		example: "  lazchain tx idao create med-imaging --description \"radiology scans\" --roles data_provider --from alice",
		args:    cobra.ExactArgs(1),
		flags: func(cmd *cobra.Command) {
			cmd.Flags().StringVar(&description, "description", "", "what the iDAO is for")
			cmd.Flags().StringVar(&roles, "roles", "", "the creator's roles besides admin, comma-separated: "+strings.Join(idaoRoles, ", "))
		},
		build: func(_ *cobra.Command, from tx.Address, args []string) ([]proto.Message, error) {
			return one(&idao.MsgCreate{From: from.String(), Name: args[0], Description: description, Roles: splitList(roles)}), nil
		},
	})
	cmd.AddCommand(create, newProposeCmd(), newVoteCmd(), newFundCmd())
	return cmd
}

var idaoRoles = []string{idao.RoleDataProvider, idao.RoleModelTrainer, idao.RoleComputeProvider, idao.RoleAppDeveloper, idao.RoleValidator, idao.RoleAdmin}

// splitList splits a comma-separated flag value, dropping empty parts.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// proposeFlags are the actions a proposal can carry, one flag per kind.
type proposeFlags struct {
	title, description, actionsFile       string
	addMember, removeMember, setMember    []string
	setPolicy, spend, offer, acceptAgreem []string
	bondTreasury                          []string
}

func newProposeCmd() *cobra.Command {
	var p proposeFlags
	return newMsgCmd(msgSpec{
		use:   "propose IDAO",
		short: "Open a proposal in an iDAO",
		long: `Open a proposal in iDAO IDAO (its id). The signer must be a member. The
proposal's actions run together, all or none, if it passes. Give them with
the flags below (each may repeat; they run in the order: add, set, remove
member, policy, spend, offer, accept) or as a JSON array in --actions FILE.

Members then vote with ` + "`lazchain tx idao vote`" + `; the proposal runs at the end of
the block in which yes-votes reach the iDAO's quorum_bps of the total weight,
and closes as expired when its voting period ends without that.`,
		example: `  lazchain tx idao propose 1 --title "admit bob" --add-member bob:data_provider:1 --from alice
  lazchain tx idao propose 1 --title "pay for GPUs" --spend 0x3f5CE5FBFe3E9af3971dD833D26bA9b5C936f0bE:250laz --from alice
  lazchain tx idao propose 1 --title "shorter votes" --set-policy voting_period=20 --from alice
  lazchain tx idao propose 1 --title "license class 1 to iDAO 2" \
      --offer-agreement grantee=2,class=1,price=10ulaz,quota=1000,split=5000,expire=100000 --from alice`,
		args: cobra.ExactArgs(1),
		flags: func(cmd *cobra.Command) {
			fs := cmd.Flags()
			fs.StringVar(&p.title, "title", "", "one-line summary (required)")
			fs.StringVar(&p.description, "description", "", "longer text")
			fs.StringArrayVar(&p.addMember, "add-member", nil, "ADDRESS:ROLES:WEIGHT, roles comma-separated, e.g. bob:data_provider,validator:1")
			fs.StringArrayVar(&p.setMember, "set-member", nil, "ADDRESS:ROLES:WEIGHT, replaces a member's roles and weight")
			fs.StringArrayVar(&p.removeMember, "remove-member", nil, "ADDRESS of a member to remove")
			fs.StringArrayVar(&p.setPolicy, "set-policy", nil, "KEY=VALUE (keys: default_dat_price, revenue_split_bps, allowed_services, quorum_bps, voting_period, x-…)")
			fs.StringArrayVar(&p.spend, "spend", nil, "TO:AMOUNT from the treasury, e.g. bob:12.5laz")
			fs.StringArrayVar(&p.bondTreasury, "bond-treasury", nil, "VALIDATOR_IDAO:AMOUNT of the treasury to bond (delegate) to a validator iDAO, e.g. 1:500laz")
			fs.StringArrayVar(&p.offer, "offer-agreement", nil, "grantee=ID,class=ID,price=AMOUNT,quota=UNITS,split=BPS,expire=HEIGHT")
			fs.StringArrayVar(&p.acceptAgreem, "accept-agreement", nil, "AGREEMENT id offered to this iDAO")
			fs.StringVar(&p.actionsFile, "actions", "", "file with a JSON array of actions, as in the API ('-' for stdin)")
		},
		build: func(cmd *cobra.Command, from tx.Address, args []string) ([]proto.Message, error) {
			id, err := parseID("IDAO", args[0])
			if err != nil {
				return nil, err
			}
			if p.title == "" {
				return nil, fmt.Errorf("--title is required: a one-line summary of the proposal")
			}
			actions, err := p.actions(cmd)
			if err != nil {
				return nil, err
			}
			if len(actions) == 0 {
				return nil, fmt.Errorf("the proposal has no actions: give at least one of --add-member, --set-member, --remove-member, --set-policy, --spend, --bond-treasury, --offer-agreement, --accept-agreement or --actions")
			}
			return one(&idao.MsgPropose{From: from.String(), Idao: id, Title: p.title, Description: p.description, Actions: actions}), nil
		},
	})
}

func (p *proposeFlags) actions(cmd *cobra.Command) ([]*idao.Action, error) {
	var out []*idao.Action
	member := func(flag, v string) (addr string, roles []string, weight uint64, err error) {
		parts := strings.Split(v, ":")
		if len(parts) != 3 {
			return "", nil, 0, fmt.Errorf("--%s %q: want ADDRESS:ROLES:WEIGHT", flag, v)
		}
		a, err := resolveAddress(cmd, parts[0])
		if err != nil {
			return "", nil, 0, fmt.Errorf("--%s: %w", flag, err)
		}
		w, err := parseUint("--"+flag+" weight", parts[2])
		return a.String(), splitList(parts[1]), w, err
	}
	for _, v := range p.addMember {
		a, roles, w, err := member("add-member", v)
		if err != nil {
			return nil, err
		}
		out = append(out, &idao.Action{Kind: &idao.Action_AddMember{AddMember: &idao.AddMember{Address: a, Roles: roles, Weight: w}}})
	}
	for _, v := range p.setMember {
		a, roles, w, err := member("set-member", v)
		if err != nil {
			return nil, err
		}
		out = append(out, &idao.Action{Kind: &idao.Action_SetMember{SetMember: &idao.SetMember{Address: a, Roles: roles, Weight: w}}})
	}
	for _, v := range p.removeMember {
		a, err := resolveAddress(cmd, v)
		if err != nil {
			return nil, fmt.Errorf("--remove-member: %w", err)
		}
		out = append(out, &idao.Action{Kind: &idao.Action_RemoveMember{RemoveMember: &idao.RemoveMember{Address: a.String()}}})
	}
	for _, v := range p.setPolicy {
		k, val, ok := strings.Cut(v, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--set-policy %q: want KEY=VALUE", v)
		}
		out = append(out, &idao.Action{Kind: &idao.Action_SetPolicy{SetPolicy: &idao.SetPolicy{Key: k, Value: val}}})
	}
	for _, v := range p.spend {
		to, amt, ok := strings.Cut(v, ":")
		if !ok {
			return nil, fmt.Errorf("--spend %q: want TO:AMOUNT, like bob:12.5laz", v)
		}
		a, err := resolveAddress(cmd, to)
		if err != nil {
			return nil, fmt.Errorf("--spend: %w", err)
		}
		n, err := parseLAZ("--spend", amt)
		if err != nil {
			return nil, err
		}
		out = append(out, &idao.Action{Kind: &idao.Action_SpendTreasury{SpendTreasury: &idao.SpendTreasury{To: a.String(), Amount: tx.FormatBaseUnits(n)}}})
	}
	for _, v := range p.bondTreasury {
		val, amt, ok := strings.Cut(v, ":")
		if !ok {
			return nil, fmt.Errorf("--bond-treasury %q: want VALIDATOR_IDAO:AMOUNT, like 1:500laz", v)
		}
		id, err := parseID("--bond-treasury validator iDAO", val)
		if err != nil {
			return nil, err
		}
		n, err := parseLAZ("--bond-treasury", amt)
		if err != nil {
			return nil, err
		}
		out = append(out, &idao.Action{Kind: &idao.Action_BondTreasury{BondTreasury: &idao.BondTreasury{Validator: id, Amount: tx.FormatBaseUnits(n)}}})
	}
	for _, v := range p.offer {
		o, err := parseOffer(v)
		if err != nil {
			return nil, err
		}
		out = append(out, &idao.Action{Kind: &idao.Action_OfferAgreement{OfferAgreement: o}})
	}
	for _, v := range p.acceptAgreem {
		id, err := parseID("--accept-agreement", v)
		if err != nil {
			return nil, err
		}
		out = append(out, &idao.Action{Kind: &idao.Action_AcceptAgreement{AcceptAgreement: &idao.AcceptAgreement{Agreement: id}}})
	}
	if p.actionsFile != "" {
		more, err := readActions(cmd, p.actionsFile)
		if err != nil {
			return nil, err
		}
		out = append(out, more...)
	}
	return out, nil
}

// parseOffer reads grantee=ID,class=ID,price=AMOUNT,quota=N,split=BPS,expire=HEIGHT.
func parseOffer(v string) (*idao.OfferAgreement, error) {
	o := &idao.OfferAgreement{Terms: &idao.AgreementTerms{PricePerUnit: "0"}}
	seen := map[string]bool{}
	for _, kv := range strings.Split(v, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok {
			return nil, fmt.Errorf("--offer-agreement %q: %q is not KEY=VALUE", v, kv)
		}
		seen[k] = true
		var err error
		switch k {
		case "grantee":
			o.Grantee, err = parseID("grantee", val)
		case "class":
			o.Class, err = parseID("class", val)
		case "price":
			var n uint64
			n, err = parseLAZ("price", val)
			o.Terms.PricePerUnit = tx.FormatBaseUnits(n)
		case "quota":
			o.Terms.Quota, err = parseUint("quota", val)
		case "split":
			var n uint64
			n, err = parseUint("split", val)
			if err == nil && n > 10000 {
				err = fmt.Errorf("split %d: want basis points from 0 to 10000", n)
			}
			o.Terms.RevenueSplitBps = uint32(n)
		case "expire":
			o.Terms.ExpireHeight, err = parseUint("expire", val)
		default:
			return nil, fmt.Errorf("--offer-agreement: unknown key %q (want grantee, class, price, quota, split, expire)", k)
		}
		if err != nil {
			return nil, fmt.Errorf("--offer-agreement: %w", err)
		}
	}
	for _, k := range []string{"grantee", "class", "quota", "expire"} {
		if !seen[k] {
			return nil, fmt.Errorf("--offer-agreement %q: %s= is required", v, k)
		}
	}
	return o, nil
}

// readActions reads a JSON array of actions in protojson form. Unlike the
// chain's reader of query answers, it refuses unknown fields: a misspelt
// action kind would otherwise be dropped and leave an empty action.
func readActions(cmd *cobra.Command, path string) ([]*idao.Action, error) {
	var raw []byte
	var err error
	if path == "-" {
		raw, err = io.ReadAll(cmd.InOrStdin())
	} else {
		raw, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("--actions: %w", err)
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, fmt.Errorf("--actions %s: want a JSON array of actions: %w", path, err)
	}
	out := make([]*idao.Action, len(items))
	for i, it := range items {
		out[i] = &idao.Action{}
		if err := protojson.Unmarshal(it, out[i]); err != nil {
			return nil, fmt.Errorf("--actions %s: action %d: %w", path, i+1, err)
		}
		if out[i].Kind == nil {
			return nil, fmt.Errorf("--actions %s: action %d is empty: give one of add_member, set_member, remove_member, set_policy, spend_treasury, bond_treasury, offer_agreement, accept_agreement", path, i+1)
		}
	}
	return out, nil
}

func newVoteCmd() *cobra.Command {
	return newMsgCmd(msgSpec{
		use:   "vote IDAO PROPOSAL yes|no|abstain",
		short: "Vote on an open proposal, with the signer's weight",
		long: `Cast (or change) the signer's vote on proposal PROPOSAL of iDAO IDAO, during
its voting period. A vote that brings the yes weight to the quorum makes the
proposal run at the end of the block.`,
		example: "  lazchain tx idao vote 1 3 yes --from alice",
		args:    cobra.ExactArgs(3),
		build: func(_ *cobra.Command, from tx.Address, args []string) ([]proto.Message, error) {
			id, err := parseID("IDAO", args[0])
			if err != nil {
				return nil, err
			}
			pid, err := parseID("PROPOSAL", args[1])
			if err != nil {
				return nil, err
			}
			var opt idao.VoteOption
			switch strings.ToLower(args[2]) {
			case "yes":
				opt = idao.VoteOption_VOTE_OPTION_YES
			case "no":
				opt = idao.VoteOption_VOTE_OPTION_NO
			case "abstain":
				opt = idao.VoteOption_VOTE_OPTION_ABSTAIN
			default:
				return nil, fmt.Errorf("vote %q: want yes, no or abstain", args[2])
			}
			return one(&idao.MsgVote{From: from.String(), Idao: id, Proposal: pid, Option: opt}), nil
		},
	})
}

func newFundCmd() *cobra.Command {
	return newMsgCmd(msgSpec{
		use:   "fund IDAO AMOUNT",
		short: "Send LAZ into an iDAO's treasury",
		long:  "A bank transfer to the iDAO's treasury account; only the iDAO's proposals can spend it.",
		args:  cobra.ExactArgs(2), example: "  lazchain tx idao fund 1 1000laz --from alice",
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
			return one(client.SendMsg(from, idao.TreasuryAddress(id), n)), nil
		},
	})
}
