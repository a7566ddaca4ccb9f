package bench

import (
	"context"
	"flag"
	"net"
	"testing"
	"time"

	"github.com/lazchain/lazchain/x/dat"
)

var (
	benchTxs         = flag.Int("bench.txs", 10000, "txs per run in BenchmarkTransfers and BenchmarkKVStore")
	benchBlockMaxGas = flag.Int64("bench.blockmaxgas", 0, "genesis block.max_gas in the benchmarks (0: as `lazchain init` writes it, -1: no limit)")
)

// TestRunSmall drives a few hundred txs through both nodes and checks that
// every transfer committed with code 0 and that the state adds up.
func TestRunSmall(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	res, err := Run(ctx, Options{Txs: 300, Accounts: 20, Concurrency: 4, BlockTime: 50 * time.Millisecond, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []*AppResult{res.LazChain, res.KVStore} {
		if a == nil {
			t.Fatal("an app did not run")
		}
		if a.Txs != 300 || a.Committed != 300 || a.Failed != 0 || a.Rejected != 0 || a.FailedInBlock != 0 {
			t.Errorf("%s: %d txs, %d committed, %d failed (%d rejected, %d in blocks): %s",
				a.App, a.Txs, a.Committed, a.Failed, a.Rejected, a.FailedInBlock, a.FirstError)
		}
		if a.Blocks < 1 || a.TxPerSec <= 0 || a.P50 <= 0 || a.P99 < a.P50 {
			t.Errorf("%s: implausible numbers %+v", a.App, a)
		}
		if a.Validators != 1 {
			t.Errorf("%s: committed by %d validators, want 1", a.App, a.Validators)
		}
	}
	if res.Settings.Validators != 1 {
		t.Errorf("settings: %d validators, want 1 by default", res.Settings.Validators)
	}
	v := res.LazChain.Verified
	if v == nil || !v.NoncesOK || !v.BalancesOK || !v.SupplyOK || v.Accounts != 20 {
		t.Fatalf("lazchain state not verified: %+v", v)
	}
	if s := res.LazChain.Signing; s == nil || s.Txs != 300 {
		t.Errorf("signing stats %+v", s)
	}
	if v.FeesCollected == 0 || v.FeesCollected%300 != 0 {
		t.Errorf("fees collected %d: want the same fee from each of 300 transfers", v.FeesCollected)
	}
	if res.Ratio <= 0 {
		t.Errorf("ratio %v", res.Ratio)
	}
}

// TestRunNetworkSmall drives a few hundred transfers through a network of
// four validators in this process, each case broadcasting to node 0 only or
// spread over all four, and checks that every transfer committed with code
// 0 on node 0, that all four validators made the blocks and that the state
// adds up (fees included, which the validators' staking rewards move out
// of the fee collector).
func TestRunNetworkSmall(t *testing.T) {
	const txs, accounts, validators = 240, 16, 4
	for _, c := range []struct {
		name   string
		spread bool
	}{{"node0", false}, {"spread", true}} {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			res, err := Run(ctx, Options{
				Txs: txs, Accounts: accounts, Concurrency: 4, BlockTime: 50 * time.Millisecond,
				Validators: validators, Spread: c.spread, SkipKVStore: true, Dir: t.TempDir(),
			})
			if err != nil {
				t.Fatal(err)
			}
			if s := res.Settings; s.Validators != validators || s.Spread != c.spread {
				t.Errorf("settings: %d validators, spread %v", s.Validators, s.Spread)
			}
			a := res.LazChain
			if a == nil || res.KVStore != nil {
				t.Fatalf("lazchain %+v, kvstore %+v", a, res.KVStore)
			}
			if a.Txs != txs || a.Committed != txs || a.Failed != 0 || a.Rejected != 0 || a.FailedInBlock != 0 {
				t.Errorf("%d txs, %d committed, %d failed (%d rejected, %d in blocks): %s",
					a.Txs, a.Committed, a.Failed, a.Rejected, a.FailedInBlock, a.FirstError)
			}
			if a.Validators != validators {
				t.Errorf("the run's last block was committed by a set of %d validators, want %d", a.Validators, validators)
			}
			if a.Blocks < 1 || a.FirstHeight < 3 || a.TxPerSec <= 0 || a.P50 <= 0 || a.P99 < a.P50 {
				t.Errorf("implausible numbers %+v", a)
			}
			v := a.Verified
			if v == nil || !v.NoncesOK || !v.BalancesOK || !v.SupplyOK || v.Accounts != accounts {
				t.Fatalf("state not verified: %+v", v)
			}
			if v.FeesCollected == 0 || v.FeesCollected%txs != 0 {
				t.Errorf("fees collected %d: want the same fee from each of %d transfers", v.FeesCollected, txs)
			}
		})
	}
}

