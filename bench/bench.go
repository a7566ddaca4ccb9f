package bench

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/lazchain/lazchain/client"
	"github.com/lazchain/lazchain/node"
)

// Options configure a benchmark run. A zero Txs, Accounts, Concurrency or
// KVTxBytes takes the default named beside it.
type Options struct {
	// Txs is the number of txs each app is sent (default 50000). Runs
	// shorter than a few blocks measure the block schedule more than the
	// node: 20000 kvstore txs fit in one block.
	Txs int
	// Accounts is the number of funded LazChain accounts sending them, and
	// the number of ordered lanes the kvstore txs are split into (default 200).
	Accounts int
	// Concurrency is the number of goroutines broadcasting (default 8).
	Concurrency int
	// BlockTime is CometBFT's timeout_commit for both nodes: the pause
	// after a commit before the next height. Zero means no pause (callers
	// wanting the command's default pass DefaultBlockTime).
	BlockTime time.Duration
	// BlockMaxGas, when non-zero, replaces the genesis consensus parameter
	// block.max_gas that node.Init writes (node.BlockMaxGas);
	// -1 means no limit. Both nodes get the same value.
	BlockMaxGas int64
	// Transport is how txs reach both nodes: TransportHTTP (default), as a
	// client sends them, through CometBFT's JSON-RPC over loopback HTTP; or
	// TransportLocal, through the in-process RPC client, which leaves out
	// the RPC server and measures the node alone.
	Transport string
	// KVTxBytes is the size of each kvstore tx (default 200).
	KVTxBytes int
	// Workload is what the LazChain accounts send: WorkloadTransfers
	// (default), bank transfers around a ring of accounts; or
	// WorkloadDATTransferValue, DAT transferValue txs, each account moving
	// one unit between two tokens of its own that genesis mints. The
	// kvstore run is the same for both.
	Workload string
	// Validators is the number of validators of the LazChain chain (default
	// 1, a single node). With more, the LazChain run uses a network of that
	// many validators (node.Testnet: each bonds stake in genesis, so all
	// vote), every node in this process on loopback; txs go to node 0's
	// RPC and commits are timed on node 0. The kvstore reference stays a
	// single node. Only WorkloadTransfers runs on a network.
	Validators int
	// Spread sends each account's txs to one of the network's nodes in
	// turn (account i to node i mod Validators) instead of all to node 0.
	// It needs Validators above 1.
	Spread bool
	// SkipLazChain and SkipKVStore leave one app out.
	SkipLazChain, SkipKVStore bool
	// Dir is where the node homes go, as Dir/lazchain and Dir/kvstore, kept
	// after the run; with Validators above 1 the validators' homes are
	// Dir/testnet/node0, node1, …, and Dir/lazchain only lends its
	// config.toml and consensus parameters to the kvstore node. Empty means
	// a temporary directory removed afterwards.
	Dir string
	// Progress, when set, receives a line a second while a run is going.
	Progress io.Writer
}

// Defaults of Options.
const (
	DefaultTxs         = 50000
	DefaultAccounts    = 200
	DefaultConcurrency = 8
	DefaultBlockTime   = 200 * time.Millisecond
	DefaultKVTxBytes   = 200
	DefaultTransport   = TransportHTTP
	DefaultWorkload    = WorkloadTransfers
	DefaultValidators  = 1
)

// Workloads for Options.Workload.
const (
	// WorkloadTransfers is signed bank MsgSends: account i pays account
	// i+1 (the last pays the first).
	WorkloadTransfers = "transfers"
	// WorkloadDATTransferValue is signed DAT MsgTransferValues (ERC-8028
	// transferValue): genesis seeds one iDAO and one DAT class with two
	// tokens per account, and each account moves one unit of value between
	// its two tokens, alternating direction.
	WorkloadDATTransferValue = "dat-transfer-value"
)

// Transports for Options.Transport.
const (
	TransportHTTP  = "http"
	TransportLocal = "local"
)

// Target is the least LazChain/kvstore throughput ratio the benchmark is
// meant to show.
const Target = 0.5

