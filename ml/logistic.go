package ml

// logisticLogits writes the logits of standardized features z (Q16) to
// logits (Q16). Each product w·z is below 2^24·2^21 = 2^45 and a row sums at
// most MaxDims = 2^16 of them, below 2^61.
func (m *Model) logisticLogits(z, logits []int64) {
	d := len(z)
	for c := range logits {
		row := m.w1[c*d : (c+1)*d]
		var acc int64
		for j, w := range row {
			acc += w * z[j]
		}
		logits[c] = clamp(m.b1[c]+acc>>qShift, -logitMax, logitMax)
	}
}

// trainLogistic runs mini-batch gradient descent from zero weights on the
// standardized examples z (row-major, Q16) with class indices ys.
func (m *Model) trainLogistic(z []int64, ys []uint32) {
	d, c, n := m.input.Dims, len(m.classes), len(ys)
	m.w1 = make([]int64, c*d)
	m.b1 = make([]int64, c)
	gw := make([]int64, c*d)
	gb := make([]int64, c)
	logits := make([]int64, c)
	p := make([]int64, c)
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	rng := splitmix{state: m.hyper.Seed}
	for range m.hyper.Epochs {
		rng.shuffle(order)
		for start := 0; start < n; start += m.hyper.Batch {
			batch := order[start:min(start+m.hyper.Batch, n)]
			clear(gw)
			clear(gb)
			for _, i := range batch {
				zi := z[i*d : (i+1)*d]
				m.logisticLogits(zi, logits)
				softmax(logits, p)
				for k := range c {
					// err = p − y in Q16, within ±2^16; err·z is below
					// 2^37 and a batch sums at most 2^10 of them.
					err := divRound(p[k], one30/one16)
					if k == int(ys[i]) {
						err -= one16
					}
					if err == 0 {
						continue
					}
					gb[k] += err << qShift
					row := gw[k*d : (k+1)*d]
					for j, v := range zi {
						row[j] += err * v
					}
				}
			}
			m.update(m.w1, gw, len(batch), true)
			m.update(m.b1, gb, len(batch), false)
		}
	}
}
