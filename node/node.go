package node

import (
	"context"
	"errors"
	"fmt"
	"github.com/lazchain/lazchain/blob"
	"github.com/lazchain/lazchain/x/flow"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	cmtnode "github.com/cometbft/cometbft/node"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	"github.com/cometbft/cometbft/proxy"
	rpclocal "github.com/cometbft/cometbft/rpc/client/local"
	cmttypes "github.com/cometbft/cometbft/types"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/lazchain/lazchain/api"
	"github.com/lazchain/lazchain/app"
	"github.com/lazchain/lazchain/client"
	"github.com/lazchain/lazchain/store"
)

// StartOptions override a home's configuration for one run.
type StartOptions struct {
	// RPCAddr, P2PAddr and APIAddr are host:port to listen on.
	RPCAddr, P2PAddr, APIAddr string
	// BlockTime overrides timeout_commit.
	BlockTime time.Duration
	// DisableAPI turns the HTTP API off.
	DisableAPI bool
	// Metrics registers CometBFT's and the app's Prometheus metrics with the
	// process's default registry and serves them at the API's /metrics. Only
	// one node per process may enable it.
	Metrics bool
	// CheckInvariants checks every module invariant after every block.
	CheckInvariants bool
	// Logger overrides the logger built from app.toml.
	Logger *slog.Logger
	// APIOptions are passed to the API server (dev keys, dashboard notes).
	APIOptions api.Options
}

// Node is a running LazChain node.
type Node struct {
	Home   string
	Comet  *cmtnode.Node
	App    *app.App
	Client *client.Client
	Log    *slog.Logger
	// Blobs is the node's blob store (nil when the API is off).
	Blobs blob.Store

	cfg        *cmtcfg.Config
	tree       *store.Tree
	closeIndex func() error
	stopping   atomic.Bool
	apiSrv     *http.Server
	apiAddr    string
}

// Start opens a home and runs its node until Stop.
func Start(home string, o StartOptions) (*Node, error) {
	cfg, ac, err := LoadConfig(home)
	if err != nil {
		return nil, err
	}
	if o.RPCAddr != "" {
		cfg.RPC.ListenAddress = "tcp://" + o.RPCAddr
	}
	if o.P2PAddr != "" {
		cfg.P2P.ListenAddress = "tcp://" + o.P2PAddr
	}
	if o.BlockTime > 0 {
		cfg.Consensus.TimeoutCommit = o.BlockTime
	}
	if o.APIAddr != "" {
		ac.API.Address = o.APIAddr
	}
	if o.DisableAPI {
		ac.API.Enable = false
	}
	logger := o.Logger
	if logger == nil {
		if logger, err = NewLogger(os.Stderr, ac.Log); err != nil {
			return nil, fmt.Errorf("%s: %w", appConfigPath(home), err)
		}
	}
	genDoc, err := cmttypes.GenesisDocFromFile(cfg.GenesisFile())
	if err != nil {
		return nil, fmt.Errorf("read genesis %s: %w", cfg.GenesisFile(), err)
	}

	if _, err := repairIndex(cfg, logger.With("module", "index")); err != nil {
		return nil, fmt.Errorf("repair the tx index: %w", err)
	}
	tree, err := store.OpenTree(stateDir(home), store.TreeOptions{})
	if err != nil {
		return nil, err
	}
	n := &Node{Home: home, Log: logger, cfg: cfg, tree: tree}
	var reg prometheus.Registerer
	if o.Metrics {
		reg = prometheus.DefaultRegisterer
		dir := stateDir(home)
		if err := reg.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: "lazchain", Name: "state_disk_bytes",
			Help: "Bytes the state database (every kept version) takes on disk.",
		}, func() float64 { return float64(dirSize(dir)) })); err != nil {
			tree.Close()
			return nil, fmt.Errorf("metrics: %w", err)
		}
	}
	n.App, err = app.New(tree, app.Options{
		ChainID:         genDoc.ChainID,
		Logger:          logger.With("module", "app"),
		Metrics:         reg,
		KeepVersions:    ac.State.KeepVersions,
		CheckInvariants: o.CheckInvariants,
	})
	if err != nil {
		tree.Close()
		return nil, err
	}
	if err := n.App.EnableSnapshots(app.SnapshotOptions{
		Dir: filepath.Join(home, "data", "snapshots"), Interval: ac.State.SnapshotInterval, KeepRecent: ac.State.SnapshotKeepRecent,
	}); err != nil {
		tree.Close()
		return nil, fmt.Errorf("state sync snapshots: %w", err)
	}
	if err := n.startComet(o.Metrics, ac.Log.CometBFT); err != nil {
		tree.Close()
		return nil, err
	}
	n.Client = client.New(rpclocal.New(n.Comet))
	if ac.API.Enable {
		if err := n.startAPI(ac.API.Address, o); err != nil {
			n.Stop()
			return nil, err
		}
	}
	logger.Info("node started", "chain_id", genDoc.ChainID, "home", home, "height", tree.Version(),
		"rpc", n.RPCURL(), "api", n.APIURL())
	return n, nil
}

