package enclave

import (
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/lazchain/lazchain/pdv"
	"github.com/lazchain/lazchain/x/flow"
)

// LoadPool decrypts pool p's validation set, granted to worker, and
// remembers the pool's scoring configuration.
func (e *Enclave) LoadPool(chainID string, p *flow.Pool, worker uint64, validation io.Reader) error {
	cfg, err := Config(p)
	if err != nil {
		return fmt.Errorf("pool %d: %w", p.Id, err)
	}
	recs, rep, reason, err := e.open(chainID, ValidationPool, p.Creator, worker, p.Validation, cfg, validation)
	if err != nil {
		return fmt.Errorf("pool %d validation set: %w", p.Id, err)
	}
	if reason != "" {
		return fmt.Errorf("pool %d validation set: %s", p.Id, reason)
	}
	if len(recs) == 0 {
		return fmt.Errorf("pool %d validation set has no valid record (%d lines)", p.Id, rep.Lines)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.pools[p.Id] = &pool{cfg: cfg, validation: recs}
	return nil
}

// HasPool says whether the pool's validation set is loaded.
func (e *Enclave) HasPool(id uint64) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.pools[id] != nil
}

// AnchoredSeq is the last anchor sequence number absorbed for the pool.
func (e *Enclave) AnchoredSeq(id uint64) uint64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	p := e.pools[id]
	if p == nil || len(p.anchored) == 0 {
		return 0
	}
	return p.anchored[len(p.anchored)-1].seq
}

// state is the pool's scoring state as of anchor sequence upTo: the
// records each anchored contribution added, in order. The state of the
// last sequence is kept and grown as contributions are absorbed, so the
// usual case (a job against everything anchored so far) costs nothing;
// an earlier sequence is rebuilt. The caller holds e.mu.
func (p *pool) state(upTo uint64) *pdv.PoolState {
	last := len(p.anchored) > 0 && p.anchored[len(p.anchored)-1].seq == upTo || len(p.anchored) == 0 && upTo == 0
	if last && p.latest != nil {
		return p.latest
	}
	st := &pdv.PoolState{}
	for _, a := range p.anchored {
		if a.seq > upTo {
			break
		}
		st.Add(a.records)
	}
	if last {
		p.latest = st
	}
	return st
}

func (e *Enclave) pool(id uint64) (*pool, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	p := e.pools[id]
	if p == nil {
		return nil, fmt.Errorf("pool %d is not loaded: load its validation set first", id)
	}
	return p, nil
}

// Absorb adds anchored contribution c, whose anchor sequence must follow
// the last absorbed, to its pool's state: the records of c that are not
// near-duplicates of the pool's earlier records or of each other. A
// revoked contribution (ciphertext nil) adds nothing but keeps its place.
func (e *Enclave) Absorb(chainID string, c *flow.Contribution, worker uint64, ciphertext io.Reader) error {
	p, err := e.pool(c.Pool)
	if err != nil {
		return err
	}
	if last := e.AnchoredSeq(c.Pool); c.AnchorSeq != last+1 {
		return fmt.Errorf("pool %d: contribution %d has anchor sequence %d, want %d next", c.Pool, c.Id, c.AnchorSeq, last+1)
	}
	var recs []pdv.Record
	var rep pdv.ParseReport
	if ciphertext != nil && !c.Revoked {
		var reason string
		if recs, rep, reason, err = e.open(chainID, c.Pool, c.Contributor, worker, c.Data, p.cfg, ciphertext); err != nil {
			return fmt.Errorf("contribution %d: %w", c.Id, err)
		}
		if reason != "" {
			recs = nil
		}
	}
	p.stateMu.Lock() // scoring waits while the state grows
	defer p.stateMu.Unlock()
	e.mu.Lock()
	st := p.state(c.AnchorSeq - 1)
	e.mu.Unlock()
	var added []pdv.Record
	if recs != nil {
		cfg := p.cfg
		cfg.MinScorePPM = 0 // dedupe only: no validation set, so no value and no score floor
		added = pdv.Score(cfg, st, nil, recs, rep).Added
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	p.anchored = append(p.anchored, anchored{seq: c.AnchorSeq, contribution: c.Id, records: added, revoked: c.Revoked})
	if c.Revoked {
		p.revoked++
	}
	if p.latest == st {
		st.Add(added)
	}
	return nil
}

// Forget drops a revoked contribution's records from its pool's state.
func (e *Enclave) Forget(poolID, contribution uint64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	p := e.pools[poolID]
	if p == nil {
		return
	}
	for i := range p.anchored {
		if a := &p.anchored[i]; a.contribution == contribution && !a.revoked {
			a.records, a.revoked = nil, true
			p.revoked++
			p.latest = nil
		}
	}
}

// Revoked is how many of the pool's absorbed contributions are known to
// be revoked; when the chain counts more, the caller finds them and
// Forgets them.
func (e *Enclave) Revoked(poolID uint64) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	if p := e.pools[poolID]; p != nil {
		return p.revoked
	}
	return 0
}

// Score scores contribution c against its pool's anchored contributions up
// to c's base sequence and returns the result for c's job, signed by the
// enclave's key for worker on chainID. The enclave must have absorbed the
// pool up to c.BaseSeq.
func (e *Enclave) Score(chainID string, c *flow.Contribution, worker uint64, ciphertext io.Reader) (*flow.MsgAttest, error) {
	p, err := e.pool(c.Pool)
	if err != nil {
		return nil, err
	}
	if have := e.AnchoredSeq(c.Pool); have < c.BaseSeq {
		return nil, fmt.Errorf("pool %d is absorbed to %d, contribution %d is scored against %d: absorb first", c.Pool, have, c.Id, c.BaseSeq)
	}
	recs, rep, reason, err := e.open(chainID, c.Pool, c.Contributor, worker, c.Data, p.cfg, ciphertext)
	if err != nil {
		return nil, fmt.Errorf("contribution %d: %w", c.Id, err)
	}
	m := &flow.MsgAttest{Pool: c.Pool, Contribution: c.Id, Job: c.Job, Worker: worker, Verdict: flow.VerdictReject, Reason: reason}
	if reason == "" {
		p.stateMu.RLock()
		e.mu.Lock()
		st := p.state(c.BaseSeq)
		e.mu.Unlock()
		res := pdv.Score(p.cfg, st, p.validation, recs, rep)
		p.stateMu.RUnlock()
		m.ScorePpm, m.ValidityPpm, m.UniquenessPpm, m.ValuePpm = res.ScorePPM, res.ValidityPPM, res.UniquenessPPM, res.ValuePPM
		if res.Accepted {
			m.Verdict = flow.VerdictAccept
		} else {
			m.Reason = truncate(res.Reason, flow.MaxReasonLen)
		}
	}
	flow.SignResult(chainID, m, e.sign)
	return m, nil
}

// truncate cuts s to at most n bytes on a character boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// ValidationPool is the pool id a validation set's data key is wrapped
// for: the set is sealed before its pool exists, so its grants bind the
// chain, the ciphertext's hash and the pool's creator.
const ValidationPool = 0
