package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/lazchain/lazchain/api"
	"github.com/lazchain/lazchain/keyring"
	"github.com/lazchain/lazchain/node"
	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/bank"
)

func newInitCmd() *cobra.Command {
	var chainID, moniker string
	var blockTime time.Duration
	cmd := &cobra.Command{
		Use:   "init --chain-id ID",
		Short: "Create a node home: config, validator and node keys, genesis",
		Long: `Create a new node home directory (--home) for chain --chain-id, with this
node as its only validator and no funded accounts. Fund accounts with
'lazchain genesis add-account' before the first 'lazchain start'.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			res, err := node.Init(homeFlag(cmd), node.InitOptions{ChainID: chainID, Moniker: moniker, BlockTime: blockTime})
			if err != nil {
				return err
			}
			return emit(cmd, res, func(w io.Writer) {
				fmt.Fprintf(w, "Initialised %s for chain %s\n  node id    %s\n  validator  %s\n  genesis    %s\n",
					res.Home, res.ChainID, res.NodeID, res.ValidatorAddress, res.Genesis)
				fmt.Fprintf(w, "Fund accounts with `lazchain genesis add-account ADDRESS AMOUNT --home %s`, then `lazchain start --home %s`.\n", res.Home, res.Home)
			})
		},
	}
	cmd.Flags().StringVar(&chainID, "chain-id", "", "the chain's id (required)")
	cmd.Flags().StringVar(&moniker, "moniker", "", "this node's name (default: the host name)")
	cmd.Flags().DurationVar(&blockTime, "block-time", time.Second, "pause after each block (CometBFT timeout_commit)")
	_ = cmd.MarkFlagRequired("chain-id")
	return cmd
}

func newGenesisCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "genesis", Short: "Edit a home's genesis before the chain starts"}
	cmd.AddCommand(&cobra.Command{
		Use:   "add-account ADDRESS|KEY AMOUNT",
		Short: "Fund an account in genesis (AMOUNT like 1000laz or 1000000000ulaz)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			addr, err := resolveAddress(cmd, args[0])
			if err != nil {
				return err
			}
			amount, err := tx.ParseAmount(args[1])
			if err != nil {
				return fmt.Errorf("AMOUNT: %w", err)
			}
			if err := node.AddGenesisAccount(homeFlag(cmd), addr, amount); err != nil {
				return err
			}
			out := bank.Balance{Address: addr, Amount: tx.FormatBaseUnits(amount)}
			return emit(cmd, out, func(w io.Writer) {
				fmt.Fprintf(w, "Genesis funds %s with %s\n", addr, tx.FormatAmount(amount))
			})
		},
	})
	return cmd
}

// nodeFlags are the listen addresses and block time start and devnet take.
type nodeFlags struct {
	rpc, p2p, api string
	blockTime     time.Duration
}

func (f *nodeFlags) register(cmd *cobra.Command, rpc, p2p, api string, blockTime time.Duration) {
	cmd.Flags().StringVar(&f.rpc, "rpc-addr", rpc, "host:port of CometBFT's RPC")
	cmd.Flags().StringVar(&f.p2p, "p2p-addr", p2p, "host:port of CometBFT's peer-to-peer listener")
	cmd.Flags().StringVar(&f.api, "api-addr", api, "host:port of the HTTP API")
	cmd.Flags().DurationVar(&f.blockTime, "block-time", blockTime, "pause after each block (0 keeps the home's setting)")
}

func newStartCmd() *cobra.Command {
	var f nodeFlags
	var invariants bool
	cmd := &cobra.Command{
		Use:   "start",
		Short: "Run the node of a home until interrupted",
		Long: `Run the node in --home: CometBFT, the LazChain application and the HTTP
API, in one process, until Ctrl-C or SIGTERM. Addresses left empty keep the
home's config.toml and app.toml settings.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, err := node.Start(homeFlag(cmd), node.StartOptions{
				RPCAddr: f.rpc, P2PAddr: f.p2p, APIAddr: f.api, BlockTime: f.blockTime,
				Metrics: true, CheckInvariants: invariants,
			})
			if err != nil {
				return err
			}
			return runUntilSignal(cmd.Context(), cmd, n)
		},
	}
	f.register(cmd, "", "", "", 0)
	cmd.Flags().BoolVar(&invariants, "check-invariants", false, "check every module invariant after every block (slow; for audits)")
	return cmd
}

