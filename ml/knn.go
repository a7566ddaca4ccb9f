package ml

// neighbour is one candidate of a KNN query.
type neighbour struct {
	dist  int64
	index int
}

// knnPredict writes the vote shares (ppm) of the k nearest training
// examples to scores and returns the winning class index. Distances are
// squared Euclidean on standardized features: a difference is below 2^22,
// its square below 2^44, and a sum of at most 2^16 squares below 2^60.
// Neighbours are ordered by distance, then training index. Among classes
// with the most votes the one with the nearest neighbour wins (then the
// smaller index, which also decides equal labels).
func (m *Model) knnPredict(z []int64, scores []int64) int {
	d, n := len(z), len(m.ys)
	k := min(m.hyper.K, n)
	best := make([]neighbour, 0, k)
	for i := range n {
		row := m.pts[i*d : (i+1)*d]
		// Once k neighbours are known, a candidate whose partial sum
		// already reaches the k-th distance cannot enter (ties keep the
		// earlier, smaller index), so the sum stops early: partial sums
		// only grow, which keeps the result exact.
		limit := int64(1<<63 - 1)
		if len(best) == k {
			limit = best[k-1].dist
		}
		var dist int64
		for j := 0; j < d && dist < limit; j += 8 {
			for jj, v := range row[j:min(j+8, d)] {
				diff := v - z[j+jj]
				dist += diff * diff
			}
		}
		if dist >= limit {
			continue
		}
		if len(best) < k {
			best = append(best, neighbour{})
		}
		pos := len(best) - 1
		for pos > 0 && best[pos-1].dist > dist {
			best[pos] = best[pos-1]
			pos--
		}
		best[pos] = neighbour{dist: dist, index: i}
	}
	votes := make([]int64, len(scores))
	for _, nb := range best {
		votes[m.ys[nb.index]]++
	}
	var top int64
	for _, v := range votes {
		top = max(top, v)
	}
	winner := 0
	for _, nb := range best {
		if c := int(m.ys[nb.index]); votes[c] == top {
			winner = c
			break
		}
	}
	for c, v := range votes {
		scores[c] = v * ScoreScale / int64(k)
	}
	return winner
}
