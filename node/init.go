package node

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/crypto"
	"github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/lazchain/lazchain/app"
	"github.com/lazchain/lazchain/store"
	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/bank"
)

// InitOptions describe a new node home.
type InitOptions struct {
	ChainID string
	Moniker string
	// BlockTime is CometBFT's timeout_commit: the pause after each block.
	BlockTime time.Duration
	// Accounts are funded in genesis.
	Accounts []bank.Balance
	// Sections replace modules' default genesis sections (by module name),
	// to seed a chain with state; the bank's comes from Accounts.
	Sections map[string]json.RawMessage
	// Power is the voting power of this node's validator.
	Power int64
	// GenesisTime defaults to now.
	GenesisTime time.Time
}

// InitResult says what Init made.
type InitResult struct {
	Home             string `json:"home"`
	ChainID          string `json:"chain_id"`
	NodeID           string `json:"node_id"`
	ValidatorAddress string `json:"validator_address"`
	Genesis          string `json:"genesis"`
}

// Init lays out a new home: CometBFT's config.toml, LazChain's app.toml,
// a node key, a validator key, and a genesis in which this node is the one
// validator. It refuses a home that already has a genesis.
func Init(home string, o InitOptions) (*InitResult, error) {
	if o.ChainID == "" {
		return nil, fmt.Errorf("a chain id is required (--chain-id)")
	}
	if err := validateChainID(o.ChainID); err != nil {
		return nil, err
	}
	if IsInitialised(home) {
		return nil, fmt.Errorf("%s already holds a node (config/genesis.json exists); pick another --home or remove it", home)
	}
	if o.Moniker == "" {
		o.Moniker, _ = os.Hostname()
	}
	if o.BlockTime <= 0 {
		o.BlockTime = time.Second
	}
	if o.Power <= 0 {
		o.Power = 10
	}
	if o.GenesisTime.IsZero() {
		o.GenesisTime = time.Now().UTC().Round(time.Millisecond)
	}
	for _, d := range []string{"config", "data"} {
		if err := os.MkdirAll(filepath.Join(home, d), 0o700); err != nil {
			return nil, err
		}
	}
	cfg := defaultCometConfig(home, o.Moniker, o.BlockTime)
	cmtcfg.WriteConfigFile(filepath.Join(home, "config", "config.toml"), cfg)
	if err := writeAppConfig(home, DefaultAppConfig()); err != nil {
		return nil, fmt.Errorf("write app.toml: %w", err)
	}
	nodeKey, err := p2p.LoadOrGenNodeKey(cfg.NodeKeyFile())
	if err != nil {
		return nil, fmt.Errorf("node key: %w", err)
	}
	pv, err := privval.GenFilePV(cfg.PrivValidatorKeyFile(), cfg.PrivValidatorStateFile(),
		func() (crypto.PrivKey, error) { return ed25519.GenPrivKey(), nil })
	if err != nil {
		return nil, fmt.Errorf("validator key: %w", err)
	}
	pv.Save()
	pub, err := pv.GetPubKey()
	if err != nil {
		return nil, err
	}
	appState, err := DefaultAppState(o.Accounts, o.Sections)
	if err != nil {
		return nil, err
	}
	doc := &cmttypes.GenesisDoc{
		GenesisTime:     o.GenesisTime,
		ChainID:         o.ChainID,
		InitialHeight:   1,
		ConsensusParams: ConsensusParams(),
		Validators:      []cmttypes.GenesisValidator{{Address: pub.Address(), PubKey: pub, Power: o.Power, Name: o.Moniker}},
		AppState:        appState,
	}
	if err := doc.ValidateAndComplete(); err != nil {
		return nil, fmt.Errorf("genesis: %w", err)
	}
	if err := doc.SaveAs(GenesisPath(home)); err != nil {
		return nil, fmt.Errorf("write genesis: %w", err)
	}
	return &InitResult{
		Home: home, ChainID: o.ChainID, NodeID: string(nodeKey.ID()),
		ValidatorAddress: pub.Address().String(), Genesis: GenesisPath(home),
	}, nil
}

