package ml

// mlpForward writes the hidden activations (Q16, within [0, hMax]) and the
// logits (Q16) of standardized features z (Q16). A hidden pre-activation
// sums at most 2^16 products below 2^24·2^21 = 2^45 (below 2^61); a logit
// sums at most MaxHidden = 2^8 products below 2^24·2^28 = 2^52 (below 2^60).
func (m *Model) mlpForward(z, hidden, logits []int64) {
	d, h := len(z), len(hidden)
	for k := range hidden {
		row := m.w1[k*d : (k+1)*d]
		var acc int64
		for j, w := range row {
			acc += w * z[j]
		}
		hidden[k] = clamp(m.b1[k]+acc>>qShift, 0, hMax)
	}
	for c := range logits {
		row := m.w2[c*h : (c+1)*h]
		var acc int64
		for k, w := range row {
			acc += w * hidden[k]
		}
		logits[c] = clamp(m.b2[c]+acc>>qShift, -logitMax, logitMax)
	}
}

// initUniform fills w with integers drawn uniformly from [−a, a].
func initUniform(rng *splitmix, w []int64, a int64) {
	for i := range w {
		w[i] = int64(rng.below(uint64(2*a+1))) - a
	}
}

// trainMLP initializes the weights from the seed (He-uniform
// ±sqrt(6/dims) for the hidden layer, Glorot-uniform
// ±sqrt(6/(hidden+classes)) for the output layer, zero biases) and runs
// mini-batch gradient descent on the standardized examples z (row-major,
// Q16) with class indices ys.
func (m *Model) trainMLP(z []int64, ys []uint32) {
	d, c, h, n := m.input.Dims, len(m.classes), m.hyper.Hidden, len(ys)
	rng := splitmix{state: m.hyper.Seed}
	m.w1 = make([]int64, h*d)
	m.b1 = make([]int64, h)
	m.w2 = make([]int64, c*h)
	m.b2 = make([]int64, c)
	// sqrt(6/f) in Q16 is sqrt(6·2^32/f).
	initUniform(&rng, m.w1, int64(isqrt(6<<32/uint64(d))))
	initUniform(&rng, m.w2, int64(isqrt(6<<32/uint64(h+c))))
	gw1 := make([]int64, h*d)
	gb1 := make([]int64, h)
	gw2 := make([]int64, c*h)
	gb2 := make([]int64, c)
	hidden := make([]int64, h)
	logits := make([]int64, c)
	p := make([]int64, c)
	errs := make([]int64, c)
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	for range m.hyper.Epochs {
		rng.shuffle(order)
		for start := 0; start < n; start += m.hyper.Batch {
			batch := order[start:min(start+m.hyper.Batch, n)]
			clear(gw1)
			clear(gb1)
			clear(gw2)
			clear(gb2)
			for _, i := range batch {
				zi := z[i*d : (i+1)*d]
				m.mlpForward(zi, hidden, logits)
				softmax(logits, p)
				// Output layer: err = p − y in Q16 (±2^16); err·hidden is
				// below 2^44, summed over at most 2^10 examples.
				for k := range c {
					e := divRound(p[k], one30/one16)
					if k == int(ys[i]) {
						e -= one16
					}
					errs[k] = e
					if e == 0 {
						continue
					}
					gb2[k] += e << qShift
					row := gw2[k*h : (k+1)*h]
					for u, a := range hidden {
						row[u] += e * a
					}
				}
				// Hidden layer: delta = Σ err·w2 (below 2^10·2^40 before
				// the shift), zero where the activation is clamped, then
				// clamped to ±deltaMax (2^21); delta·z is below 2^42.
				for u := range h {
					a := hidden[u]
					if a <= 0 || a >= hMax {
						continue
					}
					var acc int64
					for k, e := range errs {
						acc += e * m.w2[k*h+u]
					}
					delta := clamp(acc>>qShift, -deltaMax, deltaMax)
					if delta == 0 {
						continue
					}
					gb1[u] += delta << qShift
					row := gw1[u*d : (u+1)*d]
					for j, v := range zi {
						row[j] += delta * v
					}
				}
			}
			m.update(m.w2, gw2, len(batch), true)
			m.update(m.b2, gb2, len(batch), false)
			m.update(m.w1, gw1, len(batch), true)
			m.update(m.b1, gb1, len(batch), false)
		}
	}
}
