package e2e

import (
	"context"
	"errors"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/lazchain/lazchain/client"
	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/auth"
	"github.com/lazchain/lazchain/x/bank"
)

// committedTx is a tx the SDK reported in a block.
type committedTx struct {
	Hash   string
	Height int64
	Code   uint32
	Signer tx.Address
	Nonce  uint64
}

// header is what a test remembers of one block.
type header struct {
	AppHash  string
	Hash     string
	TxHashes []string
}

// ledger is what the tests saw the chain commit: every tx reported in a
// block and the header of every height. A restarted node must agree with
// all of it.
type ledger struct {
	mu     sync.Mutex
	txs    map[string]committedTx
	blocks map[int64]header
	// refusals are txs the node refused while it was meant to be healthy.
	refusals []string
	// reported are the problems checkLedger has already reported, so a
	// later check reports only new ones.
	reported map[string]bool
}

func newLedger() *ledger {
	return &ledger{txs: map[string]committedTx{}, blocks: map[int64]header{}, reported: map[string]bool{}}
}

func (l *ledger) addTx(r *client.TxResult, signer tx.Address, nonce uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.txs[r.Hash] = committedTx{Hash: r.Hash, Height: r.Height, Code: r.Code, Signer: signer, Nonce: nonce}
}

func (l *ledger) addBlock(b *client.Block) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.blocks[b.Height] = header{AppHash: b.AppHash, Hash: b.Hash, TxHashes: b.TxHashes}
}

func (l *ledger) refused(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.refusals = append(l.refusals, fmt.Sprintf(format, args...))
}

// takeRefusals returns the refusals so far and forgets them.
func (l *ledger) takeRefusals() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.refusals
	l.refusals = nil
	return r
}

func (l *ledger) counts() (txs, blocks int, maxHeight int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for h := range l.blocks {
		maxHeight = max(maxHeight, h)
	}
	return len(l.txs), len(l.blocks), maxHeight
}

func (l *ledger) snapshot() ([]committedTx, map[int64]header) {
	l.mu.Lock()
	defer l.mu.Unlock()
	txs := make([]committedTx, 0, len(l.txs))
	for _, c := range l.txs {
		txs = append(txs, c)
	}
	sort.Slice(txs, func(i, j int) bool { return txs[i].Height < txs[j].Height })
	blocks := make(map[int64]header, len(l.blocks))
	for h, b := range l.blocks {
		blocks[h] = b
	}
	return txs, blocks
}

// maxNonce is the highest nonce of signer's txs in the ledger; ok is false
// if it has none.
func (l *ledger) maxNonce(signer tx.Address) (n uint64, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range l.txs {
		if c.Signer == signer && (!ok || c.Nonce > n) {
			n, ok = c.Nonce, true
		}
	}
	return n, ok
}

// sendCosts are the gas limit and fee of a tx of the load by its number
// of transfers (index 0 is one transfer), fixed beforehand so that the load
// builds txs without asking the node to simulate each one. The gas is kept
// close to what a tx uses: CometBFT fills a block up to its gas limit by
// the txs' gas limits, not by the gas they use.
type sendCosts []struct{ gas, fee uint64 }

// measureSends simulates txs of one and of maxMsgs transfers from signer
// and prices every size in between, with half again the gas (by linear
// interpolation) and the minimum fee for that.
func measureSends(ctx context.Context, t *testing.T, c *client.Client, signer *tx.PrivateKey, maxMsgs int) sendCosts {
	t.Helper()
	one := simulateSends(ctx, t, c, signer, 1)
	most := simulateSends(ctx, t, c, signer, maxMsgs)
	costs := make(sendCosts, maxMsgs)
	for i := range costs {
		used := one
		if maxMsgs > 1 {
			used = one + (most-one)*uint64(i)/uint64(maxMsgs-1)
		}
		costs[i].gas = used * 3 / 2
		costs[i].fee = minFee(ctx, t, c, costs[i].gas)
	}
	return costs
}

