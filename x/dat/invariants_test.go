package dat_test

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/lazchain/lazchain/x/dat"
)

// TestInvariantsCatchCorruption breaks the state in the ways each
// invariant guards against and checks that it says so.
func TestInvariantsCatchCorruption(t *testing.T) {
	raw := func(prefix string, id uint64) []byte {
		k := []byte("dat/" + prefix)
		return binary.BigEndian.AppendUint64(k, id)
	}
	setClass := func(e *env, c *dat.Class) { e.ctx.KV().Set(raw("c/", c.Id), must(proto.Marshal(c))) }
	setToken := func(e *env, tk *dat.Token) { e.ctx.KV().Set(raw("t/", tk.Id), must(proto.Marshal(tk))) }
	for _, c := range []struct {
		name, inv, says string
		corrupt         func(e *env)
	}{
		{"a token's owed grows", "dat/revenue", "pending + remainder", func(e *env) {
			tk := e.token(1)
			tk.Owed = "1000000000000000000"
			setToken(e, tk)
		}},
		{"escrow holds more than owed", "dat/revenue", "escrow", func(e *env) {
			if err := e.bank.Send(e.ctx, payer, dat.Escrow, 1); err != nil {
				t.Fatal(err)
			}
		}},
		{"claimed above distributed", "dat/revenue", "exceeds distributed", func(e *env) {
			cl := e.classOf(1)
			cl.Claimed = "31"
			setClass(e, cl)
		}},
		{"total share off", "dat/shares", "total share 4", func(e *env) {
			cl := e.classOf(1)
			cl.TotalShare++
			setClass(e, cl)
		}},
		{"a token counted twice", "dat/shares", "tokens 3", func(e *env) {
			cl := e.classOf(1)
			cl.Tokens++
			setClass(e, cl)
		}},
		{"depth off", "dat/lineage", "stored depth 3", func(e *env) {
			cl := e.classOf(4)
			cl.Depth = 3
			setClass(e, cl)
		}},
		{"a cycle written behind the module's back", "dat/lineage", "class 1", func(e *env) {
			cl := e.classOf(1)
			cl.Parents = []*dat.Parent{{Class: 4}}
			setClass(e, cl)
			e.ctx.KV().Set(append(raw("ch/", 4), raw("", 1)[4:]...), []byte{1})
		}},
		{"a missing parent", "dat/lineage", "parent class 9 does not exist", func(e *env) {
			cl := e.classOf(4)
			cl.Parents = append(cl.Parents, &dat.Parent{Class: 9})
			setClass(e, cl)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			fixture(e)
			e.class(&dat.Parent{Class: 1, SplitBps: 5000}) // class 3
			e.class(&dat.Parent{Class: 3, SplitBps: 5000}) // class 4, depth 2
			e.settle(4, 30)
			e.must(&dat.MsgClaim{From: bob.String(), Token: 2})
			e.checkInvariants()
			c.corrupt(e)
			for _, inv := range e.m.Invariants() {
				err := inv.Check(e.ctx)
				if inv.Name == c.inv {
					if err == nil || !strings.Contains(err.Error(), c.says) {
						t.Fatalf("%s: got %v, want an error saying %q", inv.Name, err, c.says)
					}
				}
			}
		})
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

func TestSettleRevenueKeeper(t *testing.T) {
	e := newEnv(t)
	fixture(e)
	if err := e.k.SettleRevenue(e.ctx, payer, 1, 0); !errors.Is(err, dat.ErrInvalidAmount) {
		t.Fatalf("zero: %v", err)
	}
	if err := e.k.SettleRevenue(e.ctx, payer, 9, 1); !errors.Is(err, dat.ErrNotFound) {
		t.Fatalf("missing class: %v", err)
	}
	if err := e.k.SettleRevenue(e.ctx, carol, 1, 1); err == nil {
		t.Fatal("a payer without funds settled")
	}
	if _, err := e.k.Pending(e.ctx, 9); !errors.Is(err, dat.ErrNotFound) {
		t.Fatalf("pending of a missing token: %v", err)
	}
	if e.m.Name() != "dat" {
		t.Fatal(e.m.Name())
	}
}
