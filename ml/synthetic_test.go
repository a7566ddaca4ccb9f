package ml

import (
	"fmt"
	"testing"

	"github.com/lazchain/lazchain/pdv"
)

// synthRand is a splitmix64 stream for the synthetic datasets.
type synthRand uint64

func (r *synthRand) next() uint64 {
	*r += 0x9e3779b97f4a7c15
	z := uint64(*r)
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// noise is roughly normal, mean 0, in feature units (sum of four
// uniforms in ±spread/4 each).
func (r *synthRand) noise(spread int64) int64 {
	var s int64
	for range 4 {
		s += int64(r.next()%uint64(spread/2+1)) - spread/4
	}
	return s
}

// blobs makes n examples of 4 unbalanced classes (40/30/20/10 %) around
// distinct centres in 6 dimensions, with noise that makes the classes
// overlap: no model gets them all.
func blobs(n int, seed uint64) []Example {
	r := synthRand(seed)
	centres := [4][6]int64{{0, 0, 0, 0, 0, 0}, {3, 0, 1, 0, -2, 0}, {0, 3, -1, 2, 0, 0}, {-2, -2, 0, 0, 2, 3}}
	var out []Example
	for range n {
		c := 0
		switch p := r.next() % 10; {
		case p < 4:
			c = 0
		case p < 7:
			c = 1
		case p < 9:
			c = 2
		default:
			c = 3
		}
		f := make([]int64, 6)
		for d := range f {
			f[d] = centres[c][d]*pdv.FeatureScale + r.noise(6*pdv.FeatureScale)
		}
		out = append(out, Example{Features: f, Label: int64(c)})
	}
	return out
}

// xor makes n points in the square (±1, ±1) labelled by whether x and y
// have the same sign: no straight line separates the classes.
func xor(n int, seed uint64) []Example {
	r := synthRand(seed)
	var out []Example
	for range n {
		x := int64(r.next()%20001) - 10000
		y := int64(r.next()%20001) - 10000
		if x > -500 && x < 500 || y > -500 && y < 500 {
			continue // a margin around the axes
		}
		label := int64(0)
		if (x > 0) == (y > 0) {
			label = 1
		}
		out = append(out, Example{Features: []int64{x, y}, Label: label})
	}
	return out
}

// TestSyntheticAccuracy trains on datasets the test makes: every kind
// must beat the majority baseline on overlapping unbalanced blobs, and the
// MLP and KNN, which are not linear, must learn XOR, which logistic
// regression cannot.
func TestSyntheticAccuracy(t *testing.T) {
	sets := []struct {
		name   string
		data   []Example
		linear bool // logistic regression can fit it
	}{
		{"blobs", blobs(600, 1), true},
		{"xor", xor(600, 2), false},
	}
	for _, s := range sets {
		train, val := split(s.data)
		base := majorityPPM(train, val)
		for _, k := range []Kind{Logistic, MLP, KNN} {
			t.Run(fmt.Sprintf("%s/%s", s.name, k), func(t *testing.T) {
				hyper := ""
				if k == MLP && !s.linear {
					hyper = "hidden=16,epochs=200,lr=0.2"
				}
				m := mustTrain(t, k, hyper, tabular, train)
				again := mustTrain(t, k, hyper, tabular, train)
				if m.Commitment() != again.Commitment() {
					t.Fatal("two trainings on the same data gave different weights")
				}
				acc := m.Accuracy(val)
				t.Logf("%s %s: accuracy %d ppm, majority baseline %d ppm", s.name, k, acc, base)
				switch {
				case k == Logistic && !s.linear:
					if acc > base+200_000 {
						t.Errorf("logistic regression scored %d ppm on XOR; no line separates it (baseline %d)", acc, base)
					}
				case acc < base+250_000:
					t.Errorf("accuracy %d ppm: want at least the baseline %d + 250000", acc, base)
				}
			})
		}
	}
}
