package main

import (
	"encoding/hex"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/lazchain/lazchain/client"
	"github.com/lazchain/lazchain/tx"
)

func newQueryCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "query",
		Aliases: []string{"q"},
		Short:   "Read chain state, txs and blocks from --node",
		Long: `Read from the node at --node. Where an ADDRESS is wanted, a key name of the
home's keyring works too. --height reads an earlier committed state (0: latest).`,
	}
	cmd.PersistentFlags().Int64("height", 0, "read the state committed at this height (0: latest)")
	bankCmd := &cobra.Command{Use: "bank", Short: "Balances and supply"}
	bankCmd.AddCommand(
		&cobra.Command{
			Use: "balance ADDRESS", Short: "An account's LAZ balance", Args: cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				addr, c, err := addressAndClient(cmd, args[0])
				if err != nil {
					return err
				}
				bal, h, err := c.Balance(cmd.Context(), addr, heightFlag(cmd))
				if err != nil {
					return err
				}
				out := map[string]any{"address": addr, "amount": tx.FormatBaseUnits(bal), "height": h}
				return emit(cmd, out, func(w io.Writer) {
					fmt.Fprintf(w, "%s has %s (%d ulaz) at height %d\n", addr, tx.FormatAmount(bal), bal, h)
				})
			},
		},
		&cobra.Command{
			Use: "supply", Short: "Total LAZ supply and fees collected", Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				c, err := dial(cmd)
				if err != nil {
					return err
				}
				s, h, err := c.Supply(cmd.Context(), heightFlag(cmd))
				if err != nil {
					return err
				}
				return emit(cmd, s, func(w io.Writer) {
					sup, _ := tx.ParseBaseUnits(s.Supply)
					fees, _ := tx.ParseBaseUnits(s.FeesCollected)
					fmt.Fprintf(w, "supply          %s (%d ulaz) at height %d\nfees collected  %s in %s\n", tx.FormatAmount(sup), sup, h, tx.FormatAmount(fees), s.FeeCollector)
				})
			},
		},
		newBalancesCmd(),
	)
	queryFlow := newQueryFlowCmd()
	queryFlow.AddCommand(newQueryModelCmd(), newQueryModelsCmd())
	cmd.AddCommand(bankCmd, newQueryIDAOCmd(), newQueryDATCmd(), queryFlow, newQueryComputeCmd(), newQueryStakingCmd(), newQueryServiceCmd(), newAccountCmd(), newTxQueryCmd(), newBlockCmd(), newProofCmd(), newParamsCmd())
	return cmd
}

// addressAndClient resolves an ADDRESS argument and dials --node.
func addressAndClient(cmd *cobra.Command, arg string) (tx.Address, *client.Client, error) {
	addr, err := resolveAddress(cmd, arg)
	if err != nil {
		return tx.Address{}, nil, fmt.Errorf("ADDRESS: %w", err)
	}
	c, err := dial(cmd)
	return addr, c, err
}

func heightFlag(cmd *cobra.Command) int64 {
	h, _ := cmd.Flags().GetInt64("height")
	return h
}

func newBalancesCmd() *cobra.Command {
	var after string
	var limit int
	cmd := &cobra.Command{
		Use: "balances", Short: "Every account's balance, a page at a time", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := dial(cmd)
			if err != nil {
				return err
			}
			page, err := c.Balances(cmd.Context(), after, limit, heightFlag(cmd))
			if err != nil {
				return err
			}
			return emit(cmd, page, func(w io.Writer) {
				for _, b := range page.Balances {
					v, _ := tx.ParseBaseUnits(b.Amount)
					fmt.Fprintf(w, "%s  %s\n", b.Address, tx.FormatAmount(v))
				}
				if page.Next != "" {
					fmt.Fprintf(w, "(more: --after %s)\n", page.Next)
				}
			})
		},
	}
	cmd.Flags().StringVar(&after, "after", "", "start after this address (from the previous page)")
	cmd.Flags().IntVar(&limit, "limit", 100, "accounts per page (at most 1000)")
	return cmd
}

