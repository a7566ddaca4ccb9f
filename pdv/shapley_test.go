package pdv

import (
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"
)

// bruteShapley computes the exact Shapley values, averaged over val, of the
// K-NN utility by enumerating every subset of the training points. Distances
// are exact big integers on zero-padded vectors; ties go to the lower index.
func bruteShapley(train, val []Record, k int) (phi []*big.Rat, uAll *big.Rat) {
	n := len(train)
	phi = make([]*big.Rat, n)
	for i := range phi {
		phi[i] = new(big.Rat)
	}
	uAll = new(big.Rat)
	// weight[s] = s!(n-s-1)!/n!
	fact := func(x int) *big.Int { return new(big.Int).MulRange(1, int64(max(x, 1))) }
	weight := make([]*big.Rat, n)
	for s := range n {
		num := new(big.Int).Mul(fact(s), fact(n-s-1))
		weight[s] = new(big.Rat).SetFrac(num, fact(n))
	}
	for _, v := range val {
		order := make([]int, n)
		dist := make([]*big.Int, n)
		for i, t := range train {
			order[i] = i
			dist[i] = bigDist(t.Features, v.Features)
		}
		slices.SortStableFunc(order, func(a, b int) int { return dist[a].Cmp(dist[b]) })
		rank := make([]int, n)
		for r, i := range order {
			rank[i] = r
		}
		// utility of subset mask, as a rational.
		utility := func(mask uint) *big.Rat {
			matches, taken := 0, 0
			for _, i := range order {
				if mask&(1<<i) == 0 {
					continue
				}
				if taken == k {
					break
				}
				taken++
				if train[i].Label == v.Label {
					matches++
				}
			}
			return big.NewRat(int64(matches), int64(k))
		}
		uAll.Add(uAll, utility(1<<n-1))
		for i := range n {
			for mask := uint(0); mask < 1<<n; mask++ {
				if mask&(1<<i) != 0 {
					continue
				}
				size := 0
				for x := mask; x != 0; x &= x - 1 {
					size++
				}
				d := new(big.Rat).Sub(utility(mask|1<<i), utility(mask))
				phi[i].Add(phi[i], d.Mul(d, weight[size]))
			}
		}
	}
	m := big.NewRat(int64(len(val)), 1)
	for i := range phi {
		phi[i].Quo(phi[i], m)
	}
	uAll.Quo(uAll, m)
	return phi, uAll
}

func bigDist(a, b []int64) *big.Int {
	s := new(big.Int)
	for d := range max(len(a), len(b)) {
		var x, y int64
		if d < len(a) {
			x = a[d]
		}
		if d < len(b) {
			y = b[d]
		}
		t := new(big.Int).Sub(big.NewInt(x), big.NewInt(y))
		s.Add(s, t.Mul(t, t))
	}
	return s
}

// withinUnits reports whether |exact·ValueScale - got| ≤ units.
func withinUnits(exact *big.Rat, got int64, units int64) bool {
	d := new(big.Rat).Mul(exact, big.NewRat(ValueScale, 1))
	d.Sub(d, big.NewRat(got, 1))
	d.Abs(d)
	return d.Cmp(big.NewRat(units, 1)) <= 0
}

// randomSet makes n records with dims features drawn from values (in
// fixed-point units) and labels in [0, labels).
func randomSet(r *rand.Rand, n, dims int, values []int64, labels int) []Record {
	recs := make([]Record, n)
	for i := range recs {
		f := make([]int64, dims)
		for d := range f {
			f[d] = values[r.IntN(len(values))]
		}
		recs[i] = Record{Features: f, Label: int64(r.IntN(labels))}
	}
	return recs
}