// simulateSends is the gas a tx of n transfers from signer uses.
func simulateSends(ctx context.Context, t *testing.T, c *client.Client, signer *tx.PrivateKey, n int) uint64 {
	t.Helper()
	chainID, err := c.ChainID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	nonce, err := c.PendingNonce(ctx, signer.Address())
	if err != nil {
		t.Fatal(err)
	}
	var sends []proto.Message
	for i := range n {
		to := tx.DeterministicKey(fmt.Sprintf("e2e/measure/%d", i)).Address()
		sends = append(sends, client.SendMsg(signer.Address(), to, 1000))
	}
	anys, err := tx.PackMsgs(sends...)
	if err != nil {
		t.Fatal(err)
	}
	used, err := c.Simulate(ctx, chainID, signer.Address(), &tx.TxBody{Nonce: nonce, Messages: anys})
	if err != nil {
		t.Fatalf("simulate a tx of %d transfers: %v", n, err)
	}
	return used
}

// minFee is the least fee the chain takes for gas.
func minFee(ctx context.Context, t *testing.T, c *client.Client, gas uint64) uint64 {
	t.Helper()
	params, err := c.Params(ctx)
	if err != nil {
		t.Fatal(err)
	}
	price, err := auth.ParseGasPrice(params.MinGasPrice)
	if err != nil {
		t.Fatal(err)
	}
	fee, ok := auth.RequiredFee(gas, price)
	if !ok {
		t.Fatalf("gas %d at %s ulaz/gas overflows", gas, params.MinGasPrice)
	}
	return fee
}

// load keeps every sender transferring small amounts to recipients until
// ctx ends or the node goes away, in txs of 1 to len(costs) transfers (many
// events per tx, so each block gives the node real indexing work). Each
// sender pipelines up to window txs with explicit nonces and records each
// one the SDK reports committed. Once killed is set, errors are expected
// (the node is gone) and ignored; before that, every refusal or failure is
// kept in the ledger's refusals.
type load struct {
	c          *client.Client
	senders    []*tx.PrivateKey
	recipients []tx.Address
	costs      sendCosts
	window     int
	ledger     *ledger
	killed     *atomic.Bool
	broadcast  atomic.Int64
}

func (ld *load) run(ctx context.Context, seed uint64) *sync.WaitGroup {
	var wg sync.WaitGroup
	for i, s := range ld.senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ld.send(ctx, s, rand.New(rand.NewPCG(seed, uint64(i))))
		}()
	}
	return &wg
}

type inFlight struct {
	hash  string
	nonce uint64
}

func (ld *load) send(ctx context.Context, key *tx.PrivateKey, rng *rand.Rand) {
	from := key.Address()
	nonce, err := ld.c.PendingNonce(ctx, from)
	if err != nil {
		ld.fail(ctx, "pending nonce of %s: %v", from, err)
		return
	}
	pending := make(chan inFlight, ld.window)
	waited := make(chan struct{})
	go func() {
		defer close(waited)
		ld.await(ctx, from, pending)
	}()
	defer func() {
		close(pending)
		<-waited
	}()
	for ctx.Err() == nil {
		n := nonce
		var msgs []proto.Message
		count := 1
		if rng.IntN(2) == 0 {
			count = 1 + rng.IntN(len(ld.costs))
		}
		for range count {
			if to := ld.recipients[rng.IntN(len(ld.recipients))]; to != from {
				msgs = append(msgs, client.SendMsg(from, to, 1+rng.Uint64N(1000)))
			}
		}
		if len(msgs) == 0 {
			continue
		}
		cost := ld.costs[len(msgs)-1]
		raw, err := ld.c.BuildTx(ctx, key, msgs, client.TxOptions{Nonce: &n, GasLimit: cost.gas, Fee: &cost.fee})
		if err != nil {
			ld.fail(ctx, "build tx %s/%d: %v", from, n, err)
			return
		}
		hash, err := ld.c.Broadcast(ctx, raw)
		if err != nil {
			ld.fail(ctx, "broadcast tx %s/%d: %v", from, n, err)
			return
		}
		ld.broadcast.Add(1)
		select {
		case pending <- inFlight{hash: hash, nonce: n}:
		case <-ctx.Done():
			return
		}
		nonce++
	}
}

