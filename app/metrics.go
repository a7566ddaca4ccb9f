package app

import (
	"fmt"
	"strconv"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/x/staking"
)

// metrics are the application's Prometheus series, next to CometBFT's.
type metrics struct {
	txs          *prometheus.CounterVec
	height       prometheus.Gauge
	blockTxs     prometheus.Histogram
	blockTime    prometheus.Histogram
	finalizeTime prometheus.Histogram
	commitTime   prometheus.Histogram
	stateKeys    prometheus.Gauge

	// Staking, observed after every block when registered.
	registered     bool
	stakingBonded  prometheus.Gauge
	stakingPower   *prometheus.GaugeVec
	stakingMissed  *prometheus.GaugeVec
	stakingSlashes *prometheus.CounterVec
	// stakingSeen are the iDAOs whose validator series exist, touched only
	// by the consensus connection.
	stakingSeen map[string]bool
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		txs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "lazchain", Name: "txs_total",
			Help: "Transactions executed in blocks, by module (of the failure, or of the first message) and result code.",
		}, []string{"module", "codespace", "code"}),
		height: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "lazchain", Name: "block_height", Help: "Height of the last finalized block.",
		}),
		blockTxs: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "lazchain", Name: "block_txs", Help: "Transactions per block.",
			Buckets: []float64{0, 1, 10, 100, 1000, 5000, 10000, 50000},
		}),
		blockTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "lazchain", Name: "block_interval_seconds", Help: "Block time: seconds between consecutive block timestamps.",
			Buckets: prometheus.ExponentialBuckets(0.1, 2, 10),
		}),
		finalizeTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "lazchain", Name: "finalize_block_seconds", Help: "Time to execute a block in FinalizeBlock.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}),
		commitTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "lazchain", Name: "commit_seconds", Help: "Time to save a state version in Commit.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}),
		stateKeys: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "lazchain", Name: "state_keys", Help: "Keys in the latest committed state.",
		}),
		stakingBonded: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "lazchain", Subsystem: "staking", Name: "bonded_ulaz",
			Help: "Ulaz bonded to validators after the last finalized block (unbonding entries not included).",
		}),
		stakingPower: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "lazchain", Subsystem: "staking", Name: "validator_power",
			Help: "Voting power of each validator iDAO in the set handed to CometBFT (0 when not in it).",
		}, []string{"idao"}),
		stakingMissed: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "lazchain", Subsystem: "staking", Name: "missed_blocks",
			Help: "Blocks each validator iDAO missed in the downtime window (more than max_missed slashes and jails it).",
		}, []string{"idao"}),
		stakingSlashes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "lazchain", Subsystem: "staking", Name: "slashes_total",
			Help: "Slashes of each validator iDAO seen in finalized blocks since the node started, by reason (double_sign, downtime).",
		}, []string{"idao", "reason"}),
		stakingSeen: map[string]bool{},
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.txs, m.height, m.blockTxs, m.blockTime, m.finalizeTime, m.commitTime, m.stateKeys,
			m.stakingBonded, m.stakingPower, m.stakingMissed, m.stakingSlashes} {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
		m.registered = true
	}
	return m, nil
}

func (m *metrics) observeTx(module, codespace string, code uint32) {
	m.txs.WithLabelValues(module, codespace, strconv.FormatUint(uint64(code), 10)).Inc()
}

func (m *metrics) observeBlock(height int64, t, prev time.Time, txs int, took time.Duration) {
	m.height.Set(float64(height))
	m.blockTxs.Observe(float64(txs))
	if !prev.IsZero() && t.After(prev) {
		m.blockTime.Observe(t.Sub(prev).Seconds())
	}
	m.finalizeTime.Observe(took.Seconds())
}

func (m *metrics) observeCommit(took time.Duration, keys int64) {
	m.commitTime.Observe(took.Seconds())
	m.stateKeys.Set(float64(keys))
}

// observeStaking updates the staking series from a finalized block: the
// bonded total, each validator's power and missed blocks as the block left
// them, and a slash for each staking_slash event among the block's own
// events (slashes happen only in BeginBlock). A failure is logged, never
// fatal: metrics must not stop the chain.
func (a *App) observeStaking(ctx *chain.Context) {
	m := a.metrics
	if !m.registered {
		return
	}
	if err := guard(func() error { return m.observeStaking(ctx, a.Staking.Keeper, ctx.Events()) }); err != nil {
		a.log.Warn("staking metrics not updated", "height", ctx.Height, "err", err)
	}
}

func (m *metrics) observeStaking(ctx *chain.Context, k *staking.Keeper, events []abci.Event) error {
	m.stakingBonded.Set(float64(k.BondedTotal(ctx)))
	present := map[string]bool{}
	for _, v := range k.Validators(ctx) {
		id := strconv.FormatUint(v.Validator.Idao, 10)
		present[id] = true
		m.stakingPower.WithLabelValues(id).Set(float64(v.Power))
		m.stakingMissed.WithLabelValues(id).Set(float64(v.Missed))
		if !m.stakingSeen[id] {
			// Every validator has its slash series from the start, at 0,
			// so increase() and alerts see the first slash.
			for _, reason := range []string{staking.ReasonDoubleSign, staking.ReasonDowntime} {
				m.stakingSlashes.WithLabelValues(id, reason)
			}
			m.stakingSeen[id] = true
		}
	}
	for id := range m.stakingSeen {
		if !present[id] {
			m.stakingPower.DeleteLabelValues(id)
			m.stakingMissed.DeleteLabelValues(id)
			delete(m.stakingSeen, id)
		}
	}
	var bad error
	for _, e := range events {
		if e.Type != "staking_slash" {
			continue
		}
		var id, reason string
		for _, at := range e.Attributes {
			switch at.Key {
			case "idao":
				id = at.Value
			case "reason":
				reason = at.Value
			}
		}
		if id == "" || reason == "" {
			bad = fmt.Errorf("a staking_slash event lacks its idao or reason (%v): not counted", e.Attributes)
			continue
		}
		m.stakingSlashes.WithLabelValues(id, reason).Inc()
	}
	return bad
}
