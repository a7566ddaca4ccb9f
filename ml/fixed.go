package ml

import "math/bits"

// Fixed-point constants. The derivations of the bounds are in doc.go and
// next to the computations that rely on them.
const (
	// qShift is the number of fractional bits of Q16 quantities.
	qShift = 16
	// one16 is 1 in Q16.
	one16 = 1 << qShift
	// one30 is 1 in Q30 (probabilities and exp).
	one30 = 1 << 30
	// zMax bounds standardized features: ±32 in Q16 (2^21).
	zMax = 32 << qShift
	// wMax bounds weights and biases: ±256 in Q16 (2^24).
	wMax = 256 << qShift
	// hMax bounds hidden activations: 4096 in Q16 (2^28).
	hMax = 4096 << qShift
	// deltaMax bounds back-propagated hidden errors: ±32 in Q16 (2^21).
	deltaMax = 32 << qShift
	// logitMax bounds logits: ±2^24 in Q16 (2^40).
	logitMax = 1 << 40
	// expFloor is the most negative softmax exponent evaluated: −64 in Q16;
	// exp(−64) is far below one Q30 unit, so smaller ones give the same 0.
	expFloor = -64 << qShift
	// ln2Q30 is round(ln 2 · 2^30).
	ln2Q30 = 744261118
	// micro is the scale of decimal hyper-parameters (millionths).
	micro = 1_000_000
)

// divRound returns a/b rounded half away from zero. b must be positive and
// below 2^62.
func divRound(a, b int64) int64 {
	q, r := a/b, a%b
	if r < 0 {
		r = -r
	}
	if 2*r >= b {
		if a < 0 {
			q--
		} else {
			q++
		}
	}
	return q
}

// clamp returns v limited to [lo, hi].
func clamp(v, lo, hi int64) int64 {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}

// isqrt returns floor(sqrt(v)).
func isqrt(v uint64) uint64 {
	if v == 0 {
		return 0
	}
	// Start above the root (2^ceil(bits/2)) and run Newton's iteration,
	// which decreases monotonically to the floor of the root.
	x := uint64(1) << ((bits.Len64(v) + 1) / 2)
	for {
		y := (x + v/x) / 2
		if y >= x {
			return x
		}
		x = y
	}
}

// expQ30 returns exp(x) for x ≤ 0, both in Q30 (x > 0 is treated as 0).
//
// Range reduction: x = r − k·ln2 with r in (−ln2, 0], so exp(x) = exp(r)/2^k.
// exp(r) is the degree-10 Taylor polynomial evaluated by Horner's rule in
// Q30, rounding each step half away from zero. The truncation error is at
// most 0.7^11/11! < 2^-29 and the ten roundings add at most 10 units of
// 2^-30 (each later step shrinks earlier errors by |r|/i < 1), so
// |expQ30(x) − exp(x)·2^30| < 16 before the final shift, and the result is
// within 2^-27 of exp(x) in absolute terms. Every product is below
// 2^31·2^30 = 2^61.
func expQ30(x int64) int64 {
	if x >= 0 {
		return one30
	}
	if x < -(40 << 30) { // exp(−40) < 2^-57: rounds to 0
		return 0
	}
	k := (-x) / ln2Q30
	if k > 31 {
		return 0
	}
	r := x + k*ln2Q30 // in (−ln2, 0] in Q30
	t := int64(one30)
	for i := int64(10); i >= 1; i-- {
		t = one30 + divRound(t*r, i<<30)
	}
	if k == 0 {
		return t
	}
	return (t + 1<<(k-1)) >> k
}

// softmax writes the softmax of logits (Q16, each within ±logitMax) to p
// (Q30). Each exponent is the difference to the largest logit, floored at
// expFloor. The sum of the exponentials is at least 2^30 (the largest is
// exp(0)) and at most MaxClasses·2^30 = 2^40, and each numerator e·2^30 is
// at most 2^60.
func softmax(logits, p []int64) {
	m := logits[0]
	for _, l := range logits[1:] {
		m = max(m, l)
	}
	var sum int64
	for c, l := range logits {
		d := max(l-m, expFloor)
		e := expQ30(d << (30 - qShift))
		p[c] = e
		sum += e
	}
	for c := range p {
		p[c] = divRound(p[c]<<30, sum)
	}
}

// argmax returns the index of the largest value, the smallest such index
// on ties.
func argmax(v []int64) int {
	best := 0
	for i := 1; i < len(v); i++ {
		if v[i] > v[best] {
			best = i
		}
	}
	return best
}

// splitmix is the splitmix64 pseudo-random generator (Steele, Lea and
// Flood, "Fast splittable pseudorandom number generators", 2014).
type splitmix struct{ state uint64 }

// next returns the next 64 pseudo-random bits.
func (r *splitmix) next() uint64 {
	r.state += 0x9e3779b97f4a7c15
	z := r.state
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// below returns a pseudo-random integer in [0, n) for n > 0 (by reduction
// modulo n; the tiny bias is irrelevant here and fully deterministic).
func (r *splitmix) below(n uint64) uint64 { return r.next() % n }

// shuffle permutes idx with the Fisher–Yates algorithm.
func (r *splitmix) shuffle(idx []int) {
	for i := len(idx) - 1; i > 0; i-- {
		j := int(r.below(uint64(i + 1)))
		idx[i], idx[j] = idx[j], idx[i]
	}
}