// await waits for each of a sender's txs in nonce order and records it.
func (ld *load) await(ctx context.Context, from tx.Address, pending <-chan inFlight) {
	for p := range pending {
		r, err := ld.c.WaitTx(ctx, p.hash)
		if err != nil {
			ld.fail(ctx, "wait for tx %s (%s/%d): %v", p.hash, from, p.nonce, err)
			for range pending { // the node is gone: nothing more will be seen
			}
			return
		}
		ld.ledger.addTx(r, from, p.nonce)
		if r.Code != 0 {
			ld.ledger.refused("tx %s (%s/%d) failed in block %d: %v", r.Hash, from, p.nonce, r.Height, r.Err())
		}
	}
}

func (ld *load) fail(ctx context.Context, format string, args ...any) {
	if ld.killed.Load() || ctx.Err() != nil {
		return
	}
	ld.ledger.refused(format, args...)
}

// recordBlocks fetches the header of every new height until ctx ends.
// A height it cannot read yet is tried again on the next round.
func recordBlocks(ctx context.Context, c *client.Client, l *ledger) *sync.WaitGroup {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, _, next := l.counts()
		next++
		for ctx.Err() == nil {
			if st, err := c.Status(ctx); err == nil {
				for ; next <= st.LatestHeight; next++ {
					b, err := c.Block(ctx, next)
					if err != nil {
						break
					}
					l.addBlock(b)
				}
			}
			select {
			case <-ctx.Done():
			case <-time.After(30 * time.Millisecond):
			}
		}
	}()
	return &wg
}

// recordBlocksTo records the headers of every height up to h not yet in
// the ledger.
func recordBlocksTo(ctx context.Context, t *testing.T, c *client.Client, l *ledger, h int64) {
	t.Helper()
	_, _, next := l.counts()
	for next++; next <= h; next++ {
		b, err := c.Block(ctx, next)
		if err != nil {
			t.Fatalf("block %d: %v", next, err)
		}
		l.addBlock(b)
	}
}

