package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cometbft/cometbft/mempool"
	cmtnode "github.com/cometbft/cometbft/node"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/lazchain/lazchain/client"
)

// workload is what the harness broadcasts. Each lane is a sequence that must
// reach the node in order (one account's txs, by nonce); lanes are spread
// over the broadcasting goroutines, each lane owned by one of them.
type workload struct {
	app   string
	lanes [][][]byte
}

func (w workload) count() int {
	n := 0
	for _, l := range w.lanes {
		n += len(l)
	}
	return n
}

// measurement is what one drive saw, per tx by its index in lane order.
type measurement struct {
	raw         [][]byte
	sentAt      []time.Time // start of the tx's first broadcast attempt
	committedAt []time.Time // when its block's NewBlock event was seen; zero if never
	code        []uint32
	height      []int64

	// rejected counts txs CheckTx refused; firstReject is the first refusal.
	rejected    int
	firstReject error
	// firstFailure is the first committed tx with a non-zero code.
	firstFailure string
	// blockTxs is the number of this workload's txs in each block.
	blockTxs map[int64]int
	// cpu is the process's CPU time and wall the time from just before the
	// first broadcast until the last commit was seen (plus at most one
	// wake-up of the waiting loop); cpu is zero where it is not measured.
	cpu, wall time.Duration
}

// stallTimeout ends a run in which nothing new was broadcast or committed
// for this long.
const stallTimeout = 2 * time.Minute