// TestPortsFree checks that a port in use makes a range unusable.
func TestPortsFree(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	if err := portsFree(port, 1); err == nil {
		t.Errorf("p2p port %d is in use, but the range is free", port)
	}
	if err := portsFree(port-1, 1); err == nil {
		t.Errorf("RPC port %d is in use, but the range is free", port)
	}
	base, err := freePortRange(4)
	if err != nil {
		t.Fatal(err)
	}
	if base < 1024 || base+40 > 65535 {
		t.Errorf("base port %d", base)
	}
	if err := portsFree(base, 4); err != nil {
		t.Errorf("freePortRange gave %d, whose ports are not free: %v", base, err)
	}
}

// TestRunDATSmall drives a few DAT transferValues through the node (the
// accounts sending odd and even numbers of them) and checks that every one
// committed with code 0 and that the tokens, nonces, balances and fees add
// up.
func TestRunDATSmall(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const txs, accounts = 155, 10
	res, err := Run(ctx, Options{
		Workload: WorkloadDATTransferValue, Txs: txs, Accounts: accounts, Concurrency: 4,
		BlockTime: 50 * time.Millisecond, SkipKVStore: true, Dir: t.TempDir(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.KVStore != nil || res.Settings.Workload != WorkloadDATTransferValue {
		t.Errorf("settings %+v, kvstore %+v", res.Settings, res.KVStore)
	}
	a := res.LazChain
	if a == nil {
		t.Fatal("lazchain did not run")
	}
	if a.App != "lazchain-dat" || a.Txs != txs || a.Committed != txs || a.Failed != 0 {
		t.Errorf("%s: %d txs, %d committed, %d failed: %s", a.App, a.Txs, a.Committed, a.Failed, a.FirstError)
	}
	if a.Blocks < 1 || a.TxPerSec <= 0 || a.P50 <= 0 || a.P99 < a.P50 || a.GasPerTx == 0 {
		t.Errorf("implausible numbers %+v", a)
	}
	v := a.Verified
	if v == nil || !v.NoncesOK || !v.BalancesOK || !v.SupplyOK || !v.DATTokensOK || v.Accounts != accounts || v.DATTokens != 2*accounts {
		t.Fatalf("state not verified: %+v", v)
	}
	if v.FeesCollected == 0 || v.FeesCollected%txs != 0 {
		t.Errorf("fees collected %d: want the same fee from each of %d transferValues", v.FeesCollected, txs)
	}
}

// TestDATPlan checks the DAT workload's messages and the token values they
// are expected to leave.
func TestDATPlan(t *testing.T) {
	p := newPlan(Options{Workload: WorkloadDATTransferValue, Txs: 5, Accounts: 2})
	if p.counts[0] != 3 || p.counts[1] != 2 {
		t.Fatalf("counts %v", p.counts)
	}
	for _, c := range []struct {
		i, nonce int
		from, to uint64
	}{{0, 0, 1, 2}, {0, 1, 2, 1}, {0, 2, 1, 2}, {1, 0, 3, 4}, {1, 1, 4, 3}} {
		m, ok := p.msg(c.i, c.nonce).(*dat.MsgTransferValue)
		if !ok || m.FromToken != c.from || m.ToToken != c.to || m.Value != datMoveValue || m.From != p.keys[c.i].Address().String() {
			t.Errorf("account %d nonce %d: %v, want %d -> %d", c.i, c.nonce, m, c.from, c.to)
		}
	}
	if a, b := datWant(3); a != datTokenValue-1 || b != datTokenValue+1 {
		t.Errorf("after 3: %d, %d", a, b)
	}
	if a, b := datWant(2); a != datTokenValue || b != datTokenValue {
		t.Errorf("after 2: %d, %d", a, b)
	}
	if p.sent[0] != 0 || p.received[1] != 0 {
		t.Errorf("DAT txs move no ulaz: sent %v, received %v", p.sent, p.received)
	}
}

// TestRunRejectsBadOptions checks that options are validated before any
// node starts.
func TestRunRejectsBadOptions(t *testing.T) {
	for name, o := range map[string]Options{
		"negative txs":           {Txs: -1},
		"negative accounts":      {Accounts: -3},
		"negative concurrency":   {Concurrency: -1},
		"negative block time":    {BlockTime: -time.Second},
		"block max gas below -1": {BlockMaxGas: -2},
		"kvstore tx too small":   {KVTxBytes: 3},
		"unknown workload":       {Workload: "mint"},
		"negative validators":    {Validators: -1},
		"DAT on a network":       {Validators: 2, Workload: WorkloadDATTransferValue},
		"spread on one node":     {Spread: true},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Run(context.Background(), o); err == nil {
				t.Fatal("no error")
			}
		})
	}
}

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i))
	}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{0.5, 50}, {0.99, 99}, {1, 100}, {0, 1}} {
		if got := percentile(d, c.p); got != c.want {
			t.Errorf("p%v = %v, want %v", c.p, got, c.want)
		}
	}
	if got := percentile(nil, 0.5); got != 0 {
		t.Errorf("empty: %v", got)
	}
}