func newAccountCmd() *cobra.Command {
	return &cobra.Command{
		Use: "account ADDRESS", Short: "An account's nonce (committed, and counting the mempool)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			addr, c, err := addressAndClient(cmd, args[0])
			if err != nil {
				return err
			}
			acct, h, err := c.Account(cmd.Context(), addr, heightFlag(cmd))
			if err != nil {
				return err
			}
			pending, err := c.PendingNonce(cmd.Context(), addr)
			if err != nil {
				return err
			}
			out := map[string]any{"address": addr, "nonce": acct.Nonce, "pending_nonce": pending, "height": h}
			return emit(cmd, out, func(w io.Writer) {
				fmt.Fprintf(w, "%s\n  nonce          %d (next tx, committed at height %d)\n  pending nonce  %d (counting txs in the mempool)\n", addr, acct.Nonce, h, pending)
			})
		},
	}
}

func newTxQueryCmd() *cobra.Command {
	return &cobra.Command{
		Use: "tx HASH", Short: "A committed tx: result, gas, fee, messages, events", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := dial(cmd)
			if err != nil {
				return err
			}
			r, err := c.Tx(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return emit(cmd, r, func(w io.Writer) {
				printTxResult(w, r)
				for i, m := range r.Messages {
					fmt.Fprintf(w, "  message %d  %s\n", i, m)
				}
			})
		},
	}
}

func newBlockCmd() *cobra.Command {
	return &cobra.Command{
		Use: "block [HEIGHT]", Short: "A block's header and tx hashes (default: the latest)", Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var h int64
			if len(args) == 1 {
				var err error
				if h, err = strconv.ParseInt(args[0], 10, 64); err != nil || h <= 0 {
					return fmt.Errorf("HEIGHT %q: want a positive block height", args[0])
				}
			}
			c, err := dial(cmd)
			if err != nil {
				return err
			}
			b, err := c.Block(cmd.Context(), h)
			if err != nil {
				return err
			}
			return emit(cmd, b, func(w io.Writer) {
				fmt.Fprintf(w, "block %d  %s\n  time      %s\n  proposer  %s\n  app hash  %s (state after block %d)\n  txs       %d\n",
					b.Height, b.Hash, b.Time.Format("2006-01-02 15:04:05.000 MST"), b.Proposer, b.AppHash, b.Height-1, b.NumTxs)
				for _, t := range b.TxHashes {
					fmt.Fprintf(w, "    %s\n", t)
				}
			})
		},
	}
}

