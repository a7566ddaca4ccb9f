package bench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lazchain/lazchain/node"
	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/bank"
	"github.com/lazchain/lazchain/x/idao"
	"github.com/lazchain/lazchain/x/staking"
)

// What each validator's operator bonds to its iDAO and holds besides, in
// ulaz. They are node.Testnet's defaults, given here so that the supply
// check knows the genesis supply.
const (
	networkSelfBond = 1_000 * tx.UnitsPerLAZ
	networkFunds    = 1_000_000 * tx.UnitsPerLAZ
)

// networkStartTimeout bounds the wait for a new network's nodes to reach
// height 2 and see each other.
const networkStartTimeout = 2 * time.Minute

// runNetwork writes the homes of an o.Validators-validator network under
// dir (node.Testnet: each validator's iDAO bonds stake in genesis, so all
// vote), with the bench accounts funded; starts every node in this process
// on loopback; waits until all are at height 2 and connected; then sends
// the workload to node 0's RPC (with o.Spread, lane by lane to every
// node's), times commits on node 0 and checks the state they leave, as
// runLazChain does for a single node.
func runNetwork(ctx context.Context, dir string, o Options) (res *AppResult, err error) {
	base, err := freePortRange(o.Validators)
	if err != nil {
		return nil, err
	}
	homes, err := node.Testnet(dir, node.TestnetOptions{
		Validators: o.Validators, ChainID: chainID, BasePort: base, BlockTime: o.BlockTime,
		SelfBond: networkSelfBond, Funds: networkFunds, Accounts: benchBalances(o.Accounts),
	})
	if err != nil {
		return nil, fmt.Errorf("write the network's homes: %w", err)
	}
	dirs := make([]string, len(homes))
	for i, h := range homes {
		dirs[i] = h.Home
	}
	if err := setBlockMaxGas(o.BlockMaxGas, dirs...); err != nil {
		return nil, err
	}

	nodes := make([]*node.Node, 0, len(homes))
	up := false
	// While the nodes start, each logs its failed dials to peers not yet
	// listening as errors, and while they stop, its peers' closed
	// connections: the quiet handler drops what they log until the network
	// is up and again from the teardown on.
	quiet := &quietHandler{Handler: nodeLogger(o).Handler(), quiet: new(atomic.Bool)}
	quiet.quiet.Store(true)
	defer func() {
		if stopErr := stopNetwork(nodes, up, o.BlockTime, quiet.quiet); stopErr != nil && err == nil {
			err = stopErr
		}
	}()
	logger := slog.New(quiet)
	for i, h := range homes {
		// Metrics stay off: Prometheus' default registry takes one node's.
		n, err := node.Start(h.Home, node.StartOptions{
			DisableAPI: true, Metrics: false, Logger: logger.With("node", i),
		})
		if err != nil {
			return nil, fmt.Errorf("start node %d of %d (%s): %w", i, len(homes), h.Home, err)
		}
		nodes = append(nodes, n)
	}
	if err := waitNetwork(ctx, nodes, 2, networkStartTimeout); err != nil {
		return nil, err
	}
	up = true
	quiet.quiet.Store(false)

	t := lazTarget{
		observe: nodes[0].Comet, query: nodes[0].Client,
		feeSinks: []tx.Address{bank.FeeCollector, staking.RewardsEscrow},
		supply:   uint64(o.Accounts)*genesisBalance + uint64(len(homes))*(networkSelfBond+networkFunds),
	}
	for _, h := range homes {
		t.feeSinks = append(t.feeSinks, idao.TreasuryAddress(h.IDAO))
	}
	targets := nodes[:1]
	if o.Spread {
		targets = nodes
	}
	for i, n := range targets {
		t.rpcAddrs = append(t.rpcAddrs, homes[i].RPC)
		t.locals = append(t.locals, n.Client)
	}
	return runTarget(ctx, t, o)
}

