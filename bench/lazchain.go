package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	cmtnode "github.com/cometbft/cometbft/node"
	cmttypes "github.com/cometbft/cometbft/types"
	"google.golang.org/protobuf/proto"

	"github.com/lazchain/lazchain/client"
	"github.com/lazchain/lazchain/node"
	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/auth"
	"github.com/lazchain/lazchain/x/bank"
)

const (
	chainID = "lazchain-bench"
	// genesisBalance funds each bench account, in ulaz.
	genesisBalance = 1_000_000_000_000
	// transferAmount is what every transfer moves, in ulaz.
	transferAmount = 1_000
)

// benchKey is the key of bench account i.
func benchKey(i int) *tx.PrivateKey { return tx.DeterministicKey(fmt.Sprintf("bench-%d", i)) }

// benchBalances funds the first n bench accounts with genesisBalance each.
func benchBalances(n int) []bank.Balance {
	accounts := make([]bank.Balance, n)
	for i := range accounts {
		accounts[i] = bank.Balance{Address: benchKey(i).Address(), Amount: tx.FormatBaseUnits(genesisBalance)}
	}
	return accounts
}

// initLazChainHome lays out a LazChain home with the bench accounts funded,
// the workload's state seeded, the block time written into config.toml and,
// if asked, the block gas limit into the genesis. The kvstore node copies
// the last two.
func initLazChainHome(home string, o Options) error {
	accounts := benchBalances(o.Accounts)
	var sections map[string]json.RawMessage
	if o.Workload == WorkloadDATTransferValue {
		var err error
		if sections, err = datGenesis(o.Accounts); err != nil {
			return err
		}
	}
	if _, err := node.Init(home, node.InitOptions{
		ChainID: chainID, Moniker: "bench", BlockTime: time.Second, Accounts: accounts, Sections: sections,
	}); err != nil {
		return err
	}
	// node.Init takes a non-zero block time only; write the chosen one,
	// zero included, into the config both nodes read.
	cfg, _, err := node.LoadConfig(home)
	if err != nil {
		return err
	}
	cfg.Consensus.TimeoutCommit = o.BlockTime
	cmtcfg.WriteConfigFile(filepath.Join(home, "config", "config.toml"), cfg)
	return setBlockMaxGas(o.BlockMaxGas, home)
}

// setBlockMaxGas writes gas, unless 0, as block.max_gas into the genesis of
// the first home and saves that genesis in every home (the homes of one
// network share it).
func setBlockMaxGas(gas int64, homes ...string) error {
	if gas == 0 || len(homes) == 0 {
		return nil
	}
	doc, err := loadGenesis(homes[0])
	if err != nil {
		return err
	}
	doc.ConsensusParams.Block.MaxGas = gas
	if err := doc.ValidateAndComplete(); err != nil {
		return fmt.Errorf("genesis with block max gas %d: %w", gas, err)
	}
	for _, home := range homes {
		if err := doc.SaveAs(node.GenesisPath(home)); err != nil {
			return fmt.Errorf("write the genesis of %s: %w", home, err)
		}
	}
	return nil
}

func loadGenesis(home string) (*cmttypes.GenesisDoc, error) {
	doc, err := cmttypes.GenesisDocFromFile(node.GenesisPath(home))
	if err != nil {
		return nil, fmt.Errorf("read genesis: %w", err)
	}
	return doc, nil
}

// plan is what a LazChain run sends: account i sends counts[i] txs in nonce
// order, the one with nonce n carrying msg(i, n), each with the same gas
// limit and fee.
type plan struct {
	// app names the run in results and progress lines.
	app string
	// noun names one tx in messages ("transfer").
	noun   string
	keys   []*tx.PrivateKey
	counts []int
	msg    func(i, nonce int) proto.Message
	// sent and received are the ulaz each account's balance loses to and
	// gains from the workload's messages, fees aside.
	sent, received []uint64
	// check, when set, verifies the workload's own state after the run.
	check    func(ctx context.Context, c *client.Client, v *Verification) error
	gasLimit uint64
	fee      uint64
}

// newPlan lays out o's workload over o.Accounts accounts.
func newPlan(o Options) *plan {
	p := &plan{
		counts: laneSizes(o.Txs, o.Accounts),
		sent:   make([]uint64, o.Accounts), received: make([]uint64, o.Accounts),
	}
	for i := 0; i < o.Accounts; i++ {
		p.keys = append(p.keys, benchKey(i))
	}
	if o.Workload == WorkloadDATTransferValue {
		p.app, p.noun = "lazchain-dat", "transferValue"
		p.msg = datTransferValueMsg(p.keys)
		p.check = func(ctx context.Context, c *client.Client, v *Verification) error {
			return verifyDATTokens(ctx, c, p, v)
		}
		return p
	}
	p.app, p.noun = "lazchain", "transfer"
	to := func(i int) int { return (i + 1) % len(p.keys) }
	p.msg = func(i, _ int) proto.Message {
		return client.SendMsg(p.keys[i].Address(), p.keys[to(i)].Address(), transferAmount)
	}
	for i, n := range p.counts {
		p.sent[i] += uint64(n) * transferAmount
		p.received[to(i)] += uint64(n) * transferAmount
	}
	return p
}

