package app_test

import (
	"encoding/json"
	"fmt"
	"math/big"
	"math/rand/v2"
	"strconv"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	"google.golang.org/protobuf/proto"

	"github.com/lazchain/lazchain/app/apptest"
	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/bank"
	"github.com/lazchain/lazchain/x/dat"
	"github.com/lazchain/lazchain/x/idao"
)

// revenueModel is an independent, exact model of DAT revenue: every
// token's entitlement as a rational number of ulaz, computed from the
// standard's rules (revenue splits pro rata to the share ratios of the
// unexpired tokens, lineage splits go up first, revenue that finds no
// holders waits for the next settlement). The chain's integer accumulator
// must pay each token the floor of its exact entitlement, or 1 ulaz less
// where the exact value sits a hair above an integer, and never more.
type revenueModel struct {
	classes map[uint64]*modelClass
	tokens  map[uint64]*modelToken
	nextTok uint64
	paid    uint64 // every ulaz paid into settleRevenue
	claimed uint64 // every ulaz paid out by claims
}

type modelClass struct {
	parents     []*dat.Parent
	unallocated *big.Rat
}

type modelToken struct {
	class, value, share, expireAt uint64
	owner                         tx.Address
	expired                       bool
	pending                       *big.Rat // exact, unclaimed
}

func (m *revenueModel) activeShare(class uint64) uint64 {
	var s uint64
	for _, t := range m.tokens {
		if t.class == class && !t.expired {
			s += t.share
		}
	}
	return s
}

// settle credits x ulaz to class, splitting it up the lineage first.
func (m *revenueModel) settle(class, x uint64) {
	c := m.classes[class]
	rest := x
	for _, p := range c.parents {
		part := x * uint64(p.SplitBps) / 10000
		rest -= part
		m.settle(p.Class, part)
	}
	s := m.activeShare(class)
	if s == 0 {
		c.unallocated.Add(c.unallocated, new(big.Rat).SetUint64(rest))
		return
	}
	amount := new(big.Rat).Add(c.unallocated, new(big.Rat).SetUint64(rest))
	c.unallocated = new(big.Rat)
	for _, t := range m.tokens {
		if t.class == class && !t.expired && t.share > 0 {
			part := new(big.Rat).Mul(amount, big.NewRat(int64(t.share), int64(s)))
			t.pending.Add(t.pending, part)
		}
	}
}

// expire marks the tokens whose expiry height has come, at the start of
// block h, as the chain does.
func (m *revenueModel) expire(h uint64) {
	for _, t := range m.tokens {
		if t.expireAt != 0 && h >= t.expireAt {
			t.expired = true
		}
	}
}

func floorRat(r *big.Rat) uint64 {
	q := new(big.Int).Quo(r.Num(), r.Denom())
	return q.Uint64()
}