// drive broadcasts w's txs with concurrency goroutines and watches cn's
// event bus until every accepted tx is in a committed block. Lane l goes
// through cs[l % len(cs)], so that each lane reaches one node in order.
func drive(ctx context.Context, cn *cmtnode.Node, cs []*client.Client, w workload, concurrency int, progress io.Writer) (*measurement, error) {
	if len(cs) == 0 {
		return nil, fmt.Errorf("%s: no client to broadcast through", w.app)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	total := w.count()
	m := &measurement{
		raw:         make([][]byte, 0, total),
		sentAt:      make([]time.Time, total),
		committedAt: make([]time.Time, total),
		code:        make([]uint32, total),
		height:      make([]int64, total),
		blockTxs:    map[int64]int{},
	}
	offsets := make([]int, len(w.lanes))
	index := make(map[cmttypes.TxKey]int, total)
	for l, lane := range w.lanes {
		offsets[l] = len(m.raw)
		for _, raw := range lane {
			index[cmttypes.Tx(raw).Key()] = len(m.raw)
			m.raw = append(m.raw, raw)
		}
	}
	if len(index) != total {
		return nil, fmt.Errorf("%s workload has %d duplicate txs; every tx must be unique", w.app, total-len(index))
	}

	// Subscribe before the first broadcast so that no block is missed.
	// NewBlock is published after the app's Commit, with every tx result.
	subscriber := "bench-" + w.app
	sub, err := cn.EventBus().Subscribe(ctx, subscriber, cmttypes.EventQueryNewBlock, 4096)
	if err != nil {
		return nil, fmt.Errorf("subscribe to new blocks: %w", err)
	}
	defer func() { _ = cn.EventBus().Unsubscribe(context.Background(), subscriber, cmttypes.EventQueryNewBlock) }()

	var sent, committed atomic.Int64
	stopObserver := make(chan struct{})
	observerErr := make(chan error, 1)
	blockSeen := make(chan struct{}, 1)
	var observerWG sync.WaitGroup
	observerWG.Add(1)
	go func() {
		defer observerWG.Done()
		for {
			select {
			case msg := <-sub.Out():
				seen := time.Now()
				ev, ok := msg.Data().(cmttypes.EventDataNewBlock)
				if !ok {
					continue
				}
				n := 0
				for j, t := range ev.Block.Txs {
					i, ok := index[t.Key()]
					if !ok {
						continue
					}
					r := ev.ResultFinalizeBlock.TxResults[j]
					m.committedAt[i], m.code[i], m.height[i] = seen, r.Code, ev.Block.Height
					if r.Code != 0 && m.firstFailure == "" {
						m.firstFailure = fmt.Sprintf("tx %X failed in block %d (%s/%d): %s", t.Hash(), ev.Block.Height, r.Codespace, r.Code, r.Log)
					}
					n++
				}
				if n > 0 {
					m.blockTxs[ev.Block.Height] = n
					committed.Add(int64(n))
					select {
					case blockSeen <- struct{}{}:
					default:
					}
				}
			case <-sub.Canceled():
				observerErr <- fmt.Errorf("new-block subscription ended: %v", sub.Err())
				return
			case <-stopObserver:
				return
			}
		}
	}()
	stop := func() {
		close(stopObserver)
		observerWG.Wait()
	}

	var rejectMu sync.Mutex
	reject := func(err error) {
		rejectMu.Lock()
		m.rejected++
		if m.firstReject == nil {
			m.firstReject = err
		}
		rejectMu.Unlock()
	}
	send := func(i int, c *client.Client) {
		m.sentAt[i] = time.Now()
		for ctx.Err() == nil {
			_, err := c.Broadcast(ctx, m.raw[i])
			if err == nil {
				sent.Add(1)
				return
			}
			var full mempool.ErrMempoolIsFull
			if errors.As(err, &full) {
				// Back-pressure, not failure: wait for a block to make room.
				time.Sleep(5 * time.Millisecond)
				continue
			}
			reject(err)
			return
		}
	}

	if concurrency > len(w.lanes) {
		concurrency = len(w.lanes)
	}
	cpuStart, cpuOK := processCPU()
	start := time.Now()
	var workers sync.WaitGroup
	for k := 0; k < concurrency; k++ {
		var mine []int
		for l := k; l < len(w.lanes); l += concurrency {
			mine = append(mine, l)
		}
		workers.Add(1)
		go func() {
			defer workers.Done()
			// Round-robin over this worker's lanes, so blocks mix accounts
			// while each account's txs still arrive in nonce order.
			for round := 0; ; round++ {
				more := false
				for _, l := range mine {
					if round >= len(w.lanes[l]) {
						continue
					}
					more = true
					if ctx.Err() != nil {
						return
					}
					send(offsets[l]+round, cs[l%len(cs)])
				}
				if !more {
					return
				}
			}
		}()
	}
	workersDone := make(chan struct{})
	go func() {
		workers.Wait()
		close(workersDone)
	}()

	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	lastProgress, lastSent, lastCommitted := start, int64(0), int64(0)
	finished := false
	for !finished {
		select {
		case <-ctx.Done():
			cancel()
			workers.Wait()
			stop()
			return nil, ctx.Err()
		case err := <-observerErr:
			cancel()
			workers.Wait()
			stop()
			return nil, err
		case <-workersDone:
			workersDone = nil
		case <-blockSeen:
		case <-tick.C:
			s, cm := sent.Load(), committed.Load()
			if progress != nil {
				fmt.Fprintf(progress, "%-8s %5.1fs  broadcast %d/%d  committed %d  height %d\n",
					w.app, time.Since(start).Seconds(), s, total, cm, cn.BlockStore().Height())
			}
			if s != lastSent || cm != lastCommitted {
				lastProgress, lastSent, lastCommitted = time.Now(), s, cm
			} else if time.Since(lastProgress) > stallTimeout {
				cancel()
				workers.Wait()
				stop()
				return nil, fmt.Errorf("%s: no progress for %v: %d of %d txs broadcast, %d committed", w.app, stallTimeout, s, total, cm)
			}
		}
		finished = workersDone == nil && committed.Load() >= sent.Load()
	}
	m.wall = time.Since(start)
	if cpuEnd, ok := processCPU(); ok && cpuOK {
		m.cpu = cpuEnd - cpuStart
	}
	stop()
	return m, nil
}

// summarise turns a measurement into the numbers a run reports.
func summarise(app string, m *measurement) *AppResult {
	r := &AppResult{App: app, Txs: len(m.raw), Rejected: m.rejected}
	var bytes int
	var first, last time.Time
	lat := make([]time.Duration, 0, len(m.raw))
	for i, raw := range m.raw {
		bytes += len(raw)
		if t := m.sentAt[i]; !t.IsZero() && (first.IsZero() || t.Before(first)) {
			first = t
		}
		c := m.committedAt[i]
		if c.IsZero() {
			continue
		}
		r.Committed++
		if m.code[i] != 0 {
			r.FailedInBlock++
		}
		if c.After(last) {
			last = c
		}
		lat = append(lat, c.Sub(m.sentAt[i]))
	}
	r.Failed = r.Txs - r.Committed + r.FailedInBlock
	if len(m.raw) > 0 {
		r.MeanTxBytes = float64(bytes) / float64(len(m.raw))
	}
	if !first.IsZero() && last.After(first) {
		r.Seconds = last.Sub(first).Seconds()
		r.TxPerSec = float64(r.Committed) / r.Seconds
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	r.P50 = millis(percentile(lat, 0.50))
	r.P99 = millis(percentile(lat, 0.99))
	if len(lat) > 0 {
		r.Max = millis(lat[len(lat)-1])
	}
	r.Blocks = len(m.blockTxs)
	for h, n := range m.blockTxs {
		if r.FirstHeight == 0 || h < r.FirstHeight {
			r.FirstHeight = h
		}
		if h > r.LastHeight {
			r.LastHeight = h
		}
		if n > r.MaxTxsPerBlock {
			r.MaxTxsPerBlock = n
		}
	}
	if r.Blocks > 0 {
		r.MeanTxsPerBlock = float64(r.Committed) / float64(r.Blocks)
	}
	if m.cpu > 0 && m.wall > 0 {
		r.CPUPercent = 100 * m.cpu.Seconds() / m.wall.Seconds()
	}
	if m.firstReject != nil {
		r.FirstError = m.firstReject.Error()
	} else if m.firstFailure != "" {
		r.FirstError = m.firstFailure
	}
	return r
}

// percentile is the nearest-rank percentile of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	k := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[max(0, min(k, len(sorted)-1))]
}

func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// quiesce empties the node's mempool and waits until every block that may
// still carry txs is committed and indexed. CometBFT v1.0 does not wait for
// its indexer goroutine when a node stops, and node.Node.Stop then closes
// the tx index; closing it in the middle of a large block's write panics
// inside pebble. After the flush at height h only block h+1 can still carry
// txs. The indexer takes events unbuffered, so consensus cannot finish
// publishing block n+1 before the indexer has finished block n: once block
// h+4 is stored, block h+1 is indexed. Later blocks are empty and index in
// a moment.
func quiesce(cn *cmtnode.Node, blockTime time.Duration) {
	cn.Mempool().Flush()
	h := cn.BlockStore().Height()
	ctx, cancel := context.WithTimeout(context.Background(), 4*blockTime+10*time.Second)
	defer cancel()
	_ = waitForHeight(ctx, cn.BlockStore().Height, h+4)
}