func TestKNNShapleyHandComputed(t *testing.T) {
	// One validation point at 0 with label 1. Point 0 is nearer and shares
	// the label, point 1 is farther and does not. With K = 1:
	// U({0}) = 1, U({1}) = 0, U({0,1}) = 1, so φ0 = 1 and φ1 = 0.
	train := []Record{{Features: []int64{1}, Label: 1}, {Features: []int64{2}, Label: 0}}
	val := []Record{{Features: []int64{0}, Label: 1}}
	got := KNNShapley(train, val, 1)
	if want := []int64{ValueScale, 0}; !slices.Equal(got, want) {
		t.Fatalf("K=1: got %v, want %v", got, want)
	}
	// With K = 2: U({0}) = 1/2, U({1}) = 0, U({0,1}) = 1/2: φ0 = 1/2, φ1 = 0.
	got = KNNShapley(train, val, 2)
	if want := []int64{ValueScale / 2, 0}; !slices.Equal(got, want) {
		t.Fatalf("K=2: got %v, want %v", got, want)
	}
	// Three points at the same distance, labels 1, 0, 1, K = 1: ties go to
	// the lower index, so U(S) = 1 iff the lowest index in S has label 1.
	// With weights 1/3, 1/6, 1/3 for |S| = 0, 1, 2:
	// φ0 = 1/3 + 1/6 [S={1}] + 1/3 [S={1,2}] = 5/6,
	// φ1 = -1/6 [S={2}], φ2 = 1/3 [S=∅]; the sum is U(all) = 1.
	train = []Record{{Features: []int64{5}, Label: 1}, {Features: []int64{-5}, Label: 0}, {Features: []int64{5}, Label: 1}}
	got = KNNShapley(train, val, 1)
	want := []*big.Rat{big.NewRat(5, 6), big.NewRat(-1, 6), big.NewRat(1, 3)}
	for i := range got {
		if !withinUnits(want[i], got[i], 1) {
			t.Fatalf("ties: φ%d = %d, want %s", i, got[i], want[i].FloatString(12))
		}
	}
}

func TestKNNShapleyMatchesBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	type setup struct {
		name   string
		dims   int
		values []int64
	}
	setups := []setup{
		// Tiny value ranges make many equal distances (ties).
		{"ties", 2, []int64{0, FeatureScale, 2 * FeatureScale}},
		{"spread", 3, []int64{-7 * FeatureScale, -1, 0, 3, 12345, 16 * FeatureScale, 99 * FeatureScale}},
		// Features at ±MaxFeature in 8 dims overflow 64-bit distances and
		// take the 128-bit path.
		{"wide", 8, []int64{-MaxFeature, MaxFeature, MaxFeature - 1, 0}},
	}
	for _, su := range setups {
		for _, k := range []int{1, 2, 3, 5, 12} {
			for trial := range 6 {
				n := 1 + r.IntN(10)
				train := randomSet(r, n, su.dims, su.values, 3)
				val := randomSet(r, 1+r.IntN(4), su.dims, su.values, 3)
				if trial == 0 && n > 1 {
					// Different lengths are compared zero-padded.
					train[0].Features = train[0].Features[:su.dims-1]
				}
				got := KNNShapley(train, val, k)
				exact, uAll := bruteShapley(train, val, k)
				var sum int64
				for i := range got {
					sum += got[i]
					if !withinUnits(exact[i], got[i], 1) {
						t.Fatalf("%s K=%d N=%d: φ%d = %d, exact %s·10^-12", su.name, k, n, i, got[i],
							new(big.Rat).Mul(exact[i], big.NewRat(ValueScale, 1)).FloatString(3))
					}
				}
				// Efficiency: Σφ = U(all) - U(∅), U(∅) = 0.
				if !withinUnits(uAll, sum, int64(n)) {
					t.Fatalf("%s K=%d N=%d: Σφ = %d, U(all) = %s", su.name, k, n, sum, uAll.FloatString(12))
				}
			}
		}
	}
}

