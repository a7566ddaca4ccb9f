package app

import (
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/store"
	"github.com/lazchain/lazchain/x/auth"
	"github.com/lazchain/lazchain/x/bank"
	"github.com/lazchain/lazchain/x/compute"
	"github.com/lazchain/lazchain/x/dat"
	"github.com/lazchain/lazchain/x/flow"
	"github.com/lazchain/lazchain/x/idao"
	"github.com/lazchain/lazchain/x/service"
	"github.com/lazchain/lazchain/x/staking"
)

// Version is the application's protocol version, reported in Info.
const Version = "0.1.0"

// AppVersion is the ABCI app version; it changes with every state-machine
// breaking release.
const AppVersion = 1

// Options configure an App.
type Options struct {
	// ChainID is the chain this app serves; txs for any other are refused.
	ChainID string
	// Logger receives structured logs; nil discards them.
	Logger *slog.Logger
	// Metrics registers the app's Prometheus metrics; nil registers none.
	Metrics prometheus.Registerer
	// KeepVersions, when positive, prunes state versions older than that
	// many blocks after each commit. Zero keeps every version (queries and
	// proofs at any height).
	KeepVersions int64
	// CheckInvariants runs every module's invariants after every block and
	// halts on a violation. It reads the whole state: for tests and audits.
	CheckInvariants bool
}

// App is the LazChain ABCI application.
type App struct {
	abci.BaseApplication

	opts    Options
	chainID string
	log     *slog.Logger
	tree    *store.Tree
	metrics *metrics

	Auth    auth.Module
	Bank    bank.Module
	IDAO    idao.Module
	DAT     dat.Module
	Compute compute.Module
	Flow    flow.Module
	Service service.Module
	Staking staking.Module

	modules []chain.Module
	routes  map[protoreflect.FullName]route
	queries map[string]chain.Query

	txs *txCache

	snap *snapshotter // state sync snapshots (statesync.go); nil until EnableSnapshots

	// consensus state, touched only by the consensus connection
	pendingHeight int64
	lastBlockTime time.Time

	// mempool state
	checkMu     sync.Mutex
	check       *store.Cache
	checkHeight int64
	checkTime   time.Time
}

type route struct {
	module string
	exec   func(*chain.Context, proto.Message) error
}

// New assembles the application over a state tree.
func New(tree *store.Tree, opts Options) (*App, error) {
	if opts.ChainID == "" {
		return nil, fmt.Errorf("app: a chain id is required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	a := &App{
		opts:    opts,
		chainID: opts.ChainID,
		log:     opts.Logger,
		tree:    tree,
		routes:  map[protoreflect.FullName]route{},
		queries: map[string]chain.Query{},
		txs:     newTxCache(1 << 15),
	}
	a.Bank = bank.Module{}
	a.Auth = auth.Module{Keeper: auth.Keeper{Bank: a.Bank.Keeper}}
	// idao and dat use each other through interfaces each declares: dat
	// checks roles, policies and agreements; idao checks who owns a class.
	idaoKeeper := &idao.Keeper{Bank: a.Bank.Keeper}
	datKeeper := &dat.Keeper{Bank: a.Bank.Keeper, IDAO: idaoKeeper}
	idaoKeeper.Classes = datKeeper
	a.IDAO = idao.Module{Keeper: idaoKeeper}
	a.DAT = dat.Module{Keeper: datKeeper}
	computeKeeper := &compute.Keeper{Bank: a.Bank.Keeper, IDAO: idaoKeeper}
	a.Compute = compute.Module{Keeper: computeKeeper}
	flowKeeper := &flow.Keeper{Bank: a.Bank.Keeper, IDAO: idaoKeeper, DAT: datKeeper, Compute: computeKeeper}
	a.Flow = flow.Module{Keeper: flowKeeper}
	a.Service = service.Module{Keeper: &service.Keeper{
		Bank: a.Bank.Keeper, IDAO: idaoKeeper, DAT: datKeeper, Compute: computeKeeper, Flow: flowKeeper,
	}}
	stakingKeeper := &staking.Keeper{Bank: a.Bank.Keeper, IDAO: idaoKeeper}
	idaoKeeper.Staking = stakingKeeper
	a.Staking = staking.Module{Keeper: stakingKeeper}
	// The order is the order of InitGenesis, of the genesis file and of
	// the begin- and end-of-block hooks. iDAOs come before the classes
	// they own.
	a.modules = []chain.Module{a.Auth, a.Bank, a.IDAO, a.DAT, a.Compute, a.Flow, a.Service, a.Staking}
	for _, m := range a.modules {
		for _, h := range m.Handlers() {
			name := h.Msg.ProtoReflect().Descriptor().FullName()
			if _, dup := a.routes[name]; dup {
				return nil, fmt.Errorf("app: message %s registered twice", name)
			}
			if _, ok := h.Msg.(interface{ GetFrom() string }); !ok {
				return nil, fmt.Errorf("app: message %s has no from field to authorise it", name)
			}
			a.routes[name] = route{module: m.Name(), exec: h.Exec}
		}
		for _, q := range m.Queries() {
			a.queries["/"+m.Name()+"/"+q.Path] = q
		}
	}
	var err error
	if a.metrics, err = newMetrics(opts.Metrics); err != nil {
		return nil, err
	}
	a.resetCheckState()
	return a, nil
}

// ChainID is the chain this app serves.
func (a *App) ChainID() string { return a.chainID }

// Tree is the app's state, for tools that read it directly.
func (a *App) Tree() *store.Tree { return a.tree }

// Modules lists the modules in genesis order.
func (a *App) Modules() []chain.Module { return a.modules }

// MessageTypes lists the message types the app routes, sorted.
func (a *App) MessageTypes() []string {
	out := make([]string, 0, len(a.routes))
	for n := range a.routes {
		out = append(out, string(n))
	}
	sort.Strings(out)
	return out
}

// QueryPaths lists the module query paths, sorted.
func (a *App) QueryPaths() []string {
	out := make([]string, 0, len(a.queries))
	for p := range a.queries {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// resetCheckState points CheckTx at the latest committed version.
func (a *App) resetCheckState() {
	latest := a.tree.Latest()
	a.checkMu.Lock()
	a.check = store.NewCache(latest)
	a.checkHeight = latest.Version()
	a.checkTime = a.lastBlockTime
	a.checkMu.Unlock()
}
