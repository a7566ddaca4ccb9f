package service

import (
	"math/rand/v2"
	"testing"

	"github.com/lazchain/lazchain/tx"
)

// TestNonceWindow checks the compact nonce set against a plain set of
// every nonce used: a nonce settles at most once, out-of-order nonces
// within the window settle, and the window only closes nonces below it.
func TestNonceWindow(t *testing.T) {
	const window = 256
	n := &nonces{consumer: tx.Address{1}, words: make([]uint64, window/64)}
	used := map[uint64]bool{}
	rng := rand.New(rand.NewPCG(1, 2))
	var next uint64 = 1
	for i := range 20000 {
		// Mostly fresh nonces slightly out of order, some replays, some
		// jumps beyond the window.
		var nonce uint64
		switch r := rng.IntN(100); {
		case r < 70:
			nonce = next + uint64(rng.IntN(32))
			next++
		case r < 90 && len(used) > 0:
			nonce = next - uint64(rng.IntN(int(min(next, 600))))
		case r < 97:
			nonce = next + uint64(rng.IntN(window))
		default:
			nonce = next + window + uint64(rng.IntN(3*window))
			next = nonce
		}
		reason, _ := n.check(nonce)
		if used[nonce] && reason == "" {
			t.Fatalf("step %d: nonce %d was used and check allows it again", i, nonce)
		}
		if reason == ReasonReplayed && !used[nonce] {
			t.Fatalf("step %d: nonce %d called replayed but never used", i, nonce)
		}
		if reason == ReasonNonceClosed && nonce >= n.base {
			t.Fatalf("step %d: nonce %d closed at or above the base %d", i, nonce, n.base)
		}
		if !used[nonce] && nonce >= n.base && reason != "" {
			t.Fatalf("step %d: open nonce %d refused: %s", i, nonce, reason)
		}
		if open := n.record().Open(nonce); open != (reason == "") {
			t.Fatalf("step %d: the stored set says nonce %d open=%v, the window says %q", i, nonce, open, reason)
		}
		if reason == "" {
			base := n.base
			n.use(nonce)
			used[nonce] = true
			if n.base < base {
				t.Fatalf("step %d: base went down from %d to %d", i, base, n.base)
			}
			if nonce < n.base {
				continue
			}
			if r, _ := n.check(nonce); r != ReasonReplayed {
				t.Fatalf("step %d: nonce %d just used, check says %q", i, nonce, r)
			}
		}
		if nonce > next {
			next = nonce
		}
	}
}

func TestNonceWindowSequentialCompacts(t *testing.T) {
	n := &nonces{consumer: tx.Address{2}, words: make([]uint64, 4)}
	for i := uint64(1); i <= 1000; i++ {
		if r, why := n.check(i); r != "" {
			t.Fatalf("nonce %d: %s", i, why)
		}
		n.use(i)
	}
	// Nonces 0..1000 below the base are closed; the base sits just under
	// the last partly used word, so the set stays a few words.
	if n.base < 960 || n.base > 1001 {
		t.Fatalf("after 1000 sequential nonces the base is %d", n.base)
	}
	if r, _ := n.check(500); r != ReasonNonceClosed {
		t.Fatalf("nonce 500 after the window moved: %q, want %q", r, ReasonNonceClosed)
	}
	if r, _ := n.check(1000); r != ReasonReplayed && r != ReasonNonceClosed {
		t.Fatalf("nonce 1000 again: %q", r)
	}
}

func TestSplitPaymentIsExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 10000 {
		price := rng.Uint64() >> rng.IntN(64)
		a := uint32(rng.IntN(10001))
		b := uint32(rng.IntN(int(10001 - a)))
		sp := &Split{OwnerBps: a, ProviderBps: b, ModelBps: 10000 - a - b}
		proto := uint32(rng.IntN(10001))
		p, o, pr, m := SplitPayment(price, proto, sp)
		if p+o+pr+m != price {
			t.Fatalf("split of %d: %d+%d+%d+%d", price, p, o, pr, m)
		}
		// Each part is within one ulaz of its exact share.
		rest := price - p
		if o > rest/10000*uint64(a)+rest%10000*uint64(a)/10000 || pr > rest {
			t.Fatalf("split of %d over-pays: owner %d provider %d", price, o, pr)
		}
	}
}