func (o Options) withDefaults() (Options, error) {
	if o.Txs == 0 {
		o.Txs = DefaultTxs
	}
	if o.Accounts == 0 {
		o.Accounts = DefaultAccounts
	}
	if o.Concurrency == 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.KVTxBytes == 0 {
		o.KVTxBytes = DefaultKVTxBytes
	}
	if o.Transport == "" {
		o.Transport = DefaultTransport
	}
	if o.Transport != TransportHTTP && o.Transport != TransportLocal {
		return o, fmt.Errorf("transport %q: want %s or %s", o.Transport, TransportHTTP, TransportLocal)
	}
	if o.Workload == "" {
		o.Workload = DefaultWorkload
	}
	if o.Workload != WorkloadTransfers && o.Workload != WorkloadDATTransferValue {
		return o, fmt.Errorf("workload %q: want %s or %s", o.Workload, WorkloadTransfers, WorkloadDATTransferValue)
	}
	if o.Validators == 0 {
		o.Validators = DefaultValidators
	}
	switch {
	case o.Validators < 1:
		return o, fmt.Errorf("validators %d: want 1 (a single node) or more", o.Validators)
	case o.Validators > 1 && o.Workload != WorkloadTransfers:
		return o, fmt.Errorf("workload %s runs on a single validator only (its genesis iDAO and DAT class are not written into a network's genesis): drop --validators or use --workload %s",
			o.Workload, WorkloadTransfers)
	case o.Spread && o.Validators == 1:
		return o, fmt.Errorf("spread needs a network: give --validators 2 or more, or drop --spread")
	}
	switch {
	case o.Txs < 1:
		return o, fmt.Errorf("txs %d: want at least 1", o.Txs)
	case o.Accounts < 1:
		return o, fmt.Errorf("accounts %d: want at least 1", o.Accounts)
	case o.Concurrency < 1:
		return o, fmt.Errorf("concurrency %d: want at least 1", o.Concurrency)
	case o.BlockTime < 0:
		return o, fmt.Errorf("block time %v: want 0 or more", o.BlockTime)
	case o.BlockMaxGas < -1:
		return o, fmt.Errorf("block max gas %d: want -1 (no limit), 0 (the genesis default) or more", o.BlockMaxGas)
	case o.KVTxBytes < minKVTxBytes:
		return o, fmt.Errorf("kvstore tx size %d: want at least %d bytes", o.KVTxBytes, minKVTxBytes)
	}
	return o, nil
}

// Result is what a run measured, for both apps.
type Result struct {
	Settings Settings   `json:"settings"`
	LazChain *AppResult `json:"lazchain,omitempty"`
	KVStore  *AppResult `json:"kvstore,omitempty"`
	// Ratio is LazChain's committed tx/s over kvstore's, when both ran.
	Ratio  float64 `json:"ratio,omitempty"`
	Target float64 `json:"target"`
}

// Settings are the conditions both apps ran under.
type Settings struct {
	// Workload is what the LazChain accounts sent (Options.Workload).
	Workload string `json:"workload"`
	// Validators is the LazChain run's topology: 1 is a single node, more a
	// network of that many validators in this process (Options.Validators).
	// The kvstore run always has one.
	Validators int `json:"validators"`
	// Spread says the txs were spread over the network's nodes rather than
	// all sent to node 0 (Options.Spread).
	Spread      bool   `json:"spread,omitempty"`
	Txs         int    `json:"txs"`
	Accounts    int    `json:"accounts"`
	Concurrency int    `json:"concurrency"`
	BlockTime   string `json:"block_time"`
	CPUs        int    `json:"cpus"`
	GOMAXPROCS  int    `json:"gomaxprocs"`
	GoVersion   string `json:"go_version"`
	// Node settings read from the config.toml both nodes share.
	MempoolSize      int    `json:"mempool_size"`
	MempoolCacheSize int    `json:"mempool_cache_size"`
	MempoolRecheck   bool   `json:"mempool_recheck"`
	TxIndexer        string `json:"tx_indexer"`
	DBBackend        string `json:"db_backend"`
	MaxBlockBytes    int64  `json:"max_block_bytes"`
	MaxBlockGas      int64  `json:"max_block_gas"`
	// ABCIClient is how CometBFT calls both apps.
	ABCIClient string `json:"abci_client"`
	// Broadcast is how txs reach the nodes.
	Broadcast string `json:"broadcast"`
	// SigningInWindow says whether signing is inside the timed window. It
	// never is: every tx is signed before the first broadcast.
	SigningInWindow bool `json:"signing_in_window"`
}

// AppResult is one app's run.
type AppResult struct {
	App         string  `json:"app"`
	Txs         int     `json:"txs"`
	MeanTxBytes float64 `json:"mean_tx_bytes"`
	Committed   int     `json:"committed"`
	// Failed is txs not committed with code 0: Rejected by CheckTx,
	// FailedInBlock, or accepted but never committed.
	Failed        int `json:"failed"`
	Rejected      int `json:"rejected"`
	FailedInBlock int `json:"failed_in_block"`
	// Seconds is the window from the first broadcast to the last commit.
	Seconds  float64 `json:"seconds"`
	TxPerSec float64 `json:"tx_per_sec"`
	// P50, P99 and Max are broadcast-to-commit latencies in milliseconds.
	P50 float64 `json:"p50_ms"`
	P99 float64 `json:"p99_ms"`
	Max float64 `json:"max_ms"`
	// Blocks counts the blocks that carried the run's txs.
	Blocks          int     `json:"blocks"`
	FirstHeight     int64   `json:"first_height"`
	LastHeight      int64   `json:"last_height"`
	MeanTxsPerBlock float64 `json:"mean_txs_per_block"`
	MaxTxsPerBlock  int     `json:"max_txs_per_block"`
	// CPUPercent is the process's CPU time over the window in percent of
	// one core (200 is two cores busy); 0 where it is not measured.
	CPUPercent float64 `json:"cpu_percent"`
	// Validators is the size of the validator set that committed the
	// run's last block, as the observed node's RPC reports it.
	Validators int `json:"validators,omitempty"`
	// GasPerTx is the gas limit each tx asks for (LazChain); a block holds
	// at most block max gas / GasPerTx of them.
	GasPerTx   uint64 `json:"gas_per_tx,omitempty"`
	FirstError string `json:"first_error,omitempty"`
	// Signing is the client's pre-signing, outside the window (LazChain).
	Signing *Signing `json:"signing,omitempty"`
	// Verified is the end-of-run state check (LazChain).
	Verified *Verification `json:"verified,omitempty"`
}