// checkLedger checks that the node still has every tx and header of the
// ledger: each tx at its height with code 0, signer and nonce as sent, and
// each height with the app hash and block hash it had and every one of its
// txs found at that height. A problem an earlier check reported is not
// reported again.
func checkLedger(ctx context.Context, t *testing.T, c *client.Client, l *ledger) {
	t.Helper()
	txs, blocks := l.snapshot()
	var problems []string
	report := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	// Every hash is looked up once: the txs the SDK reported committed and
	// the txs of every recorded block, which are committed too (their
	// effects are in the app hash of the next block).
	type lookup struct {
		hash     string
		reported *committedTx // as the SDK reported it, or nil
		block    int64        // the recorded block holding it, or 0
		got      *client.TxResult
		err      error
	}
	var lookups []*lookup
	byHash := map[string]*lookup{}
	for i := range txs {
		lk := &lookup{hash: txs[i].Hash, reported: &txs[i]}
		byHash[lk.hash] = lk
		lookups = append(lookups, lk)
	}
	for h, b := range blocks {
		for _, hash := range b.TxHashes {
			lk := byHash[hash]
			if lk == nil {
				lk = &lookup{hash: hash}
				byHash[hash] = lk
				lookups = append(lookups, lk)
			}
			lk.block = h
		}
	}
	work := make(chan *lookup)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for lk := range work {
				lk.got, lk.err = c.Tx(ctx, lk.hash)
			}
		}()
	}
	for _, lk := range lookups {
		work <- lk
	}
	close(work)
	wg.Wait()

	missing := map[int64][]string{}
	for _, lk := range lookups {
		want, got := lk.reported, lk.got
		switch {
		case errors.Is(lk.err, client.ErrTxNotFound):
			if lk.block != 0 {
				missing[lk.block] = append(missing[lk.block], lk.hash)
			}
			if want != nil {
				report("tx %s (%s nonce %d), reported committed at height %d, is not found", want.Hash, want.Signer, want.Nonce, want.Height)
			}
		case lk.err != nil:
			report("tx %s: %v", lk.hash, lk.err)
		case want != nil && (got.Height != want.Height || got.Code != 0 || want.Code != 0 ||
			got.Signer != want.Signer.String() || got.Nonce != want.Nonce):
			report("tx %s: now height %d code %d signer %s nonce %d; was height %d code %d signer %s nonce %d",
				want.Hash, got.Height, got.Code, got.Signer, got.Nonce, want.Height, want.Code, want.Signer, want.Nonce)
		case lk.block != 0 && got.Height != lk.block:
			report("tx %s of block %d is found at height %d", lk.hash, lk.block, got.Height)
		}
	}

	heights := make([]int64, 0, len(blocks))
	for h := range blocks {
		heights = append(heights, h)
	}
	sort.Slice(heights, func(i, j int) bool { return heights[i] < heights[j] })
	for _, h := range heights {
		want := blocks[h]
		b, err := c.Block(ctx, h)
		if err != nil {
			report("height %d: %v", h, err)
			continue
		}
		if b.AppHash != want.AppHash || b.Hash != want.Hash {
			report("height %d: app hash %s, block hash %s; was app hash %s, block hash %s", h, b.AppHash, b.Hash, want.AppHash, want.Hash)
		}
		if m := missing[h]; len(m) > 0 {
			report("block %d holds %d txs, and client.Tx finds %d of them nowhere (e.g. %s)", h, len(want.TxHashes), len(m), m[0])
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	shown := 0
	for _, p := range problems {
		if l.reported[p] {
			continue
		}
		l.reported[p] = true
		if shown++; shown <= 20 {
			t.Error(p)
		}
	}
	if shown > 20 {
		t.Errorf("... and %d more", shown-20)
	}
}

// checkConservation checks that the balances at one height add up to the
// supply at that height, which must equal want (the genesis supply: nothing
// mints or burns). It returns the number of accounts.
func checkConservation(ctx context.Context, t *testing.T, c *client.Client, want uint64) (accounts int) {
	t.Helper()
	supply, h := supplyAt(ctx, t, c, 0)
	var sum uint64
	balances := balancesAt(ctx, t, c, h)
	for _, b := range balances {
		v, err := tx.ParseBaseUnits(b.Amount)
		if err != nil {
			t.Fatalf("balance of %s %q: %v", b.Address, b.Amount, err)
		}
		var carry uint64
		if sum, carry = bits.Add64(sum, v, 0); carry != 0 {
			t.Fatalf("balances at height %d add up to more than 2^64 ulaz", h)
		}
	}
	if sum != supply {
		t.Errorf("height %d: %d balances add up to %d ulaz, the supply is %d ulaz (off by %d)",
			h, len(balances), sum, supply, int64(sum-supply))
	}
	if supply != want {
		t.Errorf("height %d: supply is %d ulaz, want %d (genesis)", h, supply, want)
	}
	return len(balances)
}

// supplyAt is the total supply at height h (0: latest) and the height it
// is from.
func supplyAt(ctx context.Context, t *testing.T, c *client.Client, h int64) (uint64, int64) {
	t.Helper()
	s, at, err := c.Supply(ctx, h)
	if err != nil {
		t.Fatalf("supply: %v", err)
	}
	supply, err := tx.ParseBaseUnits(s.Supply)
	if err != nil {
		t.Fatalf("supply %q: %v", s.Supply, err)
	}
	return supply, at
}

// balancesAt pages through every balance at height h, in small pages to
// exercise paging; addresses must come strictly in order.
func balancesAt(ctx context.Context, t *testing.T, c *client.Client, h int64) []bank.Balance {
	t.Helper()
	var all []bank.Balance
	after := ""
	for page := 0; ; page++ {
		r, err := c.Balances(ctx, after, 7, h)
		if err != nil {
			t.Fatalf("balances after %q at height %d: %v", after, h, err)
		}
		for _, b := range r.Balances {
			if n := len(all); n > 0 && b.Address.Compare(all[n-1].Address) <= 0 {
				t.Errorf("balances at height %d: %s comes after %s", h, b.Address, all[n-1].Address)
			}
			all = append(all, b)
		}
		if r.Next == "" {
			return all
		}
		if page > 10_000 {
			t.Fatalf("balances at height %d: paging does not end", h)
		}
		after = r.Next
	}
}

// waitHeight waits until the node is at height h or more.
func waitHeight(ctx context.Context, t *testing.T, c *client.Client, h int64) *client.Status {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		st, err := c.Status(ctx)
		if err == nil && st.LatestHeight >= h {
			return st
		}
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for height %d: %v (last status error: %v)", h, ctx.Err(), err)
		case <-time.After(30 * time.Millisecond):
		}
	}
}
