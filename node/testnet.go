package node

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/privval"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/lazchain/lazchain/keyring"
	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/bank"
	"github.com/lazchain/lazchain/x/idao"
	"github.com/lazchain/lazchain/x/staking"
)

// TestnetOptions describe a network of validator homes on one machine.
type TestnetOptions struct {
	Validators int
	ChainID    string
	// BasePort: node i listens for p2p on BasePort+10i, RPC on +1, the API
	// on +2.
	BasePort  int
	Host      string
	BlockTime time.Duration
	// SelfBond is what each validator iDAO bonds at genesis (ulaz).
	SelfBond uint64
	// Funds is what each operator account holds besides its bond.
	Funds uint64
	// Accounts are funded too (load generators, faucets).
	Accounts []bank.Balance
	// Staking overrides the staking parameters (nil: defaults).
	Staking *staking.GenesisParams
	// SnapshotInterval makes every node take a state sync snapshot every
	// this many blocks (0: none).
	SnapshotInterval uint64
	// SnapshotKeepRecent is how many snapshots each node keeps (0: the
	// app's default).
	SnapshotKeepRecent int
}

// TestnetNode is one home of a testnet.
type TestnetNode struct {
	Home     string     `json:"home"`
	Moniker  string     `json:"moniker"`
	NodeID   string     `json:"node_id"`
	P2P      string     `json:"p2p"`
	RPC      string     `json:"rpc"`
	API      string     `json:"api"`
	Operator tx.Address `json:"operator"`
	IDAO     uint64     `json:"idao"`
	// ValidatorAddress is the CometBFT address of the node's consensus key.
	ValidatorAddress string `json:"validator_address"`
}

