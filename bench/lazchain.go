package bench

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
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

// initLazChainHome lays out a LazChain home with the bench accounts funded,
// the block time written into config.toml and, if asked, the block gas limit
// into the genesis. The kvstore node copies both.
func initLazChainHome(home string, o Options) error {
	accounts := make([]bank.Balance, o.Accounts)
	for i := range accounts {
		accounts[i] = bank.Balance{Address: benchKey(i).Address(), Amount: tx.FormatBaseUnits(genesisBalance)}
	}
	if _, err := node.Init(home, node.InitOptions{ChainID: chainID, Moniker: "bench", BlockTime: time.Second, Accounts: accounts}); err != nil {
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
	if o.BlockMaxGas == 0 {
		return nil
	}
	doc, err := loadGenesis(home)
	if err != nil {
		return err
	}
	doc.ConsensusParams.Block.MaxGas = o.BlockMaxGas
	if err := doc.ValidateAndComplete(); err != nil {
		return fmt.Errorf("genesis with block max gas %d: %w", o.BlockMaxGas, err)
	}
	return doc.SaveAs(node.GenesisPath(home))
}

func loadGenesis(home string) (*cmttypes.GenesisDoc, error) {
	doc, err := cmttypes.GenesisDocFromFile(node.GenesisPath(home))
	if err != nil {
		return nil, fmt.Errorf("read genesis: %w", err)
	}
	return doc, nil
}

// transferPlan is who sends what: account i sends counts[i] transfers to
// account i+1 (the last to the first), each with the same gas and fee.
type transferPlan struct {
	keys     []*tx.PrivateKey
	counts   []int
	gasLimit uint64
	fee      uint64
}

func (p *transferPlan) to(i int) int { return (i + 1) % len(p.keys) }

// runLazChain starts the node in home, signs and sends the transfers and
// checks the state they leave.
func runLazChain(ctx context.Context, home string, o Options) (res *AppResult, err error) {
	rpcAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	p2pAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	logOut := o.Progress
	if logOut == nil {
		logOut = os.Stderr
	}
	n, err := node.Start(home, node.StartOptions{
		RPCAddr: rpcAddr, P2PAddr: p2pAddr, DisableAPI: true, Metrics: false,
		Logger: slog.New(slog.NewTextHandler(logOut, &slog.HandlerOptions{Level: slog.LevelError})),
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

	plan := &transferPlan{counts: laneSizes(o.Txs, o.Accounts)}
	for i := 0; i < o.Accounts; i++ {
		plan.keys = append(plan.keys, benchKey(i))
	}
	if plan.gasLimit, plan.fee, err = transferGas(ctx, n.Client, plan.keys[0], plan.keys[plan.to(0)]); err != nil {
		return nil, err
	}
	feesBefore, _, err := n.Client.Balance(ctx, bank.FeeCollector, 0)
	if err != nil {
		return nil, err
	}
	signStart := time.Now()
	lanes, workers, err := signTransfers(ctx, n.Client, plan)
	if err != nil {
		return nil, err
	}
	signTime := time.Since(signStart)

	bc, err := broadcaster(o.Transport, rpcAddr, n.Client)
	if err != nil {
		return nil, err
	}
	m, err := drive(ctx, n.Comet, bc, workload{app: "lazchain", lanes: lanes}, o.Concurrency, o.Progress)
	if err != nil {
		return nil, err
	}
	res = summarise("lazchain", m)
	res.GasPerTx = plan.gasLimit
	res.Signing = &Signing{Txs: o.Txs, Workers: workers, Seconds: signTime.Seconds(), TxPerSec: float64(o.Txs) / signTime.Seconds()}
	if res.Failed > 0 {
		return res, fmt.Errorf("%d of %d transfers did not commit with code 0; first: %s", res.Failed, res.Txs, res.FirstError)
	}
	res.Verified, err = verifyTransfers(ctx, n.Client, plan, feesBefore)
	return res, err
}

// transferGas simulates one transfer and returns the gas limit (the SDK's
// 130% of the estimate) and the minimum fee for it.
func transferGas(ctx context.Context, c *client.Client, from, to *tx.PrivateKey) (gasLimit, fee uint64, err error) {
	id, err := c.ChainID(ctx)
	if err != nil {
		return 0, 0, err
	}
	anys, err := tx.PackMsgs(client.SendMsg(from.Address(), to.Address(), transferAmount))
	if err != nil {
		return 0, 0, err
	}
	// Later nonces make a tx a byte or two longer (gas is charged per
	// byte); the 30% margin covers them.
	body := &tx.TxBody{Messages: anys}
	used, err := c.Simulate(ctx, id, from.Address(), body)
	if err != nil {
		return 0, 0, fmt.Errorf("simulate a transfer: %w", err)
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

// signTransfers builds and signs every transfer through the SDK, one lane
// per account in nonce order, on all cores.
func signTransfers(ctx context.Context, c *client.Client, p *transferPlan) ([][][]byte, int, error) {
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
					msg := client.SendMsg(p.keys[i].Address(), p.keys[p.to(i)].Address(), transferAmount)
					nonce64, fee := uint64(nonce), p.fee
					raw, err := c.BuildTx(ctx, p.keys[i], []proto.Message{msg},
						client.TxOptions{GasLimit: p.gasLimit, Fee: &fee, Nonce: &nonce64})
					if err != nil {
						errs <- fmt.Errorf("sign transfer %d of account %d: %w", nonce, i, err)
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
}

// verifyTransfers checks that every account's nonce is the number of
// transfers it sent, that its balance is its genesis balance less what it
// sent and paid plus what it received, that the fee collector got every fee
// and that the supply did not change.
func verifyTransfers(ctx context.Context, c *client.Client, p *transferPlan, feesBefore uint64) (*Verification, error) {
	v := &Verification{Accounts: len(p.keys)}
	received := make([]int, len(p.keys))
	total := 0
	for i, n := range p.counts {
		received[p.to(i)] += n
		total += n
	}
	for i, k := range p.keys {
		acct, _, err := c.Account(ctx, k.Address(), 0)
		if err != nil {
			return v, err
		}
		if acct.Nonce != uint64(p.counts[i]) {
			return v, fmt.Errorf("account %d (%s): nonce %d after %d transfers", i, k.Address(), acct.Nonce, p.counts[i])
		}
		bal, _, err := c.Balance(ctx, k.Address(), 0)
		if err != nil {
			return v, err
		}
		want := uint64(genesisBalance) - uint64(p.counts[i])*(transferAmount+p.fee) + uint64(received[i])*transferAmount
		if bal != want {
			return v, fmt.Errorf("account %d (%s): balance %d ulaz, want %d", i, k.Address(), bal, want)
		}
	}
	v.NoncesOK, v.BalancesOK = true, true
	fees, _, err := c.Balance(ctx, bank.FeeCollector, 0)
	if err != nil {
		return v, err
	}
	v.FeesCollected = fees - feesBefore
	if want := uint64(total) * p.fee; v.FeesCollected != want {
		return v, fmt.Errorf("fee collector received %d ulaz, want %d (%d txs × %d)", v.FeesCollected, want, total, p.fee)
	}
	supply, _, err := c.Supply(ctx, 0)
	if err != nil {
		return v, err
	}
	if want := tx.FormatBaseUnits(uint64(len(p.keys)) * genesisBalance); supply.Supply != want {
		return v, fmt.Errorf("supply %s ulaz, want %s", supply.Supply, want)
	}
	v.SupplyOK = true
	return v, nil
}
