package pdv

import (
	"cmp"
	"math"
	"math/bits"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
)

// ValueScale is the fixed-point scale of Shapley values: a value φ is
// returned as round(φ·ValueScale). The utility of a KNN classifier is an
// accuracy in [0, 1], so ValueScale stands for the whole accuracy.
const ValueScale = 1_000_000_000_000

// extraBits is how many bits of precision beyond ValueScale the recursion
// keeps: it runs in units of 1/(ValueScale·2^extraBits), the largest power
// of two that keeps every partial value (at most 1 in magnitude) in an int64.
const extraBits = 22

// innerScale is ValueScale·2^extraBits (about 4.19·10^18 < 2^63).
const innerScale = ValueScale << extraBits

// KNNShapley returns the exact KNN-Shapley value of each training point
// (Jia et al., "Efficient Task-Specific Data Valuation for Nearest Neighbor
// Algorithms", VLDB 2019, Theorem 1) for the unweighted K-NN classifier whose
// utility on a validation point is the fraction of its K nearest training
// points sharing its label (with fewer than K training points, the number
// that share it divided by K), averaged over the validation points and
// returned in units of 1/ValueScale.
//
// Distances are squared Euclidean distances on the fixed-point features,
// computed exactly (features are clamped to ±MaxFeature, vectors of
// different lengths are compared as if the shorter were padded with zeros),
// and ties are broken by training index, lower first.
//
// Rounding: for each validation point the recursion
// s_N = a_N·c_N, s_m = s_{m+1} + (a_m - a_{m+1})·c_m with c_m = 1/max(m, K)
// (a_m = 1 when the m-th nearest point shares the label) runs in integers in
// units of 1/(ValueScale·2^22), with each c_m rounded half up to that unit;
// the per-point sums are added exactly in 128 bits and the average is
// rounded once, half away from zero, to units of 1/ValueScale. Each c_m is
// off by at most half a unit and a value sums at most N of them, so every
// returned value is within 1/2 + N/2^23 units of the exact φ·ValueScale:
// within 1 unit for N ≤ 4,194,304 training points.
//
// The work is spread over GOMAXPROCS goroutines by validation point; the
// result is the same for any number of them. k below 1 is treated as 1. The
// result has one value per training point; it is all zeros when val is
// empty.
func KNNShapley(train []Record, val []Record, k int) []int64 {
	return knnShapley(recordPoints(train), recordPoints(val), k, runtime.GOMAXPROCS(0))
}

// points is a view of records' features and labels.
type points struct {
	feats  [][]int64
	labels []int64
}

func recordPoints(recs []Record) points {
	p := points{feats: make([][]int64, len(recs)), labels: make([]int64, len(recs))}
	for i := range recs {
		p.feats[i] = recs[i].Features
		p.labels[i] = recs[i].Label
	}
	return p
}

func (p *points) append(recs []Record) {
	for i := range recs {
		p.feats = append(p.feats, recs[i].Features)
		p.labels = append(p.labels, recs[i].Label)
	}
}

// flatten copies the features of p into a row-major matrix of width dims,
// clamped to ±MaxFeature and zero-padded, and returns it with the largest
// magnitude it holds.
func flatten(p points, dims int) ([]int64, int64) {
	out := make([]int64, len(p.feats)*dims)
	var maxAbs int64
	for i, f := range p.feats {
		row := out[i*dims : (i+1)*dims]
		for d, v := range f {
			v = min(max(v, -MaxFeature), MaxFeature)
			row[d] = v
			if v < 0 {
				v = -v
			}
			maxAbs = max(maxAbs, v)
		}
	}
	return out, maxAbs
}

func knnShapley(train, val points, k, workers int) []int64 {
	n, m := len(train.feats), len(val.feats)
	out := make([]int64, n)
	if n == 0 || m == 0 {
		return out
	}
	if n > math.MaxUint32 || uint64(m) >= 1<<(64-extraBits) {
		return out // beyond the supported sizes; unreachable in memory
	}
	k = max(k, 1)
	dims := 0
	for _, f := range train.feats {
		dims = max(dims, len(f))
	}
	for _, f := range val.feats {
		dims = max(dims, len(f))
	}
	tf, tmax := flatten(train, dims)
	vf, vmax := flatten(val, dims)
	// Every squared difference is at most (2·maxAbs)^2 < 2^62; when dims of
	// them cannot overflow 64 bits the distance is kept in a uint64.
	diff := uint64(2 * max(tmax, vmax))
	hi, lo := bits.Mul64(diff*diff, uint64(max(dims, 1)))
	fast := hi == 0 && lo < math.MaxUint64

	// tab[m] = round(innerScale / max(m, k)), rounding half up.
	tab := make([]int64, n+1)
	for i := 1; i <= n; i++ {
		q := uint64(max(i, k))
		tab[i] = int64((2*uint64(innerScale) + q) / (2 * q))
	}

	workers = max(1, min(workers, m))
	accs := make([][]i128, workers)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			acc := make([]i128, n)
			ws := newShapleyWorker(n, fast)
			for {
				j := int(next.Add(1) - 1)
				if j >= m {
					break
				}
				order := ws.sortedOrder(tf, vf[j*dims:(j+1)*dims], dims)
				y := val.labels[j]
				// Positions are 1-based in the recursion: position p holds
				// training point order[p-1].
				var s, aNext int64
				for p := n; p >= 1; p-- {
					idx := order[p-1]
					var a int64
					if train.labels[idx] == y {
						a = 1
					}
					if p == n {
						s = a * tab[n]
					} else {
						s += (a - aNext) * tab[p]
					}
					aNext = a
					acc[idx].addInt64(s)
				}
			}
			accs[w] = acc
		}()
	}
	wg.Wait()
	total := accs[0]
	for _, acc := range accs[1:] {
		for i := range total {
			total[i].add(acc[i])
		}
	}
	div := uint64(m) << extraBits
	for i := range out {
		out[i] = total[i].roundDiv(div)
	}
	return out
}