func TestKNNShapleyWorkersAndEdges(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	vals := []int64{0, 1, 2, 3, 5 * FeatureScale}
	train := randomSet(r, 700, 6, vals, 4)
	val := randomSet(r, 37, 6, vals, 4)
	want := knnShapley(recordPoints(train), recordPoints(val), 5, 1)
	for _, w := range []int{2, 3, 8, 100} {
		if got := knnShapley(recordPoints(train), recordPoints(val), 5, w); !slices.Equal(got, want) {
			t.Fatalf("workers=%d gives a different result", w)
		}
	}
	if got := KNNShapley(train, val, 5); !slices.Equal(got, want) {
		t.Fatal("KNNShapley differs from the single-worker result")
	}
	var nonZero bool
	for _, v := range want {
		nonZero = nonZero || v != 0
	}
	if !nonZero {
		t.Fatal("all values are zero")
	}
	if got := KNNShapley(nil, val, 5); len(got) != 0 {
		t.Fatalf("empty train: %v", got)
	}
	if got := KNNShapley(train[:3], nil, 5); !slices.Equal(got, []int64{0, 0, 0}) {
		t.Fatalf("empty val: %v", got)
	}
	// k < 1 behaves as k = 1.
	if !slices.Equal(KNNShapley(train[:9], val, 0), KNNShapley(train[:9], val, 1)) {
		t.Fatal("k=0 differs from k=1")
	}
	// Out-of-bound features are clamped, not overflowed.
	big1 := []Record{{Features: []int64{1 << 62}, Label: 1}, {Features: []int64{MaxFeature}, Label: 0}}
	got := KNNShapley(big1, []Record{{Features: []int64{-1 << 62}, Label: 1}}, 1)
	exact, _ := bruteShapley([]Record{{Features: []int64{MaxFeature}, Label: 1}, {Features: []int64{MaxFeature}, Label: 0}},
		[]Record{{Features: []int64{-MaxFeature}, Label: 1}}, 1)
	for i := range got {
		if !withinUnits(exact[i], got[i], 1) {
			t.Fatalf("clamped: φ%d = %d, exact %s", i, got[i], exact[i].FloatString(12))
		}
	}
}

func TestRadixSortStable(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	items := make([]item, 5000)
	for i := range items {
		// Few distinct keys spread over several bytes: many ties.
		items[i] = item{key: uint64(r.IntN(7)) << (8 * uint(r.IntN(8))), idx: uint32(i)}
	}
	want := slices.Clone(items)
	slices.SortStableFunc(want, func(a, b item) int {
		switch {
		case a.key < b.key:
			return -1
		case a.key > b.key:
			return 1
		}
		return 0
	})
	got := radixSort(slices.Clone(items), make([]item, len(items)))
	if !slices.Equal(got, want) {
		t.Fatal("radix sort differs from a stable sort")
	}
}

func TestI128(t *testing.T) {
	tests := []struct {
		adds []int64
		div  uint64
		want int64
	}{
		{[]int64{7}, 2, 4},   // 3.5 → 4
		{[]int64{-7}, 2, -4}, // -3.5 → -4
		{[]int64{5}, 3, 2},   // 1.67 → 2
		{[]int64{-4}, 3, -1}, // -1.33 → -1
		{[]int64{1 << 62, 1 << 62, 1 << 62, 1 << 62}, 1 << 20, 1 << 44},
		{[]int64{-1 << 62, -1 << 62, -1 << 62, -1 << 62, 1}, 1 << 20, -1 << 44},
	}
	for _, tc := range tests {
		var a i128
		want := new(big.Int)
		for _, v := range tc.adds {
			a.addInt64(v)
			want.Add(want, big.NewInt(v))
		}
		if got := a.roundDiv(tc.div); got != tc.want {
			t.Errorf("%v / %d = %d, want %d", tc.adds, tc.div, got, tc.want)
		}
		// floor division, unclamped range.
		q := new(big.Int)
		m := new(big.Int)
		q.DivMod(want, new(big.Int).SetUint64(tc.div), m) // Euclidean: floor for positive divisor
		if got := a.floorDivClamp(tc.div, -1<<62, 1<<62); got != q.Int64() {
			t.Errorf("floor %v / %d = %d, want %d", tc.adds, tc.div, got, q.Int64())
		}
	}
	var a i128
	a.addInt64(-5)
	if got := a.floorDivClamp(1, 0, 10); got != 0 {
		t.Errorf("clamp low: %d", got)
	}
	a = i128{}
	a.addInt64(50)
	if got := a.floorDivClamp(1, 0, 10); got != 10 {
		t.Errorf("clamp high: %d", got)
	}
}
