package ml

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strings"
	"testing"
)

func TestDivRound(t *testing.T) {
	for _, c := range []struct{ a, b, want int64 }{
		{7, 2, 4}, {-7, 2, -4}, {5, 3, 2}, {-5, 3, -2}, {4, 3, 1}, {-4, 3, -1},
		{0, 5, 0}, {1, 3, 0}, {-1, 3, 0}, {6, 3, 2}, {1 << 61, 1 << 60, 2},
	} {
		if got := divRound(c.a, c.b); got != c.want {
			t.Errorf("divRound(%d, %d) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

func TestIsqrt(t *testing.T) {
	vals := []uint64{0, 1, 2, 3, 4, 15, 16, 17, 1 << 32, 1<<62 - 1, 1 << 62, 1<<64 - 1}
	for i := uint64(0); i < 2000; i++ {
		vals = append(vals, i*i, i*i+2*i) // squares and the values just below the next
	}
	for _, v := range vals {
		r := isqrt(v)
		// r² ≤ v < (r+1)², checked without overflow.
		if r > 1<<32-1 || r*r > v || (r+1 <= 1<<32-1 && (r+1)*(r+1) <= v) {
			t.Errorf("isqrt(%d) = %d", v, r)
		}
	}
}

// TestExpQ30 compares expQ30 with exp at points whose values are known to
// 12 digits (written as Q30 integers: round(exp(x)·2^30), from bc -l) and checks the
// documented error bound and identities.
func TestExpQ30(t *testing.T) {
	const ulp = 8 // 2^-27 in Q30 units
	for _, c := range []struct {
		x    int64 // Q30
		want int64 // round(exp(x)·2^30)
	}{
		{0, 1 << 30},
		{-(1 << 30), 395007542}, // e^-1 = 0.367879441171
		{-(1 << 29), 651257337}, // e^-0.5 = 0.606530659713
		{-(2 << 30), 145315154}, // e^-2 = 0.135335283237
		{-(10 << 30), 48748},    // e^-10 = 4.53999297625e-5
		{-ln2Q30, 1 << 29},      // e^-ln2 = 1/2
		{-(1 << 28), 836230973}, // e^-0.25 = 0.778800783071
		{-(20 << 30), 2},        // e^-20 = 2.06e-9
		{-(41 << 30), 0},        // below the cut-off
		{1 << 30, 1 << 30},      // positive input treated as 0
		{-(1 << 62), 0},         // extreme input
	} {
		got := expQ30(c.x)
		if d := got - c.want; d > ulp || d < -ulp {
			t.Errorf("expQ30(%d) = %d, want %d ± %d", c.x, got, c.want, ulp)
		}
	}
	// Monotone and exp(a+b) ≈ exp(a)·exp(b).
	prev := int64(1 << 30)
	for x := int64(0); x > -(25 << 30); x -= 1 << 24 {
		e := expQ30(x)
		if e > prev {
			t.Fatalf("expQ30 not monotone at %d: %d > %d", x, e, prev)
		}
		prev = e
		half := expQ30(x / 2)
		sq := divRound(half*half, 1<<30)
		if d := sq - e; d > 3*ulp || d < -3*ulp {
			t.Fatalf("expQ30(%d)² = %d but expQ30(%d) = %d", x/2, sq, x, e)
		}
	}
}

func TestSoftmax(t *testing.T) {
	for _, logits := range [][]int64{
		{0, 0},
		{1 << 16, 0, -(1 << 16)},
		{logitMax, -logitMax, 0},
		{5 << 16, 5 << 16, 5 << 16, 5 << 16},
	} {
		p := make([]int64, len(logits))
		softmax(logits, p)
		var sum int64
		for i, v := range p {
			if v < 0 || v > 1<<30 {
				t.Errorf("softmax(%v)[%d] = %d", logits, i, v)
			}
			sum += v
		}
		if d := sum - 1<<30; d > int64(len(p)) || d < -int64(len(p)) {
			t.Errorf("softmax(%v) sums to %d, want 2^30", logits, sum)
		}
		for i := 1; i < len(p); i++ {
			if (logits[i] > logits[i-1] && p[i] < p[i-1]) || (logits[i] < logits[i-1] && p[i] > p[i-1]) || (logits[i] == logits[i-1] && p[i] != p[i-1]) {
				t.Errorf("softmax(%v) = %v is not in the logits' order", logits, p)
			}
		}
	}
}

// TestNoFloatingPoint parses the package's non-test sources and fails on
// any floating-point type, literal or math.Float conversion.
func TestNoFloatingPoint(t *testing.T) {
	fset := token.NewFileSet()
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	var parsed []*ast.File
	for _, e := range entries {
		if name := e.Name(); strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go") {
			f, err := parser.ParseFile(fset, name, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			parsed = append(parsed, f)
		}
	}
	files := 0
	for _, f := range parsed {
		files++
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.Ident:
				switch n.Name {
				case "float32", "float64", "complex64", "complex128":
					t.Errorf("%s: floating-point type %s", fset.Position(n.Pos()), n.Name)
				}
				if strings.Contains(n.Name, "Float") {
					t.Errorf("%s: floating-point identifier %s", fset.Position(n.Pos()), n.Name)
				}
			case *ast.BasicLit:
				if n.Kind == token.FLOAT || n.Kind == token.IMAG {
					t.Errorf("%s: floating-point literal %s", fset.Position(n.Pos()), n.Value)
				}
			case *ast.ImportSpec:
				if n.Path.Value == `"math"` || n.Path.Value == `"math/big"` {
					t.Errorf("%s: import %s", fset.Position(n.Pos()), n.Path.Value)
				}
			}
			return true
		})
	}
	if files < 5 {
		t.Fatalf("parsed only %d files", files)
	}
}