// BenchmarkTransfers is LazChain alone through the whole node: signed
// transfers broadcast, checked, ordered, executed and committed. Signing
// happens before the window that tx/s measures (but inside a CPU profile).
func BenchmarkTransfers(b *testing.B) {
	benchmarkApp(b, Options{SkipKVStore: true}, func(r *Result) *AppResult { return r.LazChain })
}

// BenchmarkDATTransferValue is LazChain alone through the whole node with
// DAT transferValues between tokens seeded in genesis.
func BenchmarkDATTransferValue(b *testing.B) {
	benchmarkApp(b, Options{SkipKVStore: true, Workload: WorkloadDATTransferValue}, func(r *Result) *AppResult { return r.LazChain })
}

// BenchmarkKVStore is CometBFT's kvstore app through the same harness and
// node configuration.
func BenchmarkKVStore(b *testing.B) {
	benchmarkApp(b, Options{SkipLazChain: true}, func(r *Result) *AppResult { return r.KVStore })
}

func benchmarkApp(b *testing.B, o Options, pick func(*Result) *AppResult) {
	o.Txs, o.BlockTime, o.BlockMaxGas = *benchTxs, DefaultBlockTime, *benchBlockMaxGas
	var committed int
	var seconds, p50, p99 float64
	for i := 0; i < b.N; i++ {
		o.Dir = b.TempDir()
		res, err := Run(context.Background(), o)
		if err != nil {
			b.Fatal(err)
		}
		a := pick(res)
		committed += a.Committed
		seconds += a.Seconds
		p50, p99 = a.P50, a.P99
	}
	b.ReportMetric(float64(committed)/seconds, "tx/s")
	b.ReportMetric(seconds/float64(committed)*1e9, "ns/op")
	// Latencies are the last run's.
	b.ReportMetric(p50, "p50-ms")
	b.ReportMetric(p99, "p99-ms")
}