// randomDATBlocks drives random DAT messages, valid and not, through real
// blocks; the harness checks every module's invariants after each block
// (bank conservation, the dat revenue equation, total shares, lineage, the
// iDAO counts), and the model checks values, shares, entitlements and
// that every ulaz paid in is claimed or still held.
func randomDATBlocks(t *testing.T, next func(n int) int, blocks int) {
	keys := make([]*tx.PrivateKey, 4)
	funds := map[tx.Address]uint64{}
	for i := range keys {
		keys[i] = tx.DeterministicKey(fmt.Sprintf("datprop-%d", i))
		funds[keys[i].Address()] = 1 << 50
	}
	admin := keys[0]
	// Class 1 and 2 are roots; 3 derives from both; 4 from 3.
	parents := map[uint64][]*dat.Parent{
		3: {{Class: 1, SplitBps: 2500}, {Class: 2, SplitBps: 3333}},
		4: {{Class: 3, SplitBps: 5000}},
	}
	dg := dat.Genesis{}
	model := &revenueModel{classes: map[uint64]*modelClass{}, tokens: map[uint64]*modelToken{}, nextTok: 1}
	for c := uint64(1); c <= 4; c++ {
		gc := dat.GenesisClass{IDAO: 1, Creator: admin.Address().String(), Name: fmt.Sprint("class ", c), IntegrityHash: fmt.Sprintf("%064x", c)}
		for _, p := range parents[c] {
			gc.Parents = append(gc.Parents, dat.GenesisParent{Class: p.Class, SplitBps: p.SplitBps})
		}
		dg.Classes = append(dg.Classes, gc)
		model.classes[c] = &modelClass{parents: parents[c], unallocated: new(big.Rat)}
	}
	var bg bank.Genesis
	for a, v := range funds {
		bg.Balances = append(bg.Balances, bank.Balance{Address: a, Amount: tx.FormatBaseUnits(v)})
	}
	ig := idao.Genesis{IDAOs: []idao.GenesisIDAO{{Name: "prop", Creator: admin.Address().String()}}}
	state, err := json.Marshal(map[string]any{"bank": bg, "idao": ig, "dat": dg})
	if err != nil {
		t.Fatal(err)
	}
	h := apptest.New(t, nil, state)

	tokenIDs := func() []uint64 {
		ids := make([]uint64, 0, len(model.tokens))
		for id := uint64(1); id < model.nextTok; id++ {
			if _, ok := model.tokens[id]; ok {
				ids = append(ids, id)
			}
		}
		return ids
	}
	pick := func() (uint64, *modelToken) {
		ids := tokenIDs()
		if len(ids) == 0 {
			return 0, nil
		}
		id := ids[next(len(ids))]
		return id, model.tokens[id]
	}
	keyOf := func(a tx.Address) *tx.PrivateKey {
		for _, k := range keys {
			if k.Address() == a {
				return k
			}
		}
		return keys[0]
	}

	for b := 0; b < blocks; b++ {
		height := uint64(h.Height + 1)
		model.expire(height)
		// One tx per block keeps the model's order trivially the chain's.
		var k *tx.PrivateKey
		var msg proto.Message
		want := -1 // 1: must succeed, 0: must fail, -1: either
		var apply func(events []abci.Event)
		switch op := next(9); op {
		case 0, 1: // mint
			class := uint64(1 + next(4))
			to := keys[next(len(keys))].Address()
			value, share := uint64(next(100)), uint64(next(6))
			var exp uint64
			if next(4) == 0 {
				exp = height + uint64(1+next(6))
			}
			k, msg = admin, &dat.MsgMint{From: admin.Address().String(), Class: class, To: to.String(), Value: value, ShareRatio: share, ExpireAtHeight: exp}
			if value == 0 && share == 0 {
				want = 0
				break
			}
			want = 1
			apply = func([]abci.Event) {
				model.tokens[model.nextTok] = &modelToken{class: class, owner: to, value: value, share: share, expireAt: exp, pending: new(big.Rat)}
				model.nextTok++
			}
		case 2, 3: // settle
			class := uint64(1 + next(4))
			amount := uint64(1 + next(2_000_000))
			k = keys[next(len(keys))]
			msg, want = &dat.MsgSettleRevenue{From: k.Address().String(), Class: class, Amount: tx.FormatBaseUnits(amount)}, 1
			apply = func([]abci.Event) {
				model.settle(class, amount)
				model.paid += amount
			}
		case 4: // claim, by the owner or by someone else
			id, tok := pick()
			if tok == nil {
				continue
			}
			k = keyOf(tok.owner)
			if next(4) == 0 {
				k = keys[next(len(keys))]
			}
			msg = &dat.MsgClaim{From: k.Address().String(), Token: id}
			switch {
			case k.Address() != tok.owner, floorRat(tok.pending) == 0:
				want = 0
			case floorRat(tok.pending) >= 2:
				want = 1
			}
			apply = func(events []abci.Event) { model.applyClaims(t, events) }
		case 5: // claimAll never fails
			k = keys[next(len(keys))]
			msg, want = &dat.MsgClaimAll{From: k.Address().String()}, 1
			apply = func(events []abci.Event) { model.applyClaims(t, events) }
		case 6: // transferValue within a class or across
			fromID, from := pick()
			toID, to := pick()
			if from == nil {
				continue
			}
			k = keyOf(from.owner)
			v := uint64(1 + next(60))
			msg = &dat.MsgTransferValue{From: k.Address().String(), FromToken: fromID, ToToken: toID, Value: v}
			if from.class != to.class || fromID == toID || from.expired || to.expired || v > from.value {
				want = 0
				break
			}
			want = 1
			apply = func([]abci.Event) { from.value -= v; to.value += v }
		case 7: // recordUsage by the owner
			id, tok := pick()
			if tok == nil {
				continue
			}
			k = keyOf(tok.owner)
			v := uint64(1 + next(60))
			msg = &dat.MsgRecordUsage{From: k.Address().String(), Token: id, Metric: "inference", Amount: v}
			if tok.expired || v > tok.value {
				want = 0
				break
			}
			want = 1
			apply = func([]abci.Event) { tok.value -= v }
		case 8: // split off part of a token
			id, tok := pick()
			if tok == nil {
				continue
			}
			k = keyOf(tok.owner)
			v, s := uint64(next(int(tok.value)+1)), uint64(next(int(tok.share)+1))
			msg = &dat.MsgSplit{From: k.Address().String(), Token: id, Value: v, ShareRatio: s}
			if tok.expired || (v == 0 && s == 0) || (v == tok.value && s == tok.share) {
				want = 0
				break
			}
			want = 1
			apply = func([]abci.Event) {
				tok.value -= v
				tok.share -= s
				model.tokens[model.nextTok] = &modelToken{class: tok.class, owner: tok.owner, value: v, share: s, expireAt: tok.expireAt, pending: new(big.Rat)}
				model.nextTok++
			}
		}
		raw := apptest.Sign(t, k, apptest.TxSpec{Nonce: h.Nonce(k.Address()), Fee: apptest.ExecGas / 100, GasLimit: apptest.ExecGas, Msgs: []proto.Message{msg}})
		res, _ := h.Block(raw)
		r := res[0]
		if want == 1 && r.Code != 0 || want == 0 && r.Code == 0 {
			t.Fatalf("block %d: %T %v: code %d (%s) %q, model expected success=%v", h.Height, msg, msg, r.Code, r.Codespace, r.Log, want == 1)
		}
		if r.Code == 0 && apply != nil {
			apply(r.Events)
		}
		model.check(t, h)
	}
}

