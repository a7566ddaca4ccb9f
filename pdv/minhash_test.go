package pdv

import (
	"fmt"
	"strings"
	"testing"
)

// trueJaccard is the exact Jaccard similarity of the ShingleLen-byte shingle
// sets of a and b.
func trueJaccard(a, b []byte) float64 {
	set := func(c []byte) map[string]bool {
		m := map[string]bool{}
		if len(c) < ShingleLen {
			m[string(c)] = true
			return m
		}
		for i := 0; i+ShingleLen <= len(c); i++ {
			m[string(c[i:i+ShingleLen])] = true
		}
		return m
	}
	sa, sb := set(a), set(b)
	inter := 0
	for k := range sa {
		if sb[k] {
			inter++
		}
	}
	return float64(inter) / float64(len(sa)+len(sb)-inter)
}

// digitsContent returns the canonical content of a digits-like record.
func digitsContent(pixels []int64, label int64) []byte {
	f := make([]int64, len(pixels))
	for i, p := range pixels {
		f[i] = p * FeatureScale
	}
	return TabularContent(f, label)
}

var (
	digitZero = []int64{0, 0, 5, 13, 9, 1, 0, 0, 0, 0, 13, 15, 10, 15, 5, 0, 0, 3, 15, 2, 0, 11, 8, 0, 0, 4, 12, 0, 0, 8, 8, 0, 0, 5, 8, 0, 0, 9, 8, 0, 0, 4, 11, 0, 1, 12, 7, 0, 0, 2, 14, 5, 10, 12, 0, 0, 0, 0, 6, 13, 10, 0, 0, 0}
	digitOne  = []int64{0, 0, 0, 12, 13, 5, 0, 0, 0, 0, 0, 11, 16, 9, 0, 0, 0, 0, 3, 15, 16, 6, 0, 0, 0, 7, 15, 16, 16, 2, 0, 0, 0, 0, 1, 16, 16, 3, 0, 0, 0, 0, 1, 16, 16, 6, 0, 0, 0, 0, 1, 16, 16, 6, 0, 0, 0, 0, 0, 11, 16, 10, 0, 0}
)

const (
	sentence  = "The quick brown fox jumps over the lazy dog while the farmer watches from the old wooden porch at dawn."
	sentence2 = "The quick brown fox jumps over the lazy cat while the farmer watches from the old wooden porch at dawn."
	unrelated = "Blockchains anchor scores only when enclave workers agree on identical integer results for every file."
)

func TestMinHash(t *testing.T) {
	changed := append([]int64(nil), digitZero...)
	changed[20] = 7 // one pixel differs
	tests := []struct {
		name    string
		a, b    []byte
		dup     bool    // expected near-duplicate at DefaultDupThresholdPPM
		checkJ  bool    // compare with the true Jaccard
		maxDiff float64 // tolerance of the estimate
	}{
		{"identical digits", digitsContent(digitZero, 0), digitsContent(digitZero, 0), true, true, 0},
		{"one pixel changed", digitsContent(digitZero, 0), digitsContent(changed, 0), true, true, 0.12},
		{"different digits", digitsContent(digitZero, 0), digitsContent(digitOne, 1), false, true, 0.12},
		{"one word changed", []byte(sentence), []byte(sentence2), true, true, 0.12},
		{"unrelated text", []byte(sentence), []byte(unrelated), false, true, 0.12},
		{"half the text", []byte(sentence), []byte(sentence[:len(sentence)/2]), false, true, 0.12},
		{"short equal", []byte("abc"), []byte("abc"), true, true, 0},
		{"short different", []byte("abc"), []byte("abd"), false, true, 0},
		{"both empty", nil, nil, true, false, 0},
		{"empty and text", nil, []byte(sentence), false, false, 0},
	}
	for _, tc := range tests {
		sa, sb := MinHash(tc.a), MinHash(tc.b)
		est := JaccardPPM(&sa, &sb)
		if tc.checkJ {
			tj := trueJaccard(tc.a, tc.b)
			if d := float64(est)/PPM - tj; d > tc.maxDiff || d < -tc.maxDiff {
				t.Errorf("%s: estimated Jaccard %.3f, true %.3f", tc.name, float64(est)/PPM, tj)
			}
		}
		var ix Index
		ix.Add(42, sa)
		if got := ix.NearDuplicate(sb, DefaultDupThresholdPPM); got != tc.dup {
			t.Errorf("%s: NearDuplicate = %v (estimated Jaccard %d ppm), want %v", tc.name, got, est, tc.dup)
		}
	}
}

func TestMinHashFixedFamily(t *testing.T) {
	// The family depends only on the fixed seed: two computations agree, and
	// the signature is not degenerate.
	a, b := MinHash([]byte(sentence)), MinHash([]byte(sentence))
	if a != b {
		t.Fatal("MinHash is not deterministic")
	}
	distinct := map[uint32]bool{}
	for _, v := range a {
		distinct[v] = true
	}
	if len(distinct) < SigLen-2 {
		t.Fatalf("only %d distinct signature entries", len(distinct))
	}
	// a_i must be non-zero and all below the prime.
	for i := range SigLen {
		if family.a[i] == 0 || family.a[i] >= mersenne61 || family.b[i] >= mersenne61 {
			t.Fatalf("bad constants at %d", i)
		}
	}
	// mulAddMod61 against a direct computation with small numbers and an
	// edge case.
	if got := mulAddMod61(3, 5, 7); got != 22 {
		t.Fatalf("3·5+7 mod p = %d", got)
	}
	if got := mulAddMod61(mersenne61-1, mersenne61-1, mersenne61-1); got != 0 {
		// (-1)(-1) + (-1) = 0 mod p
		t.Fatalf("(p-1)^2+(p-1) mod p = %d", got)
	}
}

func TestIndex(t *testing.T) {
	var ix Index
	if ix.NearDuplicate(MinHash([]byte(sentence)), DefaultDupThresholdPPM) {
		t.Fatal("empty index found a duplicate")
	}
	// Many unrelated records, then a near-duplicate query.
	for i := range 200 {
		ix.Add(uint64(1000+i), MinHash(fmt.Appendf(nil, "record number %d says %s", i*7919, strings.Repeat("x", i%13))))
	}
	ix.Add(7, MinHash([]byte(sentence)))
	ix.Add(3, MinHash([]byte(sentence)))
	if ix.Len() != 202 {
		t.Fatalf("Len = %d", ix.Len())
	}
	id, ok := ix.Find(MinHash([]byte(sentence2)), DefaultDupThresholdPPM)
	if !ok || id != 7 {
		t.Fatalf("Find = %d, %v; want the earliest match 7", id, ok)
	}
	if ix.NearDuplicate(MinHash([]byte(unrelated)), DefaultDupThresholdPPM) {
		t.Fatal("unrelated text is a near-duplicate")
	}
	// Threshold 100%: only exact signature matches.
	if ix.NearDuplicate(MinHash([]byte(sentence2)), PPM) {
		t.Fatal("a changed word matched at threshold 1")
	}
	if !ix.NearDuplicate(MinHash([]byte(sentence)), PPM) {
		t.Fatal("identical text missed at threshold 1")
	}
}
