package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/lazchain/lazchain/client"
	"github.com/lazchain/lazchain/tx"
)

// TestCrashRecovery kills the devnet with SIGKILL while it is loaded with
// transfers, three times at different moments, and after each restart
// checks that every tx the SDK reported committed is still there at its
// height with code 0; that every height seen has the app hash (and block
// hash) it had, and every tx in those blocks is still found at its height;
// that the balances add up to the unchanged genesis supply; that no
// account's nonce went back; and that the chain goes on: blocks keep coming
// and each sender's next transfer, at its pending nonce, commits.
func TestCrashRecovery(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Second)
	defer cancel()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))

	d := newDevnet(t, true)
	d.start(ctx)
	c := d.client
	led := newLedger()
	genesisSupply := d.genesisSupply()

	// Three fresh senders, funded by alice in one tx of three messages.
	fresh := make([]*tx.PrivateKey, 3)
	var funding []proto.Message
	for i := range fresh {
		fresh[i] = tx.DeterministicKey(fmt.Sprintf("e2e/crash/sender/%d", i))
		funding = append(funding, client.SendMsg(alice.Address(), fresh[i].Address(), 1000*tx.UnitsPerLAZ))
	}
	r, err := c.SignAndBroadcast(ctx, alice, funding, client.TxOptions{})
	if err != nil {
		t.Fatalf("fund fresh senders: %v", err)
	}
	led.addTx(r, alice.Address(), r.Nonce)
	senders := append([]*tx.PrivateKey{alice, bob, carol}, fresh...)
	var recipients []tx.Address
	for _, s := range senders {
		recipients = append(recipients, s.Address())
	}
	for i := range 10 {
		recipients = append(recipients, tx.DeterministicKey(fmt.Sprintf("e2e/crash/sink/%d", i)).Address())
	}
	costs := measureSends(ctx, t, c, alice, 64)
	checkConservation(ctx, t, c, genesisSupply)

	moments := []struct {
		name string
		wait func()
	}{
		{"in steady load", func() { time.Sleep(2*time.Second + time.Duration(rng.IntN(500))*time.Millisecond) }},
		{"as the load starts", func() { time.Sleep(150*time.Millisecond + time.Duration(rng.IntN(250))*time.Millisecond) }},
		{"the instant a block is announced", func() { waitBlockAnnounced(ctx, t, d.rpc, 800*time.Millisecond) }},
	}
	for i, moment := range moments {
		cycle := i + 1
		start := time.Now()
		loadCtx, stopLoad := context.WithCancel(ctx)
		var killed atomic.Bool
		ld := &load{c: c, senders: senders, recipients: recipients, costs: costs, window: 16, ledger: led, killed: &killed}
		recorder := recordBlocks(loadCtx, c, led)
		loaders := ld.run(loadCtx, seed+uint64(cycle))
		moment.wait()
		killed.Store(true)
		d.kill()
		killedAt := time.Since(start)
		stopLoad()
		loaders.Wait()
		recorder.Wait()
		for _, r := range led.takeRefusals() {
			t.Errorf("cycle %d, before the kill: %s", cycle, r)
		}
		nTxs, nBlocks, maxHeight := led.counts()
		t.Logf("cycle %d: killed %s, after %s of load: %d txs broadcast; %d txs committed and %d heights (up to %d) recorded so far",
			cycle, moment.name, killedAt.Round(time.Millisecond), ld.broadcast.Load(), nTxs, nBlocks, maxHeight)

		restart := time.Now()
		d.start(ctx)
		if d.banner.Height < maxHeight {
			t.Errorf("cycle %d: restarted at height %d, below height %d seen before the kill", cycle, d.banner.Height, maxHeight)
		}
		t.Logf("cycle %d: restarted in %s at height %d", cycle, time.Since(restart).Round(time.Millisecond), d.banner.Height)
		// Headers up to the restart height include the block the node was
		// working on when it was killed.
		recordBlocksTo(ctx, t, c, led, d.banner.Height)
		checkLedger(ctx, t, c, led)
		accounts := checkConservation(ctx, t, c, genesisSupply)
		checkNonces(ctx, t, c, led, senders)
		top := sendFromEach(ctx, t, c, led, senders, recipients[len(recipients)-1])
		waitHeight(ctx, t, c, top+3)
		t.Logf("cycle %d: %d accounts add up to the supply; every sender's next transfer committed; cycle took %s",
			cycle, accounts, time.Since(start).Round(time.Millisecond))
	}
}