func newProofCmd() *cobra.Command {
	var lightMode bool
	var lo client.LightOptions
	var trustHash string
	cmd := &cobra.Command{
		Use:   "proof KEY",
		Short: "A state value with its ICS23 proof, verified here against a signed header",
		Long: `Read one state key with a Merkle proof and verify it on this machine: the
header that commits to the state must be signed by more than 2/3 of its
validators, and the ICS23 proof must lead from the key and value (or the
key's absence) to the header's app hash.

Without --light, the validator set is the one the node reports for that
height. With --light, CometBFT's light client verifies the header from a
trusted header instead (--trust-height/--trust-hash; without a hash the
header at --trust-height is trusted on first use, and the output says so),
following validator-set changes by signatures alone and cross-checking
--witness nodes, so the node is trusted for nothing. Verified headers are
kept under HOME/light, so later proofs start from the newest one.

KEY is one of: ` + client.StateKeyForms,
		Example: "  lazchain query proof bank/balance/0x3f5CE5FBFe3E9af3971dD833D26bA9b5C936f0bE\n  lazchain query proof bank/supply --height 10\n  lazchain query proof bank/supply --light --trust-height 1 --trust-hash 5E0F…  --witness tcp://127.0.0.1:26757",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			key, err := parseProofKey(cmd, args[0])
			if err != nil {
				return err
			}
			c, err := dial(cmd)
			if err != nil {
				return err
			}
			var pv *client.ProvenValue
			var li *client.LightInfo
			if lightMode {
				if trustHash != "" {
					if lo.TrustHash, err = hex.DecodeString(trustHash); err != nil || len(lo.TrustHash) != 32 {
						return fmt.Errorf("--trust-hash %q: want the 64 hex digits of a block hash", trustHash)
					}
				}
				lo.Primary, _ = cmd.Flags().GetString(flagNode)
				if lo.StoreDir == "" {
					lo.StoreDir = filepath.Join(homeFlag(cmd), "light")
				}
				pv, li, err = c.ProveLight(cmd.Context(), key.Key, heightFlag(cmd), lo)
			} else {
				pv, err = c.Prove(cmd.Context(), key.Key, heightFlag(cmd))
			}
			if err != nil {
				return err
			}
			out := map[string]any{
				"key": hex.EncodeToString(pv.Key), "value": hexOrNil(pv.Value), "value_text": key.DescribeValue(pv.Value),
				"exists": pv.Value != nil, "height": pv.Height, "header_height": pv.HeaderHeight,
				"app_hash": strings.ToUpper(hex.EncodeToString(pv.AppHash)), "signed_power": pv.SignedPower,
				"total_power": pv.TotalPower, "proof": hex.EncodeToString(pv.Proof), "verified": true,
			}
			if li != nil {
				out["light_client"] = li
			}
			return emit(cmd, out, func(w io.Writer) {
				if li != nil {
					tofu := ""
					if li.TrustedOnFirstUse {
						tofu = " (trusted on first use: pin it with --trust-hash)"
					}
					fmt.Fprintf(w, "light   verified by CometBFT's light client from header %d %s%s, %d witnesses\n", li.TrustedHeight, li.TrustedHash, tofu, li.Witnesses)
				}
				what := "membership"
				if pv.Value == nil {
					what = "absence"
				}
				fmt.Fprintf(w, "key     %s (0x%x)\nvalue   %s\nstate   after block %d\nheader  block %d, app hash %X, signed by %d of %d voting power\nproof   ICS23 %s proof, %d bytes: VERIFIED\n",
					args[0], pv.Key, key.DescribeValue(pv.Value), pv.Height, pv.HeaderHeight, pv.AppHash, pv.SignedPower, pv.TotalPower, what, len(pv.Proof))
			})
		},
	}
	cmd.Flags().BoolVar(&lightMode, "light", false, "verify the header with CometBFT's light client from a trusted header")
	cmd.Flags().Int64Var(&lo.TrustHeight, "trust-height", 1, "with --light: height of the trusted header")
	cmd.Flags().StringVar(&trustHash, "trust-hash", "", "with --light: hash of the trusted header (hex); empty trusts it on first use")
	cmd.Flags().StringSliceVar(&lo.Witnesses, "witness", nil, "with --light: RPC address of a witness node (repeatable)")
	cmd.Flags().DurationVar(&lo.TrustPeriod, "trust-period", 14*24*time.Hour, "with --light: how long a trusted header may be used")
	cmd.Flags().StringVar(&lo.StoreDir, "light-store", "", "with --light: where verified headers are kept (default HOME/light)")
	return cmd
}

// parseProofKey reads KEY, letting a key name stand for an address.
func parseProofKey(cmd *cobra.Command, s string) (client.StateKey, error) {
	parts := strings.Split(s, "/")
	if len(parts) == 3 && !strings.HasPrefix(parts[2], "0x") {
		if addr, err := resolveAddress(cmd, parts[2]); err == nil {
			parts[2] = addr.String()
		}
	}
	k, err := client.ParseStateKey(strings.Join(parts, "/"))
	if err != nil {
		return k, fmt.Errorf("KEY: %w", err)
	}
	return k, nil
}

func hexOrNil(b []byte) any {
	if b == nil {
		return nil
	}
	return hex.EncodeToString(b)
}

func newParamsCmd() *cobra.Command {
	return &cobra.Command{
		Use: "params", Short: "The chain's tx parameters (minimum gas price, limits)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := dial(cmd)
			if err != nil {
				return err
			}
			p, err := c.Params(cmd.Context())
			if err != nil {
				return err
			}
			bz, err := protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true, Multiline: true}.Marshal(p)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), string(bz))
			return err
		},
	}
}
