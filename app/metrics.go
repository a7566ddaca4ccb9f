package app

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
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
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.txs, m.height, m.blockTxs, m.blockTime, m.finalizeTime, m.commitTime, m.stateKeys} {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
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