// shapleyWorker holds one goroutine's sorting buffers.
type shapleyWorker struct {
	fast       bool
	items, tmp []item
	wide       []wideItem
	order      []uint32
}

type item struct {
	key uint64
	idx uint32
}

type wideItem struct {
	hi, lo uint64
	idx    uint32
}

func newShapleyWorker(n int, fast bool) *shapleyWorker {
	w := &shapleyWorker{fast: fast, order: make([]uint32, n)}
	if fast {
		w.items = make([]item, n)
		w.tmp = make([]item, n)
	} else {
		w.wide = make([]wideItem, n)
	}
	return w
}

// sortedOrder returns the training indices ordered by (distance to v, index).
func (w *shapleyWorker) sortedOrder(tf, v []int64, dims int) []uint32 {
	n := len(w.order)
	if w.fast {
		for i := range n {
			row := tf[i*dims : (i+1)*dims]
			v := v[:len(row)]
			var s uint64
			for d, x := range row {
				t := x - v[d]
				s += uint64(t * t)
			}
			w.items[i] = item{key: s, idx: uint32(i)}
		}
		sorted := radixSort(w.items, w.tmp)
		for i := range sorted {
			w.order[i] = sorted[i].idx
		}
		return w.order
	}
	for i := range n {
		row := tf[i*dims : (i+1)*dims]
		v := v[:len(row)]
		var hi, lo, c uint64
		for d, x := range row {
			t := x - v[d]
			lo, c = bits.Add64(lo, uint64(t*t), 0)
			hi += c
		}
		w.wide[i] = wideItem{hi: hi, lo: lo, idx: uint32(i)}
	}
	slices.SortFunc(w.wide, func(a, b wideItem) int {
		if c := cmp.Compare(a.hi, b.hi); c != 0 {
			return c
		}
		if c := cmp.Compare(a.lo, b.lo); c != 0 {
			return c
		}
		return cmp.Compare(a.idx, b.idx)
	})
	for i := range w.wide {
		w.order[i] = w.wide[i].idx
	}
	return w.order
}

// radixSort sorts items by key with a stable least-significant-digit radix
// sort, so items with equal keys keep their order (here: by index). It skips
// the bytes in which all keys agree and returns whichever of items and tmp
// holds the result.
func radixSort(items, tmp []item) []item {
	if len(items) == 0 {
		return items
	}
	or, and := uint64(0), ^uint64(0)
	for i := range items {
		or |= items[i].key
		and &= items[i].key
	}
	varying := or ^ and
	for shift := uint(0); shift < 64; shift += 8 {
		if (varying>>shift)&0xff == 0 {
			continue
		}
		var count [256]int
		for i := range items {
			count[(items[i].key>>shift)&0xff]++
		}
		pos := 0
		for b := range count {
			c := count[b]
			count[b] = pos
			pos += c
		}
		for i := range items {
			b := (items[i].key >> shift) & 0xff
			tmp[count[b]] = items[i]
			count[b]++
		}
		items, tmp = tmp, items
	}
	return items
}

// i128 is a signed 128-bit integer in two's complement.
type i128 struct{ hi, lo uint64 }

func (a *i128) addInt64(v int64) {
	lo, c := bits.Add64(a.lo, uint64(v), 0)
	a.hi += uint64(v>>63) + c
	a.lo = lo
}

func (a *i128) add(b i128) {
	lo, c := bits.Add64(a.lo, b.lo, 0)
	a.hi += b.hi + c
	a.lo = lo
}

func (a i128) negative() bool { return a.hi>>63 == 1 }

// abs returns |a| as an unsigned 128-bit value.
func (a i128) abs() (hi, lo uint64) {
	if !a.negative() {
		return a.hi, a.lo
	}
	lo, c := bits.Add64(^a.lo, 1, 0)
	return ^a.hi + c, lo
}

// roundDiv returns a/d rounded half away from zero, saturating at the int64
// range.
func (a i128) roundDiv(d uint64) int64 {
	hi, lo := a.abs()
	var q uint64
	if hi >= d {
		q = math.MaxUint64
	} else {
		var r uint64
		q, r = bits.Div64(hi, lo, d)
		if r >= d-r {
			q++
		}
	}
	if a.negative() {
		if q > 1<<63 {
			return math.MinInt64
		}
		return int64(-q)
	}
	if q > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(q)
}

// floorDiv returns floor(a/d) clamped to [lo, hi].
func (a i128) floorDivClamp(d uint64, lo, hi int64) int64 {
	h, l := a.abs()
	if h >= d {
		if a.negative() {
			return lo
		}
		return hi
	}
	q, r := bits.Div64(h, l, d)
	if q > math.MaxInt64-1 {
		if a.negative() {
			return lo
		}
		return hi
	}
	v := int64(q)
	if a.negative() {
		v = -v
		if r != 0 {
			v--
		}
	}
	return min(max(v, lo), hi)
}