// BlockMaxGas is the most gas the txs of one block may ask for (the sum of
// their gas limits). CometBFT's default of 10,000,000 would hold about 300
// transfers, so blocks would stop filling long before their 4 MiB byte
// limit and a backlog would sit in the mempool, rechecked after every block.
// At 10^9 a block of plain transfers is bound by its bytes (about 15,000
// txs), and one block's gas still executes in well under its block time.
const BlockMaxGas = 1_000_000_000

// BlockMaxBytes is the largest block: room for a few MiB-sized Settle txs
// (CometBFT's default is 4 MiB, one such tx).
const BlockMaxBytes = 16 << 20

// ConsensusParams are the genesis consensus parameters of a new chain:
// CometBFT's defaults with BlockMaxGas and BlockMaxBytes.
func ConsensusParams() *cmttypes.ConsensusParams {
	p := cmttypes.DefaultConsensusParams()
	p.Block.MaxGas = BlockMaxGas
	p.Block.MaxBytes = BlockMaxBytes
	return p
}

// DefaultAppState is every module's default genesis with the given accounts
// funded and the given sections in place of the defaults.
func DefaultAppState(accounts []bank.Balance, sections map[string]json.RawMessage) (json.RawMessage, error) {
	a, err := app.New(store.NewMemTree(), app.Options{ChainID: "genesis"})
	if err != nil {
		return nil, err
	}
	out := map[string]json.RawMessage{}
	for _, m := range a.Modules() {
		out[m.Name()] = m.DefaultGenesis()
		if s, ok := sections[m.Name()]; ok {
			out[m.Name()] = s
		}
	}
	for name := range sections {
		if _, ok := out[name]; !ok || name == bank.Name {
			return nil, fmt.Errorf("genesis section %q: no module takes it here (bank balances come from the accounts)", name)
		}
	}
	if accounts == nil {
		accounts = []bank.Balance{}
	}
	bz, err := json.Marshal(bank.Genesis{Balances: accounts})
	if err != nil {
		return nil, err
	}
	out[bank.Name] = bz
	return json.MarshalIndent(out, "", "  ")
}

// AddGenesisAccount funds addr with amount ulaz in a home's genesis, before
// the chain has started.
func AddGenesisAccount(home string, addr tx.Address, amount uint64) error {
	doc, err := cmttypes.GenesisDocFromFile(GenesisPath(home))
	if err != nil {
		return fmt.Errorf("read genesis: %w", err)
	}
	var sections map[string]json.RawMessage
	if err := json.Unmarshal(doc.AppState, &sections); err != nil {
		return fmt.Errorf("genesis app_state: %w", err)
	}
	var g bank.Genesis
	if err := json.Unmarshal(sections[bank.Name], &g); err != nil {
		return fmt.Errorf("genesis bank section: %w", err)
	}
	var total uint64
	for _, b := range g.Balances {
		if b.Address == addr {
			return fmt.Errorf("%s already has a genesis balance of %s ulaz", addr, b.Amount)
		}
		v, err := tx.ParseBaseUnits(b.Amount)
		if err != nil {
			return fmt.Errorf("genesis balance of %s: %w", b.Address, err)
		}
		total += v
	}
	if total > math.MaxUint64-amount {
		return fmt.Errorf("genesis supply would overflow 64-bit ulaz")
	}
	g.Balances = append(g.Balances, bank.Balance{Address: addr, Amount: tx.FormatBaseUnits(amount)})
	if sections[bank.Name], err = json.Marshal(g); err != nil {
		return err
	}
	if doc.AppState, err = json.MarshalIndent(sections, "", "  "); err != nil {
		return err
	}
	return doc.SaveAs(GenesisPath(home))
}

// validateChainID keeps chain ids to what every tool handles: letters,
// digits, '-', '_' and '.', at most CometBFT's 50 characters.
func validateChainID(id string) error {
	if len(id) > cmttypes.MaxChainIDLen {
		return fmt.Errorf("chain id %q is longer than %d characters", id, cmttypes.MaxChainIDLen)
	}
	for _, r := range id {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.'
		if !ok {
			return fmt.Errorf("chain id %q: use only letters, digits, '-', '_' and '.'", id)
		}
	}
	return nil
}
