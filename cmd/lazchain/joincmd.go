package main

import (
	"encoding/hex"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/lazchain/lazchain/node"
)

func newJoinCmd() *cobra.Command {
	var o node.JoinOptions
	var trustHash string
	cmd := &cobra.Command{
		Use:   "join",
		Short: "Make --home a full node of a running network",
		Long: `Make a new home a full node of the network that --peer runs: its genesis
comes from the peer, the peers become its persistent peers, and with
--state-sync it restores the latest state snapshot the peers serve (checked
by CometBFT's light client against a trusted header, then chunk by chunk
and against the app hash) instead of replaying every block, then follows
new blocks. Start it with lazchain start --home DIR.

Without --trust-hash the first peer's latest header is trusted: fine for a
test network, but pin a header you got out of band on any other.`,
		Example: `  lazchain join --home ./full --peer tcp://127.0.0.1:26601 --peer tcp://127.0.0.1:26611 --state-sync \
      --rpc-addr 127.0.0.1:26651 --p2p-addr 127.0.0.1:26650 --api-addr 127.0.0.1:8090
  lazchain start --home ./full`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if trustHash != "" {
				b, err := hex.DecodeString(trustHash)
				if err != nil || len(b) != 32 {
					return fmt.Errorf("--trust-hash %q: want the 64 hex digits of a block hash", trustHash)
				}
				o.TrustHash = b
			}
			res, err := node.Join(cmd.Context(), homeFlag(cmd), o)
			if err != nil {
				return err
			}
			return emit(cmd, res, func(w io.Writer) {
				how := "replaying every block from the peers"
				if o.StateSync {
					how = "restoring the peers' latest state snapshot, then following blocks"
				}
				fmt.Fprintf(w, "Joined chain %s as node %s in %s; it will sync by %s.\nStart it: lazchain start --home %s\n", res.ChainID, res.NodeID, res.Home, how, res.Home)
			})
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&o.Peers, "peer", nil, "RPC address of a running node of the network (repeatable; two for state sync)")
	f.StringVar(&o.Moniker, "moniker", "full-node", "this node's name")
	f.StringVar(&o.RPCAddr, "rpc-addr", "127.0.0.1:26657", "host:port of this node's RPC")
	f.StringVar(&o.P2PAddr, "p2p-addr", "0.0.0.0:26656", "host:port of this node's p2p listener")
	f.StringVar(&o.APIAddr, "api-addr", "127.0.0.1:8080", "host:port of this node's HTTP API")
	f.DurationVar(&o.BlockTime, "block-time", time.Second, "pause after each block (as the network's)")
	f.BoolVar(&o.StateSync, "state-sync", false, "restore from the peers' state sync snapshots")
	f.Int64Var(&o.TrustHeight, "trust-height", 0, "with --state-sync: height of the trusted header (0: the peer's latest)")
	f.StringVar(&trustHash, "trust-hash", "", "with --state-sync: hash of the trusted header")
	f.DurationVar(&o.TrustPeriod, "trust-period", 7*24*time.Hour, "with --state-sync: how long the trusted header may be used")
	return cmd
}
