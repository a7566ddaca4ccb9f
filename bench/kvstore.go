package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/cometbft/cometbft/abci/example/kvstore"
	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/crypto"
	"github.com/cometbft/cometbft/crypto/ed25519"
	cmtlog "github.com/cometbft/cometbft/libs/log"
	cmtnode "github.com/cometbft/cometbft/node"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	"github.com/cometbft/cometbft/proxy"
	rpclocal "github.com/cometbft/cometbft/rpc/client/local"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/lazchain/lazchain/client"
	"github.com/lazchain/lazchain/node"
)

// initKVStoreHome lays out a CometBFT home for kvstore: lazHome's
// config.toml byte for byte, a node key, a validator key, and a genesis with
// lazHome's consensus parameters and this node as the one validator.
func initKVStoreHome(home, lazHome string) error {
	if node.IsInitialised(home) {
		return fmt.Errorf("%s already holds a node (config/genesis.json exists); pick another directory", home)
	}
	for _, d := range []string{"config", "data"} {
		if err := os.MkdirAll(filepath.Join(home, d), 0o700); err != nil {
			return err
		}
	}
	toml, err := os.ReadFile(filepath.Join(lazHome, "config", "config.toml"))
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(home, "config", "config.toml"), toml, 0o600); err != nil {
		return err
	}
	cfg := cmtcfg.DefaultConfig()
	cfg.SetRoot(home)
	if _, err := p2p.LoadOrGenNodeKey(cfg.NodeKeyFile()); err != nil {
		return fmt.Errorf("node key: %w", err)
	}
	pv, err := privval.GenFilePV(cfg.PrivValidatorKeyFile(), cfg.PrivValidatorStateFile(),
		func() (crypto.PrivKey, error) { return ed25519.GenPrivKey(), nil })
	if err != nil {
		return fmt.Errorf("validator key: %w", err)
	}
	pv.Save()
	pub, err := pv.GetPubKey()
	if err != nil {
		return err
	}
	laz, err := loadGenesis(lazHome)
	if err != nil {
		return err
	}
	doc := &cmttypes.GenesisDoc{
		GenesisTime:     laz.GenesisTime,
		ChainID:         "kvstore-bench",
		InitialHeight:   1,
		ConsensusParams: laz.ConsensusParams,
		Validators:      []cmttypes.GenesisValidator{{Address: pub.Address(), PubKey: pub, Power: 10, Name: "bench"}},
	}
	if err := doc.ValidateAndComplete(); err != nil {
		return fmt.Errorf("genesis: %w", err)
	}
	return doc.SaveAs(node.GenesisPath(home))
}

// runKVStore starts CometBFT with the kvstore app in home, configured as the
// LazChain node in lazHome is, and sends it o.Txs unique key=value txs.
func runKVStore(ctx context.Context, home, lazHome string, o Options) (res *AppResult, err error) {
	if err := initKVStoreHome(home, lazHome); err != nil {
		return nil, err
	}
	// Read the config the way a LazChain node reads its own, then override
	// what node.Start overrides: the listen addresses.
	cfg, _, err := node.LoadConfig(home)
	if err != nil {
		return nil, err
	}
	rpcAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	p2pAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	cfg.RPC.ListenAddress, cfg.P2P.ListenAddress = "tcp://"+rpcAddr, "tcp://"+p2pAddr

	nodeKey, err := p2p.LoadNodeKey(cfg.NodeKeyFile())
	if err != nil {
		return nil, fmt.Errorf("node key: %w", err)
	}
	pv := privval.LoadFilePV(cfg.PrivValidatorKeyFile(), cfg.PrivValidatorStateFile())
	kv := kvstore.NewPersistentApplication(cfg.DBDir())
	// The same database handling as a LazChain node (see node.DBProvider).
	dbProvider, closeIndex := node.DBProvider()
	cn, err := cmtnode.NewNode(ctx, cfg, pv, nodeKey,
		proxy.NewConnSyncLocalClientCreator(kv),
		cmtnode.DefaultGenesisDocProviderFunc(cfg),
		dbProvider,
		cmtnode.DefaultMetricsProvider(&cmtcfg.InstrumentationConfig{Prometheus: false, Namespace: "cometbft"}),
		cmtlog.NewNopLogger(),
	)
	if err != nil {
		kv.Close()
		return nil, fmt.Errorf("start CometBFT: %w", err)
	}
	defer func() {
		var errs []error
		if cn.IsRunning() {
			errs = append(errs, cn.Stop())
			cn.Wait()
		}
		errs = append(errs, closeIndex())
		errs = append(errs, kv.Close())
		if stopErr := errors.Join(errs...); stopErr != nil && err == nil {
			err = fmt.Errorf("stop node: %w", stopErr)
		}
	}()
	if err := cn.Start(); err != nil {
		return nil, fmt.Errorf("start CometBFT: %w", err)
	}
	if err := waitForHeight(ctx, cn.BlockStore().Height, 1); err != nil {
		return nil, err
	}

	sizes := laneSizes(o.Txs, o.Accounts)
	lanes := make([][][]byte, len(sizes))
	seq := 0
	for l, n := range sizes {
		lanes[l] = make([][]byte, n)
		for j := range lanes[l] {
			lanes[l][j] = kvTx(seq, o.KVTxBytes)
			seq++
		}
	}
	local := client.New(rpclocal.New(cn))
	bc, err := broadcaster(o.Transport, rpcAddr, local)
	if err != nil {
		return nil, err
	}
	m, err := drive(ctx, cn, []*client.Client{bc}, workload{app: "kvstore", lanes: lanes}, o.Concurrency, o.Progress)
	if err != nil {
		return nil, err
	}
	res = summarise("kvstore", m)
	if res.LastHeight > 0 {
		h := res.LastHeight
		vals, err := local.RPC().Validators(ctx, &h, nil, nil)
		if err != nil {
			return res, fmt.Errorf("validator set at height %d: %w", h, err)
		}
		res.Validators = vals.Total
	}
	if res.Failed > 0 {
		return res, fmt.Errorf("%d of %d txs did not commit with code 0; first: %s", res.Failed, res.Txs, res.FirstError)
	}
	return res, nil
}

// kvTx is the i-th kvstore tx, size bytes of "key=value" with a unique key
// (size is at least minKVTxBytes, so the value is never empty).
func kvTx(i, size int) []byte {
	key := fmt.Sprintf("bench%010d", i)
	return []byte(key + "=" + strings.Repeat("v", size-len(key)-1))
}

// minKVTxBytes fits kvTx's key, the '=' and a one-byte value.
const minKVTxBytes = 17