// waitNetwork waits until every node has committed height h and is
// connected to all the others, or until timeout.
func waitNetwork(ctx context.Context, nodes []*node.Node, h int64, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		lagging, err := networkLagging(ctx, nodes, h)
		if err == nil && lagging == "" {
			return nil
		}
		select {
		case <-ctx.Done():
			if err == nil {
				err = errors.New(lagging)
			}
			return fmt.Errorf("the %d-validator network did not come up (every node at height %d with %d peers) within %v: %w; "+
				"run with --home DIR to keep the homes and look at their logs", len(nodes), h, len(nodes)-1, timeout, err)
		case <-tick.C:
		}
	}
}

// networkLagging names the first node below height h or with fewer than
// len(nodes)-1 peers (as its RPC's net_info counts them), or is "" when
// there is none.
func networkLagging(ctx context.Context, nodes []*node.Node, h int64) (string, error) {
	for i, n := range nodes {
		if got := n.Comet.BlockStore().Height(); got < h {
			return fmt.Sprintf("node %d is at height %d", i, got), nil
		}
		info, err := n.Client.RPC().NetInfo(ctx)
		if err != nil {
			return "", fmt.Errorf("net_info of node %d: %w", i, err)
		}
		if info.NPeers < len(nodes)-1 {
			return fmt.Sprintf("node %d has %d peers", i, info.NPeers), nil
		}
	}
	return "", nil
}

// quietHandler drops log records while quiet is set and passes them on
// otherwise.
type quietHandler struct {
	slog.Handler
	quiet *atomic.Bool
}

func (h *quietHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return !h.quiet.Load() && h.Handler.Enabled(ctx, l)
}

func (h *quietHandler) Handle(ctx context.Context, r slog.Record) error {
	if h.quiet.Load() {
		return nil
	}
	return h.Handler.Handle(ctx, r)
}

func (h *quietHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &quietHandler{Handler: h.Handler.WithAttrs(attrs), quiet: h.quiet}
}

func (h *quietHandler) WithGroup(name string) slog.Handler {
	return &quietHandler{Handler: h.Handler.WithGroup(name), quiet: h.quiet}
}

// stopNetwork stops every node, setting quiet (which silences their logs)
// first. If the network came up (and so may have carried txs), it empties
// every mempool and waits until each node's indexer is done with the last
// blocks that can carry txs (see quiesce), while all validators still vote.
func stopNetwork(nodes []*node.Node, up bool, blockTime time.Duration, quiet *atomic.Bool) error {
	if up {
		heights := make([]int64, len(nodes))
		for i, n := range nodes {
			n.Comet.Mempool().Flush()
			heights[i] = n.Comet.BlockStore().Height()
		}
		ctx, cancel := context.WithTimeout(context.Background(), 4*blockTime+10*time.Second)
		for i, n := range nodes {
			_ = waitForHeight(ctx, n.Comet.BlockStore().Height, heights[i]+4)
		}
		cancel()
	}
	quiet.Store(true)
	errs := make([]error, len(nodes))
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := n.Stop(); err != nil {
				errs[i] = fmt.Errorf("stop node %d: %w", i, err)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// freePortRange is a base port for node.Testnet under which every node's
// p2p (base+10i) and RPC (base+10i+1) ports on loopback are free now. It
// draws bases below Linux's ephemeral range (32768 up), where the kernel
// does not hand out ports to other sockets.
func freePortRange(validators int) (int, error) {
	const lo, hi, attempts = 20000, 32760, 50
	span := 10 * validators
	if span >= hi-lo {
		return 0, fmt.Errorf("%d validators need %d ports; give at most %d", validators, span, (hi-lo)/10-1)
	}
	var lastErr error
	for range attempts {
		base := lo + 10*rand.IntN((hi-lo-span)/10)
		if lastErr = portsFree(base, validators); lastErr == nil {
			return base, nil
		}
	}
	return 0, fmt.Errorf("no free range of %d loopback ports found in %d tries (last: %w); free some ports or retry", span, attempts, lastErr)
}

// portsFree checks that nothing listens on the p2p and RPC ports of the
// network's nodes by listening on each for a moment.
func portsFree(base, validators int) error {
	var held []net.Listener
	defer func() {
		for _, l := range held {
			l.Close()
		}
	}()
	for i := range validators {
		for _, port := range []int{base + 10*i, base + 10*i + 1} {
			l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
			if err != nil {
				return err
			}
			held = append(held, l)
		}
	}
	return nil
}
