package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/lazchain/lazchain/client"
)

// Global flags, on every command.
const (
	flagHome   = "home"
	flagNode   = "node"
	flagOutput = "output"
)

// exitError ends the process with a code after its message was printed.
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func defaultHome() string {
	if h := os.Getenv("LAZCHAIN_HOME"); h != "" {
		return h
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".lazchain")
	}
	return ".lazchain"
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "lazchain",
		Short: "LazChain: an AI data network on a CometBFT chain",
		Long: `LazChain is one binary that is a node, a local devnet and a client.

Start a local chain with one validator, funded test keys and the HTTP API:
  lazchain devnet

Then, from another terminal:
  lazchain query bank balance alice
  lazchain tx bank send alice bob 12.5laz

Every command takes --home (the node's directory, default $LAZCHAIN_HOME or
~/.lazchain), --node (a node's CometBFT RPC address) and --output text|json.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			switch o, _ := cmd.Flags().GetString(flagOutput); o {
			case "text", "json":
				return nil
			default:
				return fmt.Errorf("--output %q: want text or json", o)
			}
		},
	}
	root.PersistentFlags().String(flagHome, defaultHome(), "node home directory (config, data, keys)")
	root.PersistentFlags().String(flagNode, client.DefaultNode, "CometBFT RPC address of the node to talk to")
	root.PersistentFlags().StringP(flagOutput, "o", "text", "output format: text or json")
	root.AddCommand(
		newInitCmd(),
		newStartCmd(),
		newDevnetCmd(),
		newGenesisCmd(),
		newKeysCmd(),
		newTxCmd(),
		newQueryCmd(),
		newStatusCmd(),
		newBenchCmd(),
		newWorkerCmd(),
		newTestnetCmd(),
		newJoinCmd(),
		newDataCmd(),
		newModelCmd(),
		newServiceCmd(),
		newVersionCmd(),
	)
	return root
}

func homeFlag(cmd *cobra.Command) string {
	h, _ := cmd.Flags().GetString(flagHome)
	return h
}

func jsonOutput(cmd *cobra.Command) bool {
	o, _ := cmd.Flags().GetString(flagOutput)
	return o == "json"
}

// dial connects to --node.
func dial(cmd *cobra.Command) (*client.Client, error) {
	addr, _ := cmd.Flags().GetString(flagNode)
	c, err := client.Dial(addr)
	if err != nil {
		return nil, fmt.Errorf("--node: %w", err)
	}
	return c, nil
}

// emit prints v as indented JSON with --output json, or calls text.
func emit(cmd *cobra.Command, v any, text func(w io.Writer)) error {
	w := cmd.OutOrStdout()
	if jsonOutput(cmd) {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	text(w)
	return nil
}
