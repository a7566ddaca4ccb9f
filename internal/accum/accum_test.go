package accum

import (
	"math/big"
	"testing"

	"github.com/holiman/uint256"
)

// TestSpreadIsExact: after spreading amounts over shares, acc·shares +
// remainder equals the sum of amount·Scale spread, exactly.
func TestSpreadIsExact(t *testing.T) {
	acc, rem := uint256.NewInt(0), uint256.NewInt(0)
	const shares = 7
	total := new(big.Int)
	for _, x := range []uint64{1, 2, 3, 1_000_000, 999_999_999_999, 5} {
		var ok bool
		acc, rem, ok = Spread(acc, rem, uint256.NewInt(x), shares)
		if !ok {
			t.Fatalf("spread %d refused", x)
		}
		total.Add(total, new(big.Int).Mul(new(big.Int).SetUint64(x), big.NewInt(Scale)))
		got := new(big.Int).Add(new(big.Int).Mul(acc.ToBig(), big.NewInt(shares)), rem.ToBig())
		if got.Cmp(total) != 0 {
			t.Fatalf("after %d: acc·shares + remainder = %s, want %s", x, got, total)
		}
		if !rem.Lt(uint256.NewInt(shares)) {
			t.Fatalf("remainder %s not below shares", rem)
		}
	}
}

func TestSpreadRefusesOverflow(t *testing.T) {
	near := new(uint256.Int).Sub(MaxAcc, uint256.NewInt(1))
	if _, _, ok := Spread(near, uint256.NewInt(0), uint256.NewInt(1), 1); ok {
		t.Fatal("an accumulator past MaxAcc was accepted")
	}
	huge := new(uint256.Int).Lsh(uint256.NewInt(1), 250)
	if _, _, ok := Spread(uint256.NewInt(0), uint256.NewInt(0), huge, 1); ok {
		t.Fatal("an amount overflowing 256 bits when scaled was accepted")
	}
}

func TestMulBpsAndDecimal(t *testing.T) {
	if got := MulBps(^uint64(0), 10000); got != ^uint64(0) {
		t.Fatalf("MulBps(max, 10000) = %d", got)
	}
	if got := MulBps(10001, 3333); got != 3333 {
		t.Fatalf("MulBps(10001, 3333) = %d, want 3333", got)
	}
	if Decimal("t", "x", "123").Uint64() != 123 {
		t.Fatal("Decimal 123")
	}
	for _, bad := range []string{"", "01", "-1", "1e3", " 1"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Decimal(%q) did not panic", bad)
				}
			}()
			Decimal("t", "x", bad)
		}()
	}
}
