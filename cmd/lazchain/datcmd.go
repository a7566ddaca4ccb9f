package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/proto"

	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/dat"
)

func newTxDATCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "dat",
		Short: "Data Anchoring Tokens (ERC-8028): classes, tokens, usage, revenue",
		Long: `A DAT class anchors an asset (a dataset, a contribution, a model); its tokens
carry a value (a usage quota in the class's units) and a share ratio (a part
of the class's revenue). The subcommands are the standard's functions:
createClass, mint, transferValue, transfer, split, merge, approveForClass,
approve, recordUsage, settleRevenue, claim, claimAll and addProof.`,
	}
	cmd.AddCommand(newCreateClassCmd(), newAddParentCmd(), newMintCmd(), newTransferValueCmd(), newTransferTokenCmd(),
		newSplitCmd(), newMergeCmd(), newApproveClassCmd(), newApproveValueCmd(), newRecordUsageCmd(),
		newSettleRevenueCmd(), newClaimCmd(), newClaimAllCmd(), newAddProofCmd())
	return cmd
}

// ids parses positional ids, naming each by its place in names.
func ids(args []string, names ...string) ([]uint64, error) {
	out := make([]uint64, len(names))
	for i, n := range names {
		v, err := parseID(n, args[i])
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func newCreateClassCmd() *cobra.Command {
	var m dat.MsgCreateClass
	m.Policy = &dat.ClassPolicy{}
	var parents, services []string
	var idaoID uint64
	return newMsgCmd(msgSpec{
		use:   "create-class NAME",
		short: "Anchor a new asset as a DAT class of an iDAO (createClass)",
		long: `Create a class owned by --idao; the signer must be one of its admins. The
class's certificate records the iDAO, the creator, the height, the integrity
hash (the content's SHA-256) and its parents: a derived asset names the
classes it comes from with --parent CLASS:BPS, the share of this class's
revenue that goes up to each.`,
		example: `  lazchain tx dat create-class "chest x-rays v1" --idao 1 --integrity-hash $(sha256sum data.jsonl | cut -c1-64) --from alice
  lazchain tx dat create-class "x-ray model" --idao 1 --integrity-hash <sha256> --parent 1:3000 --from alice`,
		args: cobra.ExactArgs(1),
		flags: func(cmd *cobra.Command) {
			fs := cmd.Flags()
			fs.Uint64Var(&idaoID, "idao", 0, "id of the iDAO that owns the class (required)")
			fs.StringVar(&m.IntegrityHash, "integrity-hash", "", "SHA-256 of the content, 64 hex digits (required)")
			fs.StringVar(&m.MetadataUri, "metadata-uri", "", "where the asset's metadata is")
			fs.StringVar(&m.PolicyUri, "policy-uri", "", "where the usage terms are")
			fs.Uint32Var(&m.UnitDecimals, "unit-decimals", 0, "decimals of one unit of value (0 to 18)")
			fs.StringArrayVar(&parents, "parent", nil, "CLASS:BPS, a parent class and its split in basis points (repeatable)")
			fs.StringArrayVar(&services, "allowed-service", nil, "address that may record usage of any token of the class (repeatable)")
			fs.BoolVar(&m.Policy.Restricted, "restricted", false, "only the iDAO, allowed services and iDAOs with an agreement may use the class")
		},
		build: func(cmd *cobra.Command, from tx.Address, args []string) ([]proto.Message, error) {
			if idaoID == 0 {
				return nil, fmt.Errorf("--idao is required: the id of the iDAO that owns the class")
			}
			if m.IntegrityHash == "" {
				return nil, fmt.Errorf("--integrity-hash is required: the SHA-256 of the content, 64 hex digits")
			}
			msg := proto.Clone(&m).(*dat.MsgCreateClass)
			msg.From, msg.Idao, msg.Name = from.String(), idaoID, args[0]
			for _, p := range parents {
				parent, err := parseParent(p)
				if err != nil {
					return nil, err
				}
				msg.Parents = append(msg.Parents, parent)
			}
			for _, s := range services {
				a, err := resolveAddress(cmd, s)
				if err != nil {
					return nil, fmt.Errorf("--allowed-service: %w", err)
				}
				msg.Policy.AllowedServices = append(msg.Policy.AllowedServices, a.String())
			}
			return one(msg), nil
		},
	})
}

func parseParent(v string) (*dat.Parent, error) {
	c, b, ok := strings.Cut(v, ":")
	if !ok {
		return nil, fmt.Errorf("--parent %q: want CLASS:BPS, like 3:2500", v)
	}
	class, err := parseID("--parent class", c)
	if err != nil {
		return nil, err
	}
	bps, err := parseUint("--parent split", b)
	if err != nil {
		return nil, err
	}
	if bps > 10000 {
		return nil, fmt.Errorf("--parent %q: the split is in basis points, 0 to 10000", v)
	}
	return &dat.Parent{Class: class, SplitBps: uint32(bps)}, nil
}

func newAddParentCmd() *cobra.Command {
	return newMsgCmd(msgSpec{
		use: "add-parent CLASS PARENT BPS", short: "Add a lineage edge to a class (refused if it would close a cycle)",
		args: cobra.ExactArgs(3), example: "  lazchain tx dat add-parent 4 2 2500 --from alice",
		build: func(_ *cobra.Command, from tx.Address, args []string) ([]proto.Message, error) {
			t, err := ids(args, "CLASS", "PARENT")
			if err != nil {
				return nil, err
			}
			bps, err := parseUint("BPS", args[2])
			if err != nil {
				return nil, err
			}
			if bps > 10000 {
				return nil, fmt.Errorf("BPS %d: the split is in basis points, 0 to 10000", bps)
			}
			return one(&dat.MsgAddParent{From: from.String(), Class: t[0], Parent: &dat.Parent{Class: t[1], SplitBps: uint32(bps)}}), nil
		},
	})
}

func newMintCmd() *cobra.Command {
	var value, share, expireHeight uint64
	var expireTime string
	return newMsgCmd(msgSpec{
		use:   "mint CLASS TO",
		short: "Mint a token of a class to an account (mint)",
		long: `Mint a token of CLASS to TO (an address or key name). The signer must be an
admin of the class's iDAO. --value is the usage quota in the class's units,
--share the token's weight in the class's revenue.`,
		example: "  lazchain tx dat mint 1 bob --value 1000 --share 10 --from alice\n  lazchain tx dat mint 1 bob --value 50 --share 1 --expire-time 2027-01-01T00:00:00Z --from alice",
		args:    cobra.ExactArgs(2),
		flags: func(cmd *cobra.Command) {
			cmd.Flags().Uint64Var(&value, "value", 0, "usage quota, in the class's units")
			cmd.Flags().Uint64Var(&share, "share", 0, "share ratio: the token's weight in the class's revenue")
			cmd.Flags().Uint64Var(&expireHeight, "expire-height", 0, "first height at which the token is expired (0: never)")
			cmd.Flags().StringVar(&expireTime, "expire-time", "", "first block time at which the token is expired: RFC 3339 or unix seconds")
		},
		build: func(cmd *cobra.Command, from tx.Address, args []string) ([]proto.Message, error) {
			class, err := parseID("CLASS", args[0])
			if err != nil {
				return nil, err
			}
			to, err := resolveAddress(cmd, args[1])
			if err != nil {
				return nil, fmt.Errorf("TO: %w", err)
			}
			if value == 0 && share == 0 {
				return nil, fmt.Errorf("give --value, --share or both: a token with neither is empty")
			}
			et, err := parseExpireTime(expireTime)
			if err != nil {
				return nil, err
			}
			return one(&dat.MsgMint{From: from.String(), Class: class, To: to.String(), Value: value, ShareRatio: share,
				ExpireAtHeight: expireHeight, ExpireAtTime: et}), nil
		},
	})
}

func parseExpireTime(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
		return n, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return 0, fmt.Errorf("--expire-time %q: want RFC 3339 (2027-01-01T00:00:00Z) or unix seconds", s)
	}
	return t.Unix(), nil
}

func newTransferValueCmd() *cobra.Command {
	return newMsgCmd(msgSpec{
		use: "transfer-value FROM_TOKEN TO_TOKEN VALUE", short: "Move value between two tokens of one class (transferValue)",
		args: cobra.ExactArgs(3), example: "  lazchain tx dat transfer-value 1 2 100 --from bob",
		build: func(_ *cobra.Command, from tx.Address, args []string) ([]proto.Message, error) {
			t, err := ids(args, "FROM_TOKEN", "TO_TOKEN")
			if err != nil {
				return nil, err
			}
			v, err := parsePositive("VALUE", args[2])
			if err != nil {
				return nil, err
			}
			return one(&dat.MsgTransferValue{From: from.String(), FromToken: t[0], ToToken: t[1], Value: v}), nil
		},
	})
}

func newTransferTokenCmd() *cobra.Command {
	return newMsgCmd(msgSpec{
		use: "transfer TOKEN TO", short: "Give a whole token, pending revenue included, to an account (transfer)",
		args: cobra.ExactArgs(2), example: "  lazchain tx dat transfer 3 carol --from bob",
		build: func(cmd *cobra.Command, from tx.Address, args []string) ([]proto.Message, error) {
			t, err := parseID("TOKEN", args[0])
			if err != nil {
				return nil, err
			}
			to, err := resolveAddress(cmd, args[1])
			if err != nil {
				return nil, fmt.Errorf("TO: %w", err)
			}
			return one(&dat.MsgTransfer{From: from.String(), Token: t, To: to.String()}), nil
		},
	})
}

func newSplitCmd() *cobra.Command {
	var value, share uint64
	return newMsgCmd(msgSpec{
		use: "split TOKEN", short: "Split value and share off a token into a new token (split)",
		args: cobra.ExactArgs(1), example: "  lazchain tx dat split 3 --value 40 --share 2 --from bob",
		flags: func(cmd *cobra.Command) {
			cmd.Flags().Uint64Var(&value, "value", 0, "value to move to the new token")
			cmd.Flags().Uint64Var(&share, "share", 0, "share ratio to move to the new token")
		},
		build: func(_ *cobra.Command, from tx.Address, args []string) ([]proto.Message, error) {
			t, err := parseID("TOKEN", args[0])
			if err != nil {
				return nil, err
			}
			return one(&dat.MsgSplit{From: from.String(), Token: t, Value: value, ShareRatio: share}), nil
		},
	})
}

func newMergeCmd() *cobra.Command {
	return newMsgCmd(msgSpec{
		use: "merge INTO TOKEN...", short: "Fold tokens into one of the same class, owner and expiry (merge)",
		args: cobra.MinimumNArgs(2), example: "  lazchain tx dat merge 3 5 6 --from bob",
		build: func(_ *cobra.Command, from tx.Address, args []string) ([]proto.Message, error) {
			into, err := parseID("INTO", args[0])
			if err != nil {
				return nil, err
			}
			m := &dat.MsgMerge{From: from.String(), Into: into}
			for _, a := range args[1:] {
				t, err := parseID("TOKEN", a)
				if err != nil {
					return nil, err
				}
				m.Tokens = append(m.Tokens, t)
			}
			return one(m), nil
		},
	})
}

func newApproveClassCmd() *cobra.Command {
	var revoke bool
	return newMsgCmd(msgSpec{
		use: "approve-class OPERATOR CLASS", short: "Let an operator use and move all your tokens of a class (approveForClass)",
		args: cobra.ExactArgs(2), example: "  lazchain tx dat approve-class carol 1 --from bob\n  lazchain tx dat approve-class carol 1 --revoke --from bob",
		flags: func(cmd *cobra.Command) {
			cmd.Flags().BoolVar(&revoke, "revoke", false, "withdraw the approval")
		},
		build: func(cmd *cobra.Command, from tx.Address, args []string) ([]proto.Message, error) {
			op, err := resolveAddress(cmd, args[0])
			if err != nil {
				return nil, fmt.Errorf("OPERATOR: %w", err)
			}
			class, err := parseID("CLASS", args[1])
			if err != nil {
				return nil, err
			}
			return one(&dat.MsgApproveForClass{From: from.String(), Operator: op.String(), Class: class, Approved: !revoke}), nil
		},
	})
}

func newApproveValueCmd() *cobra.Command {
	return newMsgCmd(msgSpec{
		use: "approve-value TOKEN OPERATOR VALUE", short: "Let an operator move or use up to VALUE of a token (0 withdraws)",
		args: cobra.ExactArgs(3), example: "  lazchain tx dat approve-value 3 carol 50 --from bob",
		build: func(cmd *cobra.Command, from tx.Address, args []string) ([]proto.Message, error) {
			t, err := parseID("TOKEN", args[0])
			if err != nil {
				return nil, err
			}
			op, err := resolveAddress(cmd, args[1])
			if err != nil {
				return nil, fmt.Errorf("OPERATOR: %w", err)
			}
			v, err := parseUint("VALUE", args[2])
			if err != nil {
				return nil, err
			}
			return one(&dat.MsgApproveValue{From: from.String(), Token: t, Operator: op.String(), Value: v}), nil
		},
	})
}

func newRecordUsageCmd() *cobra.Command {
	var metric string
	var idaoID uint64
	return newMsgCmd(msgSpec{
		use:   "record-usage TOKEN AMOUNT",
		short: "Consume AMOUNT units of a token's quota (recordUsage)",
		long: `Record usage of a token: its value goes down by AMOUNT and never below zero.
The signer must own the token, be an approved operator, hold an allowance, be
a service the class allows, or (with --idao) act for an iDAO: an iDAO other
than the class's must hold an active agreement, whose price the signer pays.`,
		args: cobra.ExactArgs(2), example: "  lazchain tx dat record-usage 3 10 --metric inference --from bob",
		flags: func(cmd *cobra.Command) {
			cmd.Flags().StringVar(&metric, "metric", "inference", "what was used: inference, training, …")
			cmd.Flags().Uint64Var(&idaoID, "idao", 0, "iDAO the usage is recorded for (the signer must be a member)")
		},
		build: func(_ *cobra.Command, from tx.Address, args []string) ([]proto.Message, error) {
			t, err := parseID("TOKEN", args[0])
			if err != nil {
				return nil, err
			}
			n, err := parsePositive("AMOUNT", args[1])
			if err != nil {
				return nil, err
			}
			return one(&dat.MsgRecordUsage{From: from.String(), Token: t, Metric: metric, Amount: n, Idao: idaoID}), nil
		},
	})
}

func newSettleRevenueCmd() *cobra.Command {
	return newMsgCmd(msgSpec{
		use:   "settle-revenue CLASS AMOUNT",
		short: "Pay LAZ to a class's holders (settleRevenue)",
		long: `Pay AMOUNT (like 100laz) from the signer to the holders of CLASS, in
proportion to their share ratios; lineage splits go up to the class's parents
first. The cost does not depend on the number of holders: each claims later.`,
		args: cobra.ExactArgs(2), example: "  lazchain tx dat settle-revenue 1 100laz --from carol",
		build: func(_ *cobra.Command, from tx.Address, args []string) ([]proto.Message, error) {
			class, err := parseID("CLASS", args[0])
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
			return one(&dat.MsgSettleRevenue{From: from.String(), Class: class, Amount: tx.FormatBaseUnits(n)}), nil
		},
	})
}

func newClaimCmd() *cobra.Command {
	return newMsgCmd(msgSpec{
		use: "claim TOKEN", short: "Claim a token's pending revenue (claim)",
		args: cobra.ExactArgs(1), example: "  lazchain tx dat claim 3 --from bob",
		build: func(_ *cobra.Command, from tx.Address, args []string) ([]proto.Message, error) {
			t, err := parseID("TOKEN", args[0])
			if err != nil {
				return nil, err
			}
			return one(&dat.MsgClaim{From: from.String(), Token: t}), nil
		},
	})
}

func newClaimAllCmd() *cobra.Command {
	return newMsgCmd(msgSpec{
		use: "claim-all", short: "Claim the pending revenue of every token you own (claimAll)",
		args: cobra.NoArgs, example: "  lazchain tx dat claim-all --from bob",
		build: func(_ *cobra.Command, from tx.Address, _ []string) ([]proto.Message, error) {
			return one(&dat.MsgClaimAll{From: from.String()}), nil
		},
	})
}

func newAddProofCmd() *cobra.Command {
	var token uint64
	var typ, uri, digest string
	return newMsgCmd(msgSpec{
		use:   "add-proof CLASS",
		short: "Record a proof about a class or one of its tokens (addProof)",
		long:  "Types: tee_report, zk_proof, op_claim. The chain stores the record; verifying it comes with verified computing.",
		args:  cobra.ExactArgs(1), example: "  lazchain tx dat add-proof 1 --type tee_report --uri ipfs://… --digest <sha256> --from alice",
		flags: func(cmd *cobra.Command) {
			cmd.Flags().Uint64Var(&token, "token", 0, "token of the class the proof is about (default: the class)")
			cmd.Flags().StringVar(&typ, "type", "", "tee_report, zk_proof or op_claim (required)")
			cmd.Flags().StringVar(&uri, "uri", "", "where the proof is (required)")
			cmd.Flags().StringVar(&digest, "digest", "", "SHA-256 of the proof, 64 hex digits (required)")
		},
		build: func(_ *cobra.Command, from tx.Address, args []string) ([]proto.Message, error) {
			class, err := parseID("CLASS", args[0])
			if err != nil {
				return nil, err
			}
			if typ == "" || uri == "" || digest == "" {
				return nil, fmt.Errorf("--type, --uri and --digest are required")
			}
			return one(&dat.MsgAddProof{From: from.String(), Class: class, Token: token, Type: typ, Uri: uri, Digest: digest}), nil
		},
	})
}
