package main

import (
	"fmt"
	"io"
	"runtime"

	cmtversion "github.com/cometbft/cometbft/version"
	"github.com/spf13/cobra"

	"github.com/lazchain/lazchain/app"
	"github.com/lazchain/lazchain/client"
	"github.com/lazchain/lazchain/tx"
)

// statusView is what `lazchain status` reports: the node's status, its
// peer count and, when its consensus key is a staking validator's, that
// validator.
type statusView struct {
	*client.Status
	Peers int `json:"peers"`
	// Staking is the validator whose consensus key this node holds; null
	// when the key is no validator's.
	Staking *nodeStaking `json:"staking"`
}

// nodeStaking is the node's validator as the staking module sees it.
type nodeStaking struct {
	IDAO uint64 `json:"idao"`
	// Status is "bonded" (in the set CometBFT runs with), "jailed" or
	// "unbonded".
	Status      string `json:"status"`
	Power       int64  `json:"power"`
	Tokens      string `json:"tokens"`
	SelfBond    string `json:"self_bond"`
	Missed      uint32 `json:"missed_blocks"`
	Jailed      bool   `json:"jailed"`
	JailedUntil int64  `json:"jailed_until,omitempty"`
}

func newStatusCmd() *cobra.Command {
	return &cobra.Command{
		Use: "status", Short: "The node's chain, height, sync state, peers and staking validator", Args: cobra.NoArgs,
		Long: `Show what --node says of itself: chain, node id, latest block, whether it is
catching up, its peer count and its consensus key's address and power; and,
when that key is a staking validator's, the validator: its iDAO, status
(bonded, jailed or unbonded), bonded tokens and missed blocks.`,
		Example: "  lazchain status\n  lazchain status --node tcp://127.0.0.1:26657 -o json",
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := dial(cmd)
			if err != nil {
				return err
			}
			st, err := c.Status(cmd.Context())
			if err != nil {
				return err
			}
			ni, err := c.RPC().NetInfo(cmd.Context())
			if err != nil {
				return fmt.Errorf("node peers: %w", err)
			}
			view := statusView{Status: st, Peers: ni.NPeers}
			v, ok, err := c.ValidatorByConsensusAddress(cmd.Context(), st.ValidatorAddress, 0)
			if err != nil {
				return fmt.Errorf("the node's staking validator: %w", err)
			}
			if ok {
				view.Staking = &nodeStaking{
					IDAO: v.Validator.Idao, Status: v.Status, Power: v.Power, Tokens: tx.FormatBaseUnits(v.Validator.Tokens),
					SelfBond: tx.FormatBaseUnits(v.SelfBond), Missed: v.Missed, Jailed: v.Validator.Jailed,
				}
				if v.Validator.Jailed {
					view.Staking.JailedUntil = v.Validator.JailedUntil
				}
			}
			return emit(cmd, view, func(w io.Writer) {
				fmt.Fprintf(w, "chain        %s\nnode         %s (%s)\nheight       %d at %s\nblock hash   %s\napp hash     %s\ncatching up  %v\npeers        %d\nvalidator    %s (power %d)\n",
					st.ChainID, st.Moniker, st.NodeID, st.LatestHeight, st.LatestBlockTime.Format("2006-01-02 15:04:05 MST"),
					st.LatestBlockHash, st.LatestAppHash, st.CatchingUp, view.Peers, st.ValidatorAddress, st.ValidatorPower)
				if !ok {
					fmt.Fprintf(w, "staking      not a staking validator (create one with `lazchain tx staking create-validator --home-key`)\n")
					return
				}
				fmt.Fprintf(w, "staking      iDAO %d, %s, power %d\n  bonded     %s, self-bond %s\n  missed     %d blocks in the downtime window\n",
					v.Validator.Idao, v.Status, v.Power, lazText(v.Validator.Tokens), lazText(v.SelfBond), v.Missed)
				if v.Validator.Jailed {
					fmt.Fprintf(w, "  jailed     until height %d (then: lazchain tx staking unjail %d)\n", v.Validator.JailedUntil, v.Validator.Idao)
				}
			})
		},
	}
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use: "version", Short: "Versions of LazChain, its protocol, CometBFT and Go", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := map[string]any{"lazchain": app.Version, "app_protocol": app.AppVersion, "cometbft": cmtversion.CMTSemVer, "go": runtime.Version()}
			return emit(cmd, v, func(w io.Writer) {
				fmt.Fprintf(w, "lazchain %s (app protocol %d), CometBFT %s, %s\n", app.Version, app.AppVersion, cmtversion.CMTSemVer, runtime.Version())
			})
		},
	}
}