// runUntilSignal waits for the command's context to end, then stops n.
func runUntilSignal(ctx context.Context, cmd *cobra.Command, n *node.Node) error {
	<-ctx.Done()
	height := n.App.Tree().Version()
	if err := n.Stop(); err != nil {
		return fmt.Errorf("stopping the node: %w", err)
	}
	if !jsonOutput(cmd) {
		fmt.Fprintf(cmd.ErrOrStderr(), "Stopped cleanly at height %d.\n", height)
	}
	return nil
}

// devnetMarker marks a home that `lazchain devnet` made, so --reset never
// deletes anything else.
const devnetMarker = "devnet.json"

var devnetKeys = []string{"alice", "bob", "carol", "dave"}

// devnetFunds is each test key's genesis balance: 1,000,000 LAZ.
const devnetFunds = 1_000_000 * tx.UnitsPerLAZ

type devnetInfo struct {
	ChainID  string        `json:"chain_id"`
	Home     string        `json:"home"`
	Height   int64         `json:"height"`
	RPC      string        `json:"rpc"`
	API      string        `json:"api"`
	TestKeys []devnetKeyJS `json:"test_keys"`
	Warning  string        `json:"warning"`
	Flow     *devnetFlow   `json:"data_pool_demo,omitempty"`
}

type devnetKeyJS struct {
	Name    string     `json:"name"`
	Address tx.Address `json:"address"`
	Balance string     `json:"balance"`
}