// Signing is how long the client took to sign every tx before the run.
type Signing struct {
	Txs      int     `json:"txs"`
	Workers  int     `json:"workers"`
	Seconds  float64 `json:"seconds"`
	TxPerSec float64 `json:"tx_per_sec"`
}

// Run benchmarks LazChain and then, unless SkipKVStore, kvstore, one after
// the other in this process with the same CometBFT settings and harness. On
// a failed check it returns the result so far with the error.
func Run(ctx context.Context, o Options) (*Result, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	dir := o.Dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "lazchain-bench-"); err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
	}
	lazHome, kvHome := filepath.Join(dir, "lazchain"), filepath.Join(dir, "kvstore")
	if err := initLazChainHome(lazHome, o); err != nil {
		return nil, err
	}
	cfg, _, err := node.LoadConfig(lazHome)
	if err != nil {
		return nil, err
	}
	genesis, err := loadGenesis(lazHome)
	if err != nil {
		return nil, err
	}
	res := &Result{
		Target: Target,
		Settings: Settings{
			Workload: o.Workload, Validators: o.Validators, Spread: o.Spread, Txs: o.Txs, Accounts: o.Accounts, Concurrency: o.Concurrency, BlockTime: o.BlockTime.String(),
			CPUs: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0), GoVersion: runtime.Version(),
			MempoolSize: cfg.Mempool.Size, MempoolCacheSize: cfg.Mempool.CacheSize, MempoolRecheck: cfg.Mempool.Recheck,
			TxIndexer: cfg.TxIndex.Indexer, DBBackend: cfg.DBBackend, MaxBlockBytes: genesis.ConsensusParams.Block.MaxBytes,
			MaxBlockGas: genesis.ConsensusParams.Block.MaxGas,
			ABCIClient:  "in-process, one mutex per connection (proxy.NewConnSyncLocalClientCreator)",
			Broadcast:   broadcastDescription(o),
		},
	}
	if !o.SkipLazChain && o.Validators > 1 {
		res.LazChain, err = runNetwork(ctx, filepath.Join(dir, "testnet"), o)
		if err != nil {
			return res, fmt.Errorf("lazchain (%d validators): %w", o.Validators, err)
		}
	} else if !o.SkipLazChain {
		res.LazChain, err = runLazChain(ctx, lazHome, o)
		if err != nil {
			return res, fmt.Errorf("lazchain: %w", err)
		}
	}
	if !o.SkipKVStore {
		runtime.GC()
		res.KVStore, err = runKVStore(ctx, kvHome, lazHome, o)
		if err != nil {
			return res, fmt.Errorf("kvstore: %w", err)
		}
	}
	if res.LazChain != nil && res.KVStore != nil && res.KVStore.TxPerSec > 0 {
		res.Ratio = res.LazChain.TxPerSec / res.KVStore.TxPerSec
	}
	return res, nil
}

func broadcastDescription(o Options) string {
	d := "BroadcastTxSync as JSON-RPC over loopback HTTP, keep-alive connections (CheckTx runs before it returns)"
	if o.Transport == TransportLocal {
		d = "BroadcastTxSync through rpc/client/local, in-process (CheckTx runs before it returns)"
	}
	switch {
	case o.Validators > 1 && o.Spread:
		d += fmt.Sprintf("; lazchain: to all %d validators, account i's txs to node i mod %d, commits timed on node 0", o.Validators, o.Validators)
	case o.Validators > 1:
		d += fmt.Sprintf("; lazchain: to node 0 of %d validators, which gossips them, commits timed on node 0", o.Validators)
	}
	return d
}

// broadcaster is the client the harness broadcasts through: the node's RPC
// over HTTP, or in-process.
func broadcaster(transport, rpcAddr string, local *client.Client) (*client.Client, error) {
	if transport == TransportLocal {
		return local, nil
	}
	return client.Dial("tcp://" + rpcAddr)
}

// laneSizes splits txs over lanes as evenly as possible.
func laneSizes(txs, lanes int) []int {
	out := make([]int, lanes)
	for i := range out {
		out[i] = txs / lanes
		if i < txs%lanes {
			out[i]++
		}
	}
	return out
}

// freeAddr is a loopback host:port nothing listens on.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free loopback port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// waitForHeight polls the block store until it holds height h.
func waitForHeight(ctx context.Context, height func() int64, h int64) error {
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for height() < h {
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for height %d (at %d): %w", h, height(), ctx.Err())
		case <-t.C:
		}
	}
	return nil
}
