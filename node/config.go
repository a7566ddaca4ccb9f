package node

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/BurntSushi/toml"
	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/spf13/viper"
)

// AppConfig is LazChain's part of a node's configuration, in
// HOME/config/app.toml. CometBFT's part is HOME/config/config.toml.
type AppConfig struct {
	API   APIConfig   `toml:"api"`
	State StateConfig `toml:"state"`
	Log   LogConfig   `toml:"log"`
}

// APIConfig configures the HTTP API.
type APIConfig struct {
	// Enable serves the API.
	Enable bool `toml:"enable"`
	// Address is host:port to listen on.
	Address string `toml:"address"`
}

// StateConfig configures the state store.
type StateConfig struct {
	// KeepVersions prunes state versions older than this many blocks; 0
	// keeps all (every height stays queryable and provable).
	KeepVersions int64 `toml:"keep_versions"`
	// SnapshotInterval takes a state sync snapshot every this many blocks
	// (0: none; the node can still restore from others' snapshots).
	SnapshotInterval uint64 `toml:"snapshot_interval"`
	// SnapshotKeepRecent is how many snapshots are kept.
	SnapshotKeepRecent int `toml:"snapshot_keep_recent"`
}

// LogConfig configures logging.
type LogConfig struct {
	// Level is debug, info, warn or error.
	Level string `toml:"level"`
	// Format is text or json.
	Format string `toml:"format"`
	// CometBFT shows CometBFT's own info logs (consensus steps, p2p) when
	// true; otherwise only its errors are shown.
	CometBFT bool `toml:"cometbft"`
}

// DefaultAppConfig is the configuration `lazchain init` writes.
func DefaultAppConfig() AppConfig {
	return AppConfig{
		API: APIConfig{Enable: true, Address: "127.0.0.1:8080"},
		Log: LogConfig{Level: "info", Format: "text"},
	}
}

// Paths of a home directory.
func appConfigPath(home string) string { return filepath.Join(home, "config", "app.toml") }
func stateDir(home string) string      { return filepath.Join(home, "data", "app") }

// GenesisPath is where a home's genesis file lives.
func GenesisPath(home string) string { return filepath.Join(home, "config", "genesis.json") }

// IsInitialised reports whether home holds a node (its genesis exists).
func IsInitialised(home string) bool {
	_, err := os.Stat(GenesisPath(home))
	return err == nil
}

// LoadConfig reads both configuration files of a home.
func LoadConfig(home string) (*cmtcfg.Config, AppConfig, error) {
	if !IsInitialised(home) {
		return nil, AppConfig{}, fmt.Errorf("%s is not a LazChain home (no config/genesis.json): run `lazchain init --home %s` first", home, home)
	}
	cfg := cmtcfg.DefaultConfig()
	v := viper.New()
	v.SetConfigFile(filepath.Join(home, "config", "config.toml"))
	if err := v.ReadInConfig(); err != nil {
		return nil, AppConfig{}, fmt.Errorf("read %s: %w", v.ConfigFileUsed(), err)
	}
	if err := v.Unmarshal(cfg); err != nil {
		return nil, AppConfig{}, fmt.Errorf("parse %s: %w", v.ConfigFileUsed(), err)
	}
	cfg.SetRoot(home)
	if err := cfg.ValidateBasic(); err != nil {
		return nil, AppConfig{}, fmt.Errorf("%s: %w", v.ConfigFileUsed(), err)
	}
	ac := DefaultAppConfig()
	if _, err := toml.DecodeFile(appConfigPath(home), &ac); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, AppConfig{}, fmt.Errorf("read %s: %w", appConfigPath(home), err)
	}
	return cfg, ac, nil
}

func writeAppConfig(home string, ac AppConfig) error {
	f, err := os.Create(appConfigPath(home))
	if err != nil {
		return err
	}
	defer f.Close()
	fmt.Fprintln(f, "# LazChain node settings. CometBFT's are in config.toml beside this file.")
	if err := toml.NewEncoder(f).Encode(ac); err != nil {
		return err
	}
	return f.Close()
}

// MaxTxBytes is the largest tx a node accepts.
const MaxTxBytes = 4 << 20

// defaultCometConfig is CometBFT's configuration as LazChain ships it.
func defaultCometConfig(home, moniker string, blockTime time.Duration) *cmtcfg.Config {
	cfg := cmtcfg.DefaultConfig()
	cfg.SetRoot(home)
	cfg.Moniker = moniker
	cfg.Consensus.TimeoutCommit = blockTime
	cfg.Mempool.Size = 20000
	cfg.Mempool.CacheSize = 40000
	// A Settle of thousands of receipts is a few MiB: the mempool and the
	// RPC take txs of up to MaxTxBytes (CometBFT's default is 1 MiB).
	cfg.Mempool.MaxTxBytes = MaxTxBytes
	cfg.RPC.MaxBodyBytes = 2 * MaxTxBytes
	cfg.RPC.ListenAddress = "tcp://127.0.0.1:26657"
	cfg.P2P.ListenAddress = "tcp://0.0.0.0:26656"
	cfg.TxIndex.Indexer = "kv"
	return cfg
}