// runLazChain starts the node in home, signs and sends the workload's txs
// and checks the state they leave.
func runLazChain(ctx context.Context, home string, o Options) (res *AppResult, err error) {
	rpcAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	p2pAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	n, err := node.Start(home, node.StartOptions{
		RPCAddr: rpcAddr, P2PAddr: p2pAddr, DisableAPI: true, Metrics: false,
		Logger: nodeLogger(o),
	})
	if err != nil {
		return nil, err
	}
	defer func() {
		quiesce(n.Comet, o.BlockTime)
		if stopErr := n.Stop(); stopErr != nil && err == nil {
			err = fmt.Errorf("stop node: %w", stopErr)
		}
	}()
	if err := n.WaitForHeight(ctx, 1); err != nil {
		return nil, err
	}
	return runTarget(ctx, lazTarget{
		observe: n.Comet, query: n.Client,
		rpcAddrs: []string{rpcAddr}, locals: []*client.Client{n.Client},
		feeSinks: []tx.Address{bank.FeeCollector},
		supply:   uint64(o.Accounts) * genesisBalance,
	}, o)
}

// nodeLogger is the logger of a bench node: errors only, to the progress
// writer or stderr.
func nodeLogger(o Options) *slog.Logger {
	out := o.Progress
	if out == nil {
		out = os.Stderr
	}
	return slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: slog.LevelError}))
}

// lazTarget is the chain a LazChain run sends its workload to: a single
// node, or a network whose node 0 is observed.
type lazTarget struct {
	// observe is the node whose commits are timed.
	observe *cmtnode.Node
	// query is observe's in-process client, for the gas estimate, the
	// signing and the final state check.
	query *client.Client
	// rpcAddrs (host:port of the RPC servers, for TransportHTTP) and locals
	// (in-process clients, for TransportLocal) are the nodes broadcast to;
	// the workload's lanes are spread over them.
	rpcAddrs []string
	locals   []*client.Client
	// feeSinks are the accounts a tx's fee ends up in during the run: the
	// fee collector, and, where staking validators sign blocks, the rewards
	// escrow and the validators' iDAO treasuries (commission).
	feeSinks []tx.Address
	// supply is the chain's total ulaz from genesis on.
	supply uint64
}

// runTarget signs the workload's txs, sends them to t's nodes, times their
// commits on t.observe and checks the state they leave.
func runTarget(ctx context.Context, t lazTarget, o Options) (res *AppResult, err error) {
	p := newPlan(o)
	if p.gasLimit, p.fee, err = planGas(ctx, t.query, p); err != nil {
		return nil, err
	}
	feesBefore, err := balanceSum(ctx, t.query, t.feeSinks)
	if err != nil {
		return nil, err
	}
	signStart := time.Now()
	lanes, workers, err := signPlan(ctx, t.query, p)
	if err != nil {
		return nil, err
	}
	signTime := time.Since(signStart)

	var bcs []*client.Client
	for i, addr := range t.rpcAddrs {
		bc, err := broadcaster(o.Transport, addr, t.locals[i])
		if err != nil {
			return nil, err
		}
		bcs = append(bcs, bc)
	}
	m, err := drive(ctx, t.observe, bcs, workload{app: p.app, lanes: lanes}, o.Concurrency, o.Progress)
	if err != nil {
		return nil, err
	}
	res = summarise(p.app, m)
	res.GasPerTx = p.gasLimit
	if res.LastHeight > 0 {
		h := res.LastHeight
		vals, err := t.query.RPC().Validators(ctx, &h, nil, nil)
		if err != nil {
			return res, fmt.Errorf("validator set at height %d: %w", h, err)
		}
		res.Validators = vals.Total
	}
	res.Signing = &Signing{Txs: o.Txs, Workers: workers, Seconds: signTime.Seconds(), TxPerSec: float64(o.Txs) / signTime.Seconds()}
	if res.Failed > 0 {
		return res, fmt.Errorf("%d of %d %ss did not commit with code 0; first: %s", res.Failed, res.Txs, p.noun, res.FirstError)
	}
	res.Verified, err = verifyPlan(ctx, t.query, p, t, feesBefore)
	return res, err
}

// balanceSum is the sum of the accounts' balances at the latest height.
func balanceSum(ctx context.Context, c *client.Client, addrs []tx.Address) (uint64, error) {
	var sum uint64
	for _, a := range addrs {
		b, _, err := c.Balance(ctx, a, 0)
		if err != nil {
			return 0, fmt.Errorf("balance of %s: %w", a, err)
		}
		sum += b
	}
	return sum, nil
}

