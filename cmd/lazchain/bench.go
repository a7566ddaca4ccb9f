package main

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/lazchain/lazchain/bench"
)

func newBenchCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "bench", Short: "Measure the node's throughput"}
	cmd.AddCommand(newBenchTransfersCmd())
	return cmd
}

func newBenchTransfersCmd() *cobra.Command {
	var o bench.Options
	cmd := &cobra.Command{
		Use:   "transfers",
		Short: "Committed tx/s and latency of signed bank transfers (or DAT transferValues), beside CometBFT's kvstore",
		Long: `Start a single-validator LazChain node in this process, fund --accounts
accounts in genesis, sign --txs bank transfers (before the timed window),
broadcast them from --concurrency goroutines with BroadcastTxSync through
CometBFT's RPC (--transport http, over loopback, as clients send them; or
--transport local, in-process), and time each from its broadcast to the commit of
its block. Then do the same with CometBFT's bundled kvstore app, on a node
with the same config.toml and consensus parameters, with unique 200-byte
key=value txs. Every transfer must commit with code 0, and the accounts'
nonces and balances, the fees and the supply are checked at the end.

With --workload dat-transfer-value, the LazChain accounts send DAT
transferValue txs (ERC-8028) instead of bank transfers: genesis also seeds
one iDAO and one DAT class owned by it, with two tokens of 1,000,000 units
for each account, and each account moves 1 unit from one of its tokens to
the other, alternating direction, in nonce order. Nothing but the txs being
measured is sent in the timed window. Every transferValue must commit with
code 0; the accounts' nonces, balances (fees only), the fees and the supply
are checked as for transfers, and so is every token's value, each account's
pair summing to what genesis minted. The kvstore run is the same for both
workloads, so the two LazChain figures can be set side by side.

With --validators N (N > 1) the LazChain run uses a real network of N
validators instead of one node: their homes are written as by lazchain
testnet (each validator's iDAO bonds stake in genesis, so all N vote), with
the same funded accounts and block time, and every node runs in this process
on loopback ports. Once all are at height 2 and connected to each other, the
transfers go to node 0's RPC (which gossips them; with --spread, account i's
to node i mod N) and commits are timed on node 0; the state is checked there
as for one node, the fees wherever staking rewards moved them. The kvstore
reference stays a single node. Only --workload transfers runs on a network.

The node homes go in a temporary directory removed afterwards, or, with
--home DIR, in DIR/lazchain and DIR/kvstore (and DIR/testnet/nodeI with
--validators), kept for inspection. Progress
goes to stderr; the result to stdout (--output json for a machine-readable
one).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Flags().Changed(flagHome) {
				o.Dir = homeFlag(cmd)
			}
			o.Progress = cmd.ErrOrStderr()
			res, err := bench.Run(cmd.Context(), o)
			// A run that failed a check still prints what it measured.
			if res != nil && (res.LazChain != nil || res.KVStore != nil) {
				if perr := emit(cmd, res, func(w io.Writer) { printBench(w, res) }); perr != nil && err == nil {
					err = perr
				}
			}
			return err
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.Txs, "txs", bench.DefaultTxs, "transfers to send (and kvstore txs)")
	f.IntVar(&o.Accounts, "accounts", bench.DefaultAccounts, "funded accounts sending them, each its own txs in nonce order")
	f.IntVar(&o.Concurrency, "concurrency", bench.DefaultConcurrency, "goroutines broadcasting")
	f.DurationVar(&o.BlockTime, "block-time", bench.DefaultBlockTime, "pause after each block (CometBFT timeout_commit) for both nodes; 0 for none")
	f.Int64Var(&o.BlockMaxGas, "block-max-gas", 0, "genesis block.max_gas for both nodes: 0 keeps what lazchain init writes, -1 is no limit")
	f.BoolVar(&o.SkipKVStore, "skip-kvstore", false, "run LazChain only")
	f.IntVar(&o.Validators, "validators", bench.DefaultValidators, "validators of the LazChain chain: 1 is a single node; more starts a network of them in this process on loopback (the kvstore reference stays one node)")
	f.BoolVar(&o.Spread, "spread", false, "with --validators N > 1, send account i's txs to node i mod N instead of all to node 0")
	f.StringVar(&o.Workload, "workload", bench.DefaultWorkload, "what the LazChain accounts send: transfers (bank transfers) or dat-transfer-value (DAT transferValue between two of the sender's tokens, seeded in genesis)")
	f.StringVar(&o.Transport, "transport", bench.DefaultTransport, "how txs reach the nodes: http (CometBFT's JSON-RPC over loopback, as clients send them) or local (in-process RPC client: the node's own cost alone)")
	return cmd
}

func printBench(w io.Writer, r *bench.Result) {
	s := r.Settings
	if s.Validators > 1 {
		fmt.Fprintf(w, "lazchain: %d validators on loopback in this process, commits timed on node 0; kvstore: single validator (reference)\n", s.Validators)
	} else {
		fmt.Fprintln(w, "single validator (lazchain and kvstore)")
	}
	fmt.Fprintf(w, "broadcast: %s\n", s.Broadcast)
	fmt.Fprintf(w, "%d txs from %d accounts, %d broadcasting goroutines, block time %s; %d CPUs, %s\n",
		s.Txs, s.Accounts, s.Concurrency, s.BlockTime, s.CPUs, s.GoVersion)
	nodes := "both nodes"
	if s.Validators > 1 {
		nodes = "every node"
	}
	fmt.Fprintf(w, "%s: mempool size %d, cache %d, recheck %v, indexer %s, db %s, block max bytes %d, block max gas %d\n",
		nodes, s.MempoolSize, s.MempoolCacheSize, s.MempoolRecheck, s.TxIndexer, s.DBBackend, s.MaxBlockBytes, s.MaxBlockGas)
	if s.Workload == bench.WorkloadDATTransferValue {
		fmt.Fprintf(w, "lazchain workload: DAT transferValue, 1 unit between two genesis tokens of the sender's, alternating direction (%s)\n", s.Workload)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "app\tvalidators\ttxs\tbytes/tx\tseconds\tcommitted tx/s\tp50\tp99\tblocks\ttxs/block\tfailed\tcpu\t")
	for _, a := range []*bench.AppResult{r.LazChain, r.KVStore} {
		if a == nil {
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.0f\t%.2f\t%.0f\t%s\t%s\t%d\t%.0f\t%d\t%.0f%%\t\n",
			a.App, a.Validators, a.Txs, a.MeanTxBytes, a.Seconds, a.TxPerSec, ms(a.P50), ms(a.P99), a.Blocks, a.MeanTxsPerBlock, a.Failed, a.CPUPercent)
	}
	tw.Flush()
	fmt.Fprintln(w, "(seconds: first broadcast to last commit; p50/p99: broadcast to commit; cpu: process CPU over the window, 100% = one core)")
	if l := r.LazChain; l != nil {
		noun := "transfer"
		if s.Workload == bench.WorkloadDATTransferValue {
			noun = "transferValue"
		}
		if l.Signing != nil {
			fmt.Fprintf(w, "\n%s signing: %d txs in %.2fs on %d goroutines (%.0f tx/s), before the timed window, not in it\n",
				l.App, l.Signing.Txs, l.Signing.Seconds, l.Signing.Workers, l.Signing.TxPerSec)
		}
		if v := l.Verified; v != nil && v.NoncesOK && v.BalancesOK && v.SupplyOK {
			where := ""
			if s.Validators > 1 {
				where = " (fee collector, staking rewards escrow and validator iDAO treasuries)"
			}
			fmt.Fprintf(w, "%s state: %d accounts' nonces and balances as expected, %d ulaz of fees collected%s, supply unchanged\n",
				l.App, v.Accounts, v.FeesCollected, where)
		}
		if v := l.Verified; v != nil && v.DATTokensOK {
			fmt.Fprintf(w, "%s state: %d DAT tokens' values as expected, each account's pair summing to its genesis value, class total unchanged\n",
				l.App, v.DATTokens)
		}
		if g := s.MaxBlockGas; g > 0 && l.GasPerTx > 0 && uint64(l.MaxTxsPerBlock) >= uint64(g)/l.GasPerTx {
			fmt.Fprintf(w, "%s blocks were capped by block max gas: %d / %d gas per %s = %d %ss a block (--block-max-gas -1 lifts it)\n",
				l.App, g, l.GasPerTx, noun, uint64(g)/l.GasPerTx, noun)
		}
	}
	switch {
	case r.LazChain != nil && r.KVStore != nil && r.LazChain.Validators > 1:
		fmt.Fprintf(w, "\n%s (%d validators) / kvstore (one) = %.2f: not comparable with the single-node target, every node executes every tx on the same CPUs\n",
			r.LazChain.App, r.LazChain.Validators, r.Ratio)
	case r.LazChain != nil && r.KVStore != nil:
		fmt.Fprintf(w, "\n%s / kvstore = %.2f (target ≥ %.2f)\n", r.LazChain.App, r.Ratio, r.Target)
	}
}

// ms renders milliseconds as a duration.
func ms(v float64) string {
	return time.Duration(v * float64(time.Millisecond)).Round(time.Millisecond).String()
}
