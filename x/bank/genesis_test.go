package bank_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/store"
	"github.com/lazchain/lazchain/x/bank"
)

func TestGenesis(t *testing.T) {
	const a1, a2 = "0x1111111111111111111111111111111111111111", "0x2222222222222222222222222222222222222222"
	for _, c := range []struct {
		name, in, err string
		supply        uint64
	}{
		{"two accounts", `{"balances":[{"address":"` + a1 + `","amount":"5"},{"address":"` + a2 + `","amount":"7"}]}`, "", 12},
		{"empty", `{"balances":[]}`, "", 0},
		{"duplicate", `{"balances":[{"address":"` + a1 + `","amount":"5"},{"address":"` + a1 + `","amount":"7"}]}`, "listed twice", 0},
		{"overflow", `{"balances":[{"address":"` + a1 + `","amount":"18446744073709551615"},{"address":"` + a2 + `","amount":"1"}]}`, "add up to more", 0},
		{"bad amount", `{"balances":[{"address":"` + a1 + `","amount":"1.5"}]}`, "decimal integer", 0},
		{"bad address", `{"balances":[{"address":"0x12","amount":"1"}]}`, "40 hex digits", 0},
		{"misspelt field", `{"balance":[]}`, "unknown field", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := chain.NewContext(store.NewCache(store.NewMemTree().Working()), "c", 0, time.Time{}, chain.ModeDeliver, nil)
			m := bank.Module{}
			err := m.InitGenesis(ctx, []byte(c.in))
			if c.err != "" {
				if !errors.Is(err, bank.ErrInvalidGenesis) || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("got %v, want an invalid-genesis error saying %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := m.Keeper.Supply(ctx); got != c.supply {
				t.Fatalf("supply %d, want %d", got, c.supply)
			}
			for _, inv := range m.Invariants() {
				if err := inv.Check(ctx); err != nil {
					t.Fatal(err)
				}
			}
			out, err := m.ExportGenesis(ctx)
			if err != nil {
				t.Fatal(err)
			}
			ctx2 := chain.NewContext(store.NewCache(store.NewMemTree().Working()), "c", 0, time.Time{}, chain.ModeDeliver, nil)
			if err := m.InitGenesis(ctx2, out); err != nil || m.Keeper.Supply(ctx2) != c.supply {
				t.Fatalf("export does not re-import: %v", err)
			}
		})
	}
}
