package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/lazchain/lazchain/node"
)

func newTestnetCmd() *cobra.Command {
	var o node.TestnetOptions
	var out, selfBond string
	cmd := &cobra.Command{
		Use:   "testnet",
		Short: "Write the homes of a multi-validator network on this machine",
		Long: `Write --validators node homes under --output (node0, node1, …) that share
one genesis: each node's operator (a test-only key named "operator" in that
node's keyring) creates an iDAO with the validator role, and the iDAO bonds
--self-bond with the node's consensus key, so the validator set is chosen by
the staking module from the start. Every node lists the others as
persistent peers on loopback; node i listens for p2p on --base-port+10i, for
RPC on +1 and for the HTTP API on +2.

Start each node in its own process:

  lazchain start --home DIR/node0
  lazchain start --home DIR/node1   …

The operator keys are stored unencrypted: a testnet is for testing.`,
		Example: `  lazchain testnet --validators 4 --output ./testnet
  lazchain testnet --validators 4 --output ./testnet --base-port 36600 --block-time 500ms`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return fmt.Errorf("--output DIR is required: where the node homes go")
			}
			bond, err := parseLAZ("--self-bond", selfBond)
			if err != nil {
				return err
			}
			o.SelfBond = bond
			nodes, err := node.Testnet(out, o)
			if err != nil {
				return err
			}
			manifest, err := json.MarshalIndent(map[string]any{"chain_id": o.ChainID, "nodes": nodes}, "", "  ")
			if err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(out, "testnet.json"), manifest, 0o644); err != nil {
				return err
			}
			func(w io.Writer) {
				fmt.Fprintf(w, "Wrote %d validator homes of chain %s in %s:\n", len(nodes), o.ChainID, out)
				for _, n := range nodes {
					fmt.Fprintf(w, "  %-13s %s  p2p %s  rpc %s  api %s  iDAO %d  operator %s\n", n.Moniker, n.Home, n.P2P, n.RPC, n.API, n.IDAO, n.Operator)
				}
				fmt.Fprintf(w, "\nStart each in its own terminal: lazchain start --home %s/node0 (… node%d)\n", out, len(nodes)-1)
				fmt.Fprintf(w, "The nodes' addresses and operators are also in %s, for scripts.\n", filepath.Join(out, "testnet.json"))
			}(cmd.OutOrStdout())
			return nil
		},
		// --output is this command's directory, not the output format.
		PersistentPreRunE: func(*cobra.Command, []string) error { return nil },
	}
	cmd.Flags().IntVar(&o.Validators, "validators", 4, "number of validator nodes")
	cmd.Flags().StringVar(&out, "output", "", "directory to write the node homes into (must be new or empty)")
	cmd.Flags().IntVar(&o.BasePort, "base-port", 26600, "first port: node i uses base+10i (p2p), +1 (RPC), +2 (API)")
	cmd.Flags().StringVar(&o.ChainID, "chain-id", "lazchain-testnet", "chain id")
	cmd.Flags().StringVar(&o.Host, "host", "127.0.0.1", "address the nodes listen on and dial each other at")
	cmd.Flags().DurationVar(&o.BlockTime, "block-time", time.Second, "pause after each block")
	cmd.Flags().StringVar(&selfBond, "self-bond", "1000laz", "what each validator iDAO bonds at genesis")
	cmd.Flags().Uint64Var(&o.SnapshotInterval, "snapshot-interval", 100, "every node takes a state sync snapshot every this many blocks (0: none)")
	cmd.Flags().IntVar(&o.SnapshotKeepRecent, "snapshot-keep", 5, "how many of its latest snapshots each node keeps for joining nodes")
	return cmd
}