func (n *Node) startComet(metrics, verboseComet bool) error {
	nodeKey, err := p2p.LoadNodeKey(n.cfg.NodeKeyFile())
	if err != nil {
		return fmt.Errorf("node key: %w", err)
	}
	pv := privval.LoadFilePV(n.cfg.PrivValidatorKeyFile(), n.cfg.PrivValidatorStateFile())
	provider := cmtnode.DefaultMetricsProvider(&cmtcfg.InstrumentationConfig{Prometheus: metrics, Namespace: "cometbft"})
	if n.cfg.Instrumentation.Prometheus {
		provider = cmtnode.DefaultMetricsProvider(n.cfg.Instrumentation)
	}
	dbProvider, closeIndex := DBProvider()
	n.closeIndex = closeIndex
	cn, err := cmtnode.NewNode(context.Background(), n.cfg, pv, nodeKey,
		proxy.NewConnSyncLocalClientCreator(n.App),
		cmtnode.DefaultGenesisDocProviderFunc(n.cfg),
		dbProvider,
		provider,
		newCometLogger(n.Log, verboseComet, &n.stopping),
	)
	if err != nil {
		return fmt.Errorf("start CometBFT: %w", err)
	}
	if err := cn.Start(); err != nil {
		return fmt.Errorf("start CometBFT: %w", err)
	}
	n.Comet = cn
	return nil
}

func (n *Node) startAPI(addr string, o StartOptions) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("API address %s: %w", addr, err)
	}
	opts := o.APIOptions
	opts.Client = n.Client
	if opts.Blobs == nil {
		dir, err := blob.NewDir(BlobDir(n.Home), DefaultMaxBlobSize)
		if err != nil {
			return fmt.Errorf("blob store: %w", err)
		}
		opts.Blobs = dir
		n.Blobs = dir
	}
	if opts.Blob.MaxSize == 0 {
		opts.Blob.MaxSize = DefaultMaxBlobSize
	}
	if opts.Blob.CanDelete == nil {
		opts.Blob.CanDelete = n.canDeleteBlob
	}
	opts.Logger = n.Log.With("module", "api")
	if o.Metrics && opts.Gatherer == nil {
		opts.Gatherer = prometheus.DefaultGatherer
	}
	n.apiAddr = ln.Addr().String()
	srv := &http.Server{Handler: api.New(opts), ReadHeaderTimeout: 10 * time.Second}
	n.apiSrv = srv
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			n.Log.Error("API server stopped", "err", err)
		}
	}()
	return nil
}

// DefaultMaxBlobSize bounds one object in the node's blob store.
const DefaultMaxBlobSize = 16 << 30

// BlobDir is where the node keeps its blob store.
func BlobDir(home string) string { return filepath.Join(home, "data", "blobs") }

// canDeleteBlob allows deleting a ciphertext only when the chain names it
// and every contribution that names it has been revoked by its
// contributor: the revocation tx is the authority.
func (n *Node) canDeleteBlob(ctx context.Context, sum blob.Sum) error {
	res, err := n.Client.Contributions(ctx, flow.ContributionsQuery{Ciphertext: sum.String(), Limit: 1000}, 0)
	if err != nil {
		return err
	}
	if len(res.Contributions) == 0 {
		return fmt.Errorf("no contribution names ciphertext %s; only the ciphertext of a revoked contribution may be deleted", sum)
	}
	for _, c := range res.Contributions {
		if !c.Revoked {
			return fmt.Errorf("contribution %d names ciphertext %s and is not revoked: revoke it first (lazchain data revoke %d)", c.Id, sum, c.Id)
		}
	}
	return nil
}

// RPCURL is the CometBFT RPC address as an http URL.
func (n *Node) RPCURL() string {
	if n.Comet == nil {
		return ""
	}
	return "http://" + strings.TrimPrefix(n.cfg.RPC.ListenAddress, "tcp://")
}

// APIURL is the HTTP API's base URL, or "" if it is off.
func (n *Node) APIURL() string {
	if n.apiAddr == "" {
		return ""
	}
	return "http://" + n.apiAddr
}

// Config is the node's CometBFT configuration.
func (n *Node) Config() *cmtcfg.Config { return n.cfg }

// Stop shuts the API, CometBFT and the state database down, in that order.
// Stopping a stopped node does nothing.
func (n *Node) Stop() error {
	n.stopping.Store(true)
	var errs []error
	if n.apiSrv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		errs = append(errs, n.apiSrv.Shutdown(ctx))
		cancel()
		n.apiSrv = nil
	}
	if n.Comet != nil && n.Comet.IsRunning() {
		errs = append(errs, n.Comet.Stop())
		n.Comet.Wait()
	}
	if n.closeIndex != nil {
		errs = append(errs, n.closeIndex())
		n.closeIndex = nil
	}
	if n.tree != nil {
		n.App.WaitSnapshots()
		errs = append(errs, n.tree.Close())
		n.tree = nil
	}
	return errors.Join(errs...)
}

// WaitForHeight blocks until the node has committed height h.
func (n *Node) WaitForHeight(ctx context.Context, h int64) error {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		if n.App.Tree().Version() >= h {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for height %d (at %d): %w", h, n.App.Tree().Version(), ctx.Err())
		case <-t.C:
		}
	}
}

// dirSize is the total size of the regular files under dir.
func dirSize(dir string) int64 {
	var total int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if info, err := d.Info(); err == nil {
				total += info.Size()
			}
		}
		return nil
	})
	return total
}
