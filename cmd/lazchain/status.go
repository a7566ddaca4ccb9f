package main

import (
	"fmt"
	"io"
	"runtime"

	cmtversion "github.com/cometbft/cometbft/version"
	"github.com/spf13/cobra"

	"github.com/lazchain/lazchain/app"
)

func newStatusCmd() *cobra.Command {
	return &cobra.Command{
		Use: "status", Short: "The node's chain, height and sync state", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := dial(cmd)
			if err != nil {
				return err
			}
			st, err := c.Status(cmd.Context())
			if err != nil {
				return err
			}
			return emit(cmd, st, func(w io.Writer) {
				fmt.Fprintf(w, "chain        %s\nnode         %s (%s)\nheight       %d at %s\nblock hash   %s\napp hash     %s\ncatching up  %v\nvalidator    %s (power %d)\n",
					st.ChainID, st.Moniker, st.NodeID, st.LatestHeight, st.LatestBlockTime.Format("2006-01-02 15:04:05 MST"),
					st.LatestBlockHash, st.LatestAppHash, st.CatchingUp, st.ValidatorAddress, st.ValidatorPower)
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