func newDevnetCmd() *cobra.Command {
	var f nodeFlags
	var reset bool
	var chainID, workerAddr string
	cmd := &cobra.Command{
		Use:   "devnet",
		Short: "Run a one-validator local chain with funded test keys and the API",
		Long: `Run a complete local LazChain in one process: one validator, the HTTP API,
four funded test keys (alice, bob, carol, dave), and a dev-enclave worker
that verifies contributions, trains models and serves paid AI calls
(--worker-listen). A new devnet is seeded with the whole loop: a data pool,
bob's verified contribution, a model trained on it, a paid service on the
model, and an escrow dave can call it with. The home (--home) is created
if it is missing; run again on the same home to go on from where it stopped,
or pass --reset to start over. Stop with Ctrl-C.

The test keys are stored unencrypted and are derived from public seeds:
they are for this devnet only.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			home := homeFlag(cmd)
			if err := prepareDevnetHome(cmd, home, chainID, reset, f.blockTime); err != nil {
				return err
			}
			kr := keyring.Open(home)
			var accounts []api.TestAccount
			for _, name := range devnetKeys {
				if k, err := kr.Get(name); err == nil && k.TestOnly {
					accounts = append(accounts, api.TestAccount{Name: k.Name, Address: k.Address})
				}
			}
			n, err := node.Start(home, node.StartOptions{
				RPCAddr: f.rpc, P2PAddr: f.p2p, APIAddr: f.api, BlockTime: f.blockTime, Metrics: true,
				APIOptions: api.Options{TestAccounts: accounts, Devnet: true},
			})
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), 60*time.Second)
			err = n.WaitForHeight(ctx, 1)
			cancel()
			if err != nil {
				n.Stop()
				return err
			}
			fl, _, err := startDevnetFlow(cmd.Context(), n, n.Log, workerAddr)
			if err != nil {
				// A home made before the demo existed has no compute iDAO:
				// the chain still runs, without the demo.
				fl = nil
				n.Log.Warn("the data pool demo is not running; start a new devnet with --reset to get it", "err", err)
			} else {
				if !jsonOutput(cmd) {
					fmt.Fprintln(cmd.ErrOrStderr(), "Preparing the AI demo (first start only: a seed contribution, a trained model, a paid service)…")
				}
				if fl.Service, err = startDevnetService(cmd.Context(), n, fl); err != nil {
					n.Log.Warn("the AI service demo is not running; start a new devnet with --reset to get it", "err", err)
				}
			}
			if err := printDevnet(cmd, n, accounts, fl); err != nil {
				n.Stop()
				return err
			}
			return runUntilSignal(cmd.Context(), cmd, n)
		},
	}
	f.register(cmd, "127.0.0.1:26657", "127.0.0.1:26656", "127.0.0.1:8080", time.Second)
	cmd.Flags().BoolVar(&reset, "reset", false, "delete the devnet's home first and start a new chain")
	cmd.Flags().StringVar(&chainID, "chain-id", "lazchain-devnet", "chain id of a new devnet")
	cmd.Flags().StringVar(&workerAddr, "worker-listen", "127.0.0.1:8090", "address of the devnet worker's paid-call API (POST /v1/services/{id}/infer)")
	return cmd
}

func prepareDevnetHome(cmd *cobra.Command, home, chainID string, reset bool, blockTime time.Duration) error {
	marker := filepath.Join(home, "config", devnetMarker)
	_, markerErr := os.Stat(marker)
	isDevnet := markerErr == nil
	if node.IsInitialised(home) && !isDevnet {
		return fmt.Errorf("%s holds a node that is not a devnet; run `lazchain start --home %s`, or give devnet another --home", home, home)
	}
	if reset && isDevnet {
		if err := os.RemoveAll(home); err != nil {
			return fmt.Errorf("--reset: %w", err)
		}
		isDevnet = false
	}
	if isDevnet {
		return nil
	}
	if entries, err := os.ReadDir(home); err == nil && len(entries) > 0 && !node.IsInitialised(home) {
		// A half-made devnet home (interrupted first run) is made again;
		// any other non-empty directory is left alone.
		if _, err := os.Stat(filepath.Join(home, "config", "config.toml")); err != nil {
			return fmt.Errorf("%s exists and is not empty; give devnet an empty or new --home", home)
		}
		if err := os.RemoveAll(home); err != nil {
			return err
		}
	}
	kr := keyring.Open(home)
	var balances []bank.Balance
	keys := make([]*tx.PrivateKey, len(devnetKeys))
	for i, name := range devnetKeys {
		keys[i] = tx.DeterministicKey("devnet/" + name)
		balances = append(balances, bank.Balance{Address: keys[i].Address(), Amount: tx.FormatBaseUnits(devnetFunds)})
	}
	sections, treasury, err := devnetDemo(keys[0].Address(), keys[1].Address(), keys[2].Address())
	if err != nil {
		return err
	}
	balances = append(balances, treasury)
	if _, err := node.Init(home, node.InitOptions{ChainID: chainID, Moniker: "devnet", BlockTime: blockTime, Accounts: balances, Sections: sections}); err != nil {
		return err
	}
	for i, name := range devnetKeys {
		if _, err := kr.StoreTest(name, keys[i]); err != nil {
			return err
		}
	}
	bz, _ := json.MarshalIndent(map[string]any{"chain_id": chainID, "created": time.Now().UTC(), "test_keys": devnetKeys}, "", "  ")
	if err := os.WriteFile(marker, bz, 0o600); err != nil {
		return err
	}
	if !jsonOutput(cmd) {
		fmt.Fprintf(cmd.ErrOrStderr(), "Created a new devnet home in %s\n", home)
	}
	return nil
}

func printDevnet(cmd *cobra.Command, n *node.Node, accounts []api.TestAccount, fl *devnetFlow) error {
	ctx := cmd.Context()
	info := devnetInfo{
		ChainID: n.App.ChainID(), Home: n.Home, Height: n.App.Tree().Version(),
		RPC: n.RPCURL(), API: n.APIURL(), Warning: keyring.TestOnlyWarning, Flow: fl,
	}
	for _, a := range accounts {
		bal, _, err := n.Client.Balance(ctx, a.Address, 0)
		if err != nil {
			return err
		}
		info.TestKeys = append(info.TestKeys, devnetKeyJS{Name: a.Name, Address: a.Address, Balance: tx.FormatBaseUnits(bal)})
	}
	if jsonOutput(cmd) {
		return json.NewEncoder(cmd.OutOrStdout()).Encode(info)
	}
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "\nLazChain devnet is running: chain %s, height %d\n", info.ChainID, info.Height)
	fmt.Fprintf(w, "  RPC   %s\n", info.RPC)
	if info.API != "" {
		fmt.Fprintf(w, "  API   %s   (dashboard /, OpenAPI /openapi.json, metrics /metrics)\n", info.API)
	}
	fmt.Fprintf(w, "  home  %s\n\n", info.Home)
	fmt.Fprintf(w, "Test keys (%s):\n", keyring.TestOnlyWarning)
	for _, k := range info.TestKeys {
		v, _ := tx.ParseBaseUnits(k.Balance)
		fmt.Fprintf(w, "  %-6s %s  %s\n", k.Name, k.Address, tx.FormatAmount(v))
	}
	home := ""
	if n.Home != defaultHome() {
		home = " --home " + n.Home
	}
	node := ""
	if info.RPC != "http://127.0.0.1:26657" {
		node = " --node " + info.RPC
	}
	fmt.Fprintf(w, "\nDemo:  iDAO 1 %q (alice admin, bob data provider, %s in its treasury)\n", demoIDAOName, tx.FormatAmount(demoTreasury))
	fmt.Fprintf(w, "       DAT class 1 %q: token 1 (alice, share 60), token 2 (bob, share 40)\n", demoClassName)
	fmt.Fprintf(w, "\nTry:   lazchain tx bank send alice bob 12.5laz%s%s\n", home, node)
	fmt.Fprintf(w, "       lazchain query bank balance bob%s%s\n", home, node)
	fmt.Fprintf(w, "       lazchain query dat class 1%s%s\n", home, node)
	fmt.Fprintf(w, "       lazchain tx dat settle-revenue 1 100laz --from carol%s%s\n", home, node)
	fmt.Fprintf(w, "       lazchain query dat pending --owner bob%s%s\n", home, node)
	fmt.Fprintf(w, "       lazchain tx dat claim-all --from bob%s%s\n", home, node)
	if fl != nil {
		api := ""
		if info.API != "http://127.0.0.1:8080" {
			api = " --api " + info.API
		}
		fmt.Fprintf(w, "\nData:  pool %d %q in iDAO 1, verified by worker %d of iDAO 2 %q (carol)\n", fl.Pool, demoPoolName, fl.Worker, demoComputeName)
		fmt.Fprintf(w, "       WARNING: worker %d is a DEV ENCLAVE, simulated, not a real TEE (its attestations use go-sev-guest's test-only roots)\n", fl.Worker)
		fmt.Fprintf(w, "       lazchain data contribute --pool %d --file %s --from bob%s%s%s\n", fl.Pool, fl.Sample, home, node, api)
		fmt.Fprintf(w, "       lazchain data status ID%s%s   (ID: the contribution id it prints)\n", home, node)
		if s := fl.Service; s != nil {
			price, _ := tx.ParseBaseUnits(s.Price)
			fmt.Fprintf(w, "\nAI:    model %d (logistic on pool %d, %.1f%% accurate on its validation set) is DAT class %d, trained in worker %d's enclave\n",
				s.Model, fl.Pool, float64(s.AccuracyPPM)/1e4, s.ModelClass, fl.Worker)
			fmt.Fprintf(w, "       service %d %q at %s, %s per call; dave has an escrow for it\n", s.Service, demoServiceName, fl.WorkerAPI, tx.FormatAmount(price))
			fmt.Fprintf(w, "       lazchain service call %d --input '%s' --from dave%s%s\n", s.Service, s.Input, home, node)
			fmt.Fprintf(w, "       lazchain query dat pending --owner bob%s%s   (bob's share of every call, through the model's lineage)\n", home, node)
		}
	}
	fmt.Fprintf(w, "Stop:  Ctrl-C (the chain is kept; run `lazchain devnet` again to go on, --reset to start over)\n\n")
	return nil
}