// applyClaims books the claims a tx's events report, checking each against
// the exact entitlement.
func (m *revenueModel) applyClaims(t *testing.T, events []abci.Event) {
	t.Helper()
	for _, e := range events {
		if e.Type != "dat_claim" {
			continue
		}
		var id, amount uint64
		for _, a := range e.Attributes {
			switch a.Key {
			case "token":
				id, _ = strconv.ParseUint(a.Value, 10, 64)
			case "amount":
				amount, _ = strconv.ParseUint(a.Value, 10, 64)
			}
		}
		tok := m.tokens[id]
		if exact := floorRat(tok.pending); amount > exact || amount+1 < exact {
			t.Fatalf("token %d claimed %d ulaz; its exact entitlement is %s", id, amount, tok.pending.FloatString(6))
		}
		tok.pending.Sub(tok.pending, new(big.Rat).SetUint64(amount))
		m.claimed += amount
	}
}

// check compares the chain with the model after a block.
func (m *revenueModel) check(t *testing.T, h *apptest.Harness) {
	t.Helper()
	var pendingSum uint64
	for id, tok := range m.tokens {
		var r dat.QueryTokenResponse
		h.QueryJSON("/dat/token", dat.TokenQuery{ID: id}, &r)
		if r.Token.Value != tok.value || r.Token.ShareRatio != tok.share || r.Token.Owner != tok.owner.String() {
			t.Fatalf("height %d: token %d is value %d share %d owner %s; model %d %d %s", h.Height, id,
				r.Token.Value, r.Token.ShareRatio, r.Token.Owner, tok.value, tok.share, tok.owner)
		}
		p, _ := strconv.ParseUint(r.Pending, 10, 64)
		if exact := floorRat(tok.pending); p > exact || p+1 < exact {
			t.Fatalf("height %d: token %d has %d ulaz pending; the exact entitlement is %s", h.Height, id, p, tok.pending.FloatString(6))
		}
		pendingSum += p
	}
	var unallocated uint64
	for c, mc := range m.classes {
		var r dat.QueryClassResponse
		h.QueryJSON("/dat/class", dat.ClassQuery{ID: c}, &r)
		if s := m.activeShare(c); r.Class.TotalShare != s {
			t.Fatalf("height %d: class %d total share %d, model %d", h.Height, c, r.Class.TotalShare, s)
		}
		unallocated += floorRat(mc.unallocated)
	}
	// Revenue conservation: everything paid in is claimed or still held by
	// the escrow; what is held is the pending revenue plus a carried
	// remainder: the revenue waiting for holders and under 1 ulaz of
	// rounding per token and per class.
	escrow := h.Balance(dat.Escrow)
	if m.paid != m.claimed+escrow {
		t.Fatalf("height %d: paid in %d != claimed %d + held %d", h.Height, m.paid, m.claimed, escrow)
	}
	if escrow < pendingSum {
		t.Fatalf("height %d: escrow %d holds less than the pending %d", h.Height, escrow, pendingSum)
	}
	carried := escrow - pendingSum
	if carried < unallocated || carried > unallocated+2*uint64(len(m.tokens))+uint64(len(m.classes)) {
		t.Fatalf("height %d: carried remainder %d out of bounds (unallocated %d, %d tokens)", h.Height, carried, unallocated, len(m.tokens))
	}
}

func TestRandomDATSequencesKeepInvariants(t *testing.T) {
	for seed := uint64(1); seed <= 4; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 0xda7))
			randomDATBlocks(t, r.IntN, 150)
		})
	}
}

// FuzzDATSequences lets `go test -fuzz FuzzDATSequences ./app` search for
// a sequence of DAT messages that breaks an invariant or the model.
func FuzzDATSequences(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Add([]byte{0, 0, 9, 3, 200, 2, 2, 17, 5, 4, 4, 8, 6})
	f.Fuzz(func(t *testing.T, choices []byte) {
		i := 0
		next := func(n int) int {
			if len(choices) == 0 || n <= 1 {
				return 0
			}
			v := int(choices[i%len(choices)]) + i/len(choices)
			i++
			return v % n
		}
		randomDATBlocks(t, next, 30)
	})
}