// planGas simulates the plan's first tx and returns the gas limit (the
// SDK's 130% of the estimate) and the minimum fee for it.
func planGas(ctx context.Context, c *client.Client, p *plan) (gasLimit, fee uint64, err error) {
	id, err := c.ChainID(ctx)
	if err != nil {
		return 0, 0, err
	}
	anys, err := tx.PackMsgs(p.msg(0, 0))
	if err != nil {
		return 0, 0, err
	}
	// Later nonces (and, for DAT, larger token ids) make a tx a byte or two
	// longer (gas is charged per byte); the 30% margin covers them.
	body := &tx.TxBody{Messages: anys}
	used, err := c.Simulate(ctx, id, p.keys[0].Address(), body)
	if err != nil {
		return 0, 0, fmt.Errorf("simulate a %s: %w", p.noun, err)
	}
	params, err := c.Params(ctx)
	if err != nil {
		return 0, 0, err
	}
	price, err := auth.ParseGasPrice(params.MinGasPrice)
	if err != nil {
		return 0, 0, err
	}
	gasLimit = used * 130 / 100
	fee, ok := auth.RequiredFee(gasLimit, price)
	if !ok {
		return 0, 0, fmt.Errorf("gas limit %d is too large to pay for", gasLimit)
	}
	return gasLimit, fee, nil
}

// signPlan builds and signs every tx of the plan through the SDK, one lane
// per account in nonce order, on all cores.
func signPlan(ctx context.Context, c *client.Client, p *plan) ([][][]byte, int, error) {
	lanes := make([][][]byte, len(p.keys))
	workers := runtime.GOMAXPROCS(0)
	next := make(chan int)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				lane := make([][]byte, p.counts[i])
				for nonce := range lane {
					nonce64, fee := uint64(nonce), p.fee
					raw, err := c.BuildTx(ctx, p.keys[i], []proto.Message{p.msg(i, nonce)},
						client.TxOptions{GasLimit: p.gasLimit, Fee: &fee, Nonce: &nonce64})
					if err != nil {
						errs <- fmt.Errorf("sign %s %d of account %d: %w", p.noun, nonce, i, err)
						return
					}
					lane[nonce] = raw
				}
				lanes[i] = lane
			}
		}()
	}
	var err error
feed:
	for i := range p.keys {
		select {
		case next <- i:
		case err = <-errs:
			break feed
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err == nil {
		select {
		case err = <-errs:
		default:
		}
	}
	return lanes, workers, err
}

// Verification is the state a LazChain run left, checked account by account.
type Verification struct {
	Accounts      int    `json:"accounts"`
	NoncesOK      bool   `json:"nonces_ok"`
	BalancesOK    bool   `json:"balances_ok"`
	FeesCollected uint64 `json:"fees_collected"`
	SupplyOK      bool   `json:"supply_ok"`
	// DATTokens is the number of DAT tokens checked, and DATTokensOK says
	// that each holds the value its account's transferValues leave in it,
	// that each account's pair still sums to what genesis minted, and that
	// the class's total value is unchanged (WorkloadDATTransferValue).
	DATTokens   int  `json:"dat_tokens,omitempty"`
	DATTokensOK bool `json:"dat_tokens_ok,omitempty"`
}

// verifyPlan checks that every account's nonce is the number of txs it
// sent, that its balance is its genesis balance less what it sent and paid
// plus what it received, that t's fee sinks (the fee collector on a single
// node) got every fee and that the supply did not change; then the
// workload's own state.
func verifyPlan(ctx context.Context, c *client.Client, p *plan, t lazTarget, feesBefore uint64) (*Verification, error) {
	v := &Verification{Accounts: len(p.keys)}
	total := 0
	for _, n := range p.counts {
		total += n
	}
	for i, k := range p.keys {
		acct, _, err := c.Account(ctx, k.Address(), 0)
		if err != nil {
			return v, err
		}
		if acct.Nonce != uint64(p.counts[i]) {
			return v, fmt.Errorf("account %d (%s): nonce %d after %d %ss", i, k.Address(), acct.Nonce, p.counts[i], p.noun)
		}
		bal, _, err := c.Balance(ctx, k.Address(), 0)
		if err != nil {
			return v, err
		}
		want := uint64(genesisBalance) - uint64(p.counts[i])*p.fee - p.sent[i] + p.received[i]
		if bal != want {
			return v, fmt.Errorf("account %d (%s): balance %d ulaz, want %d", i, k.Address(), bal, want)
		}
	}
	v.NoncesOK, v.BalancesOK = true, true
	fees, err := balanceSum(ctx, c, t.feeSinks)
	if err != nil {
		return v, err
	}
	v.FeesCollected = fees - feesBefore
	if want := uint64(total) * p.fee; v.FeesCollected != want {
		what := "fee collector"
		if len(t.feeSinks) > 1 {
			what = "fee collector, rewards escrow and validator treasuries"
		}
		return v, fmt.Errorf("%s received %d ulaz, want %d (%d txs × %d)", what, v.FeesCollected, want, total, p.fee)
	}
	supply, _, err := c.Supply(ctx, 0)
	if err != nil {
		return v, err
	}
	if want := tx.FormatBaseUnits(t.supply); supply.Supply != want {
		return v, fmt.Errorf("supply %s ulaz, want %s", supply.Supply, want)
	}
	v.SupplyOK = true
	if p.check != nil {
		return v, p.check(ctx, c, v)
	}
	return v, nil
}