// Testnet writes opts.Validators node homes under dir (node0, node1, …)
// sharing one genesis: each node's operator (a test key in its keyring,
// named "operator") creates an iDAO with the validator role and bonds
// SelfBond to it with the node's consensus key; every node lists the
// others as persistent peers on Host. Each runs with
// `lazchain start --home DIR/nodeI`.
func Testnet(dir string, o TestnetOptions) ([]TestnetNode, error) {
	if o.Validators < 1 || o.Validators > 100 {
		return nil, fmt.Errorf("--validators %d: want 1 to 100", o.Validators)
	}
	if o.ChainID == "" {
		o.ChainID = "lazchain-testnet"
	}
	if o.BasePort == 0 {
		o.BasePort = 26600
	}
	if o.BasePort < 1024 || o.BasePort+10*o.Validators > 65535 {
		return nil, fmt.Errorf("--base-port %d: the ports of %d nodes must fit in 1024..65535", o.BasePort, o.Validators)
	}
	if o.Host == "" {
		o.Host = "127.0.0.1"
	}
	if o.SelfBond == 0 {
		o.SelfBond = 1_000 * tx.UnitsPerLAZ
	}
	if o.Funds == 0 {
		o.Funds = 1_000_000 * tx.UnitsPerLAZ
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return nil, fmt.Errorf("%s exists and is not empty; give --output a new directory", dir)
	}
	genesisTime := time.Now().UTC().Round(time.Millisecond)
	nodes := make([]TestnetNode, o.Validators)
	var sg staking.Genesis
	if err := json.Unmarshal(staking.Module{}.DefaultGenesis(), &sg); err != nil {
		return nil, err
	}
	if o.Staking != nil {
		sg.Params = *o.Staking
	}
	var ig idao.Genesis
	accounts := append([]bank.Balance(nil), o.Accounts...)
	var validators []cmttypes.GenesisValidator
	for i := range nodes {
		n := &nodes[i]
		n.Home = filepath.Join(dir, fmt.Sprintf("node%d", i))
		n.Moniker = fmt.Sprintf("validator-%d", i)
		port := o.BasePort + 10*i
		n.P2P, n.RPC, n.API = fmt.Sprintf("%s:%d", o.Host, port), fmt.Sprintf("%s:%d", o.Host, port+1), fmt.Sprintf("%s:%d", o.Host, port+2)
		res, err := Init(n.Home, InitOptions{ChainID: o.ChainID, Moniker: n.Moniker, BlockTime: o.BlockTime, GenesisTime: genesisTime})
		if err != nil {
			return nil, err
		}
		n.NodeID, n.ValidatorAddress = res.NodeID, res.ValidatorAddress
		cfg := defaultCometConfig(n.Home, n.Moniker, o.BlockTime)
		pv := privval.LoadFilePV(cfg.PrivValidatorKeyFile(), cfg.PrivValidatorStateFile())
		pub, err := pv.GetPubKey()
		if err != nil {
			return nil, err
		}
		op, err := tx.GenerateKey()
		if err != nil {
			return nil, err
		}
		if _, err := keyring.Open(n.Home).StoreTest("operator", op); err != nil {
			return nil, err
		}
		n.Operator, n.IDAO = op.Address(), uint64(i+1)
		accounts = append(accounts, bank.Balance{Address: op.Address(), Amount: tx.FormatBaseUnits(o.Funds + o.SelfBond)})
		ig.IDAOs = append(ig.IDAOs, idao.GenesisIDAO{
			Name: n.Moniker, Description: "Validator iDAO of " + n.Moniker + " (testnet)", Creator: op.Address().String(),
			Members: []idao.GenesisMember{{Address: op.Address().String(), Roles: []string{idao.RoleAdmin, idao.RoleValidator}, Weight: 1}},
		})
		sg.Validators = append(sg.Validators, staking.GenesisValidator{
			IDAO: n.IDAO, ConsensusPubkey: base64.StdEncoding.EncodeToString(pub.Bytes()),
			Delegator: op.Address().String(), SelfBond: tx.FormatBaseUnits(o.SelfBond),
		})
		power := int64(o.SelfBond / max(sg.Params.PowerReduction, 1))
		validators = append(validators, cmttypes.GenesisValidator{Address: pub.Address(), PubKey: pub, Power: power, Name: n.Moniker})
	}
	ib, err := json.Marshal(ig)
	if err != nil {
		return nil, err
	}
	sb, err := json.Marshal(sg)
	if err != nil {
		return nil, err
	}
	appState, err := DefaultAppState(accounts, map[string]json.RawMessage{idao.Name: ib, staking.Name: sb})
	if err != nil {
		return nil, err
	}
	doc := &cmttypes.GenesisDoc{
		GenesisTime: genesisTime, ChainID: o.ChainID, InitialHeight: 1,
		ConsensusParams: ConsensusParams(), Validators: validators, AppState: appState,
	}
	if err := doc.ValidateAndComplete(); err != nil {
		return nil, fmt.Errorf("testnet genesis: %w", err)
	}
	for i, n := range nodes {
		if err := doc.SaveAs(GenesisPath(n.Home)); err != nil {
			return nil, err
		}
		var peers []string
		for j, m := range nodes {
			if j != i {
				peers = append(peers, fmt.Sprintf("%s@%s", m.NodeID, m.P2P))
			}
		}
		cfg := defaultCometConfig(n.Home, n.Moniker, o.BlockTime)
		configureNetworkNode(cfg, n.RPC, n.P2P, strings.Join(peers, ","))
		cmtcfg.WriteConfigFile(filepath.Join(n.Home, "config", "config.toml"), cfg)
		ac := DefaultAppConfig()
		ac.API.Address = n.API
		ac.State.SnapshotInterval = o.SnapshotInterval
		ac.State.SnapshotKeepRecent = o.SnapshotKeepRecent
		if err := writeAppConfig(n.Home, ac); err != nil {
			return nil, err
		}
	}
	return nodes, nil
}

// configureNetworkNode sets a node's addresses and peers for a network on
// one host.
func configureNetworkNode(cfg *cmtcfg.Config, rpc, p2pAddr, peers string) {
	cfg.RPC.ListenAddress = "tcp://" + rpc
	cfg.P2P.ListenAddress = "tcp://" + p2pAddr
	cfg.P2P.PersistentPeers = peers
	cfg.P2P.AddrBookStrict = false
	cfg.P2P.AllowDuplicateIP = true
}