// waitBlockAnnounced returns the moment the node announces a new block
// over its RPC websocket, at least settle after it is called: that is when
// CometBFT has committed the block and is publishing its events, which
// its tx indexer consumes asynchronously.
func waitBlockAnnounced(ctx context.Context, t *testing.T, rpcAddr string, settle time.Duration) {
	ws, err := client.Dial(rpcAddr)
	if err != nil {
		t.Errorf("dial %s: %v", rpcAddr, err)
		return
	}
	rpc := ws.RPC()
	if err := rpc.Start(); err != nil {
		t.Errorf("websocket to %s: %v", rpcAddr, err)
		return
	}
	defer func() { _ = rpc.Stop() }()
	headers, err := rpc.Subscribe(ctx, "e2e", cmttypes.EventQueryNewBlockHeader.String(), 64)
	if err != nil {
		t.Errorf("subscribe to new block headers: %v", err)
		return
	}
	time.Sleep(settle)
drain: // headers announced while settling are stale
	for {
		select {
		case <-headers:
		default:
			break drain
		}
	}
	select {
	case <-headers:
	case <-time.After(5 * time.Second):
		t.Errorf("no new block announced within 5s")
	case <-ctx.Done():
	}
}

// checkNonces checks that no sender's nonce went back below a tx the ledger
// holds, and that a restarted node's pending nonce is its committed one
// (its mempool is gone).
func checkNonces(ctx context.Context, t *testing.T, c *client.Client, led *ledger, senders []*tx.PrivateKey) {
	t.Helper()
	for _, s := range senders {
		acct, _, err := c.Account(ctx, s.Address(), 0)
		if err != nil {
			t.Fatalf("account %s: %v", s.Address(), err)
		}
		if n, ok := led.maxNonce(s.Address()); ok && acct.Nonce <= n {
			t.Errorf("%s: next nonce %d, but its tx with nonce %d was committed", s.Address(), acct.Nonce, n)
		}
		pending, err := c.PendingNonce(ctx, s.Address())
		if err != nil {
			t.Fatalf("pending nonce of %s: %v", s.Address(), err)
		}
		if pending != acct.Nonce {
			t.Errorf("%s: pending nonce %d after a restart, committed nonce %d", s.Address(), pending, acct.Nonce)
		}
	}
}

// sendFromEach sends one transfer from every sender at once, each at its
// pending nonce, records them, and returns the highest height they
// committed at.
func sendFromEach(ctx context.Context, t *testing.T, c *client.Client, led *ledger, senders []*tx.PrivateKey, to tx.Address) int64 {
	t.Helper()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var top int64
	for _, s := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := c.Send(ctx, s, to, 1, client.TxOptions{})
			if err != nil {
				t.Errorf("transfer from %s after the restart: %v", s.Address(), err)
				return
			}
			led.addTx(r, s.Address(), r.Nonce)
			mu.Lock()
			top = max(top, r.Height)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return top
}

// stoppedRE is what a devnet prints to stderr when Ctrl-C stops it.
var stoppedRE = regexp.MustCompile(`Stopped cleanly at height (\d+)\.`)

// TestInterruptStopsCleanly stops a devnet with SIGINT, as Ctrl-C does: it
// must exit 0 saying "Stopped cleanly at height N" on stderr, with no error
// logged on the way, and a restart on the same home must go on at a height
// of N or more, with the same app hash and block hash at every height up to
// the last one seen just before the stop, and with the tx committed before
// the stop.
func TestInterruptStopsCleanly(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	d := newDevnet(t, false)
	d.start(ctx)
	c := d.client
	led := newLedger()

	sent, err := c.Send(ctx, alice, bob.Address(), 12_500_000, client.TxOptions{})
	if err != nil {
		t.Fatalf("transfer before the stop: %v", err)
	}
	led.addTx(sent, alice.Address(), sent.Nonce)
	last := waitHeight(ctx, t, c, sent.Height+3).LatestHeight
	recordBlocksTo(ctx, t, c, led, last)

	stopping := time.Now()
	code := d.interrupt(30 * time.Second)
	t.Logf("SIGINT: exit code %d after %s", code, time.Since(stopping).Round(time.Millisecond))
	if code != 0 {
		t.Errorf("exit code %d after SIGINT, want 0", code)
	}
	stderr := d.stderr()
	m := stoppedRE.FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("stderr does not say %q after SIGINT", "Stopped cleanly at height N.")
	}
	for _, line := range strings.Split(stderr, "\n") {
		if strings.Contains(line, "level=ERROR") {
			t.Errorf("a clean stop logged an error: %s", line)
		}
	}
	stoppedAt, _ := strconv.ParseInt(m[1], 10, 64)
	if stoppedAt < last {
		t.Errorf("stopped at height %d, but height %d had been seen", stoppedAt, last)
	}

	d.start(ctx)
	if d.banner.Height < stoppedAt {
		t.Errorf("restarted at height %d, below the height %d it stopped at", d.banner.Height, stoppedAt)
	}
	st, err := c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.LatestHeight < stoppedAt {
		t.Errorf("after the restart the chain is at height %d, below the height %d it stopped at", st.LatestHeight, stoppedAt)
	}
	t.Logf("stopped at height %d (the last height seen was %d); restarted at %d", stoppedAt, last, st.LatestHeight)
	checkLedger(ctx, t, c, led)
	checkConservation(ctx, t, c, d.genesisSupply())
	waitHeight(ctx, t, c, stoppedAt+2)
	if _, err := c.Send(ctx, alice, carol.Address(), 1, client.TxOptions{}); err != nil {
		t.Errorf("transfer after the restart: %v", err)
	}
}
