package idao

import (
	"math"
	"math/big"
	"testing"
)

func TestPassingUsesExactProducts(t *testing.T) {
	exact := func(yes, quorum, total uint64) bool {
		l := new(big.Int).Mul(new(big.Int).SetUint64(yes), big.NewInt(10000))
		r := new(big.Int).Mul(new(big.Int).SetUint64(quorum), new(big.Int).SetUint64(total))
		return yes > 0 && total > 0 && l.Cmp(r) >= 0
	}
	for _, c := range []struct{ yes, no, total uint64 }{
		{2, 0, 3}, {1, 0, 3}, {0, 0, 0}, {1, 0, 0},
		{math.MaxUint64 / 2, 0, math.MaxUint64}, {math.MaxUint64/2 + 1, 0, math.MaxUint64},
		{math.MaxUint64, 0, math.MaxUint64}, {1 << 62, 1 << 62, 1 << 63},
	} {
		for _, q := range []uint32{1, 5000, 5001, 10000} {
			p := &Proposal{Yes: c.yes, No: c.no, QuorumBps: q}
			if got, want := passing(p, c.total), exact(c.yes, uint64(q), c.total); got != want {
				t.Errorf("yes %d of %d at %d bps: passing %v, want %v", c.yes, c.total, q, got, want)
			}
			rest := new(big.Int).SetUint64(c.total)
			rest.Sub(rest, new(big.Int).SetUint64(c.no))
			if rest.Sign() < 0 {
				rest.SetInt64(0)
			}
			l := rest.Mul(rest, big.NewInt(10000))
			r := new(big.Int).Mul(big.NewInt(int64(q)), new(big.Int).SetUint64(c.total))
			if got, want := hopeless(p, c.total), l.Cmp(r) < 0; got != want {
				t.Errorf("no %d of %d at %d bps: hopeless %v, want %v", c.no, c.total, q, got, want)
			}
		}
	}
}
