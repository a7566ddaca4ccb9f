package app_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/lazchain/lazchain/app/apptest"
	"github.com/lazchain/lazchain/store"
	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/bank"
)

// ledger is an independent model of what the chain should hold: balances,
// nonces and the fee collector, computed from the rules rather than by the
// app's code.
type ledger struct {
	bal   map[tx.Address]uint64
	nonce map[tx.Address]uint64
}

func (l *ledger) apply(s spec) (ok, paid bool) {
	from := s.key.Address()
	if s.corrupt || s.nonce != l.nonce[from] || s.fee < apptest.MinFee || l.bal[from] < s.fee {
		return false, false
	}
	l.bal[from] -= s.fee
	l.bal[bank.FeeCollector] += s.fee
	l.nonce[from]++
	// Messages apply all or nothing.
	trial := map[tx.Address]uint64{}
	get := func(a tx.Address) uint64 {
		if v, ok := trial[a]; ok {
			return v
		}
		return l.bal[a]
	}
	for _, m := range s.sends {
		if m.amount == 0 || m.badTo || get(from) < m.amount {
			return false, true
		}
		trial[from] = get(from) - m.amount
		trial[m.to] = get(m.to) + m.amount
	}
	for a, v := range trial {
		l.bal[a] = v
	}
	return true, true
}

type sendSpec struct {
	to     tx.Address
	amount uint64
	badTo  bool
}

type spec struct {
	key     *tx.PrivateKey
	nonce   uint64
	fee     uint64
	sends   []sendSpec
	corrupt bool // signature broken after signing
}

func (s spec) build(t testing.TB) []byte {
	msgs := make([]proto.Message, len(s.sends))
	for i, m := range s.sends {
		to := m.to.String()
		if m.badTo {
			to = "0xnothex"
		}
		msgs[i] = &bank.MsgSend{From: s.key.Address().String(), To: to, Amount: tx.FormatBaseUnits(m.amount)}
	}
	raw := apptest.Sign(t, s.key, apptest.TxSpec{Nonce: s.nonce, Fee: s.fee, Msgs: msgs})
	if s.corrupt {
		raw[len(raw)-5] ^= 0x40
	}
	return raw
}

// randomBlocks drives a harness with blocks of random txs, valid and not,
// chosen by next, and checks after every block that every tx succeeded or
// failed as the ledger model says and that the state equals the model. The
// app itself checks conservation (balances = supply) after every block.
func randomBlocks(t *testing.T, next func(n int) int, blocks int) {
	keys := make([]*tx.PrivateKey, 6)
	funds := map[tx.Address]uint64{}
	for i := range keys {
		keys[i] = tx.DeterministicKey(fmt.Sprintf("prop-%d", i))
		if i < 4 {
			funds[keys[i].Address()] = uint64(1+next(5)) * 1_000_000
		}
	}
	h := apptest.New(t, nil, apptest.Genesis(t, funds))
	model := &ledger{bal: map[tx.Address]uint64{}, nonce: map[tx.Address]uint64{}}
	for a, v := range funds {
		model.bal[a] = v
	}
	for b := 0; b < blocks; b++ {
		n := next(8)
		specs := make([]spec, n)
		raws := make([][]byte, n)
		// The model applies txs in block order, like the chain.
		want := make([]bool, n)
		for i := range specs {
			k := keys[next(len(keys))]
			s := spec{key: k, nonce: model.nonce[k.Address()], fee: apptest.MinFee}
			switch next(10) {
			case 0:
				s.nonce += uint64(1 + next(2)) // ahead
			case 1:
				if s.nonce > 0 {
					s.nonce-- // used
				}
			case 2:
				s.fee = uint64(next(apptest.MinFee)) // below minimum
			case 3:
				s.corrupt = true
			case 4:
				s.fee = model.bal[k.Address()] + 1 // cannot pay
			}
			for m := 0; m < 1+next(3); m++ {
				ss := sendSpec{to: keys[next(len(keys))].Address(), amount: uint64(next(3_000_000))}
				if next(12) == 0 {
					ss.badTo = true
				}
				s.sends = append(s.sends, ss)
			}
			specs[i], raws[i] = s, s.build(t)
			want[i], _ = model.apply(s)
		}
		res, _ := h.Block(raws...)
		for i, r := range res {
			if (r.Code == 0) != want[i] {
				t.Fatalf("block %d tx %d: code %d (%s), model says success=%v for %+v", h.Height, i, r.Code, r.Log, want[i], specs[i])
			}
		}
		latest := h.App.Tree().Latest()
		var sum uint64
		store.Each(latest, []byte("bank/b/"), store.PrefixEnd([]byte("bank/b/")), func(k, v []byte) bool {
			a, _ := tx.AddressFromBytes(k[len("bank/b/"):])
			if got := bank.DecodeAmount(v); got != model.bal[a] {
				t.Fatalf("block %d: %s has %d, model %d", h.Height, a, got, model.bal[a])
			}
			sum += bank.DecodeAmount(v)
			return true
		})
		var modelSum uint64
		for a, v := range model.bal {
			modelSum += v
			if v != h.Balance(a) {
				t.Fatalf("block %d: %s has %d, model %d", h.Height, a, h.Balance(a), v)
			}
		}
		if sum != modelSum || sum != bank.DecodeAmount(latest.Get(bank.SupplyStoreKey())) {
			t.Fatalf("block %d: balances %d, model %d, supply %d", h.Height, sum, modelSum, bank.DecodeAmount(latest.Get(bank.SupplyStoreKey())))
		}
		for a, n := range model.nonce {
			if got := nonce(latest, a); got != n {
				t.Fatalf("block %d: %s nonce %d, model %d", h.Height, a, got, n)
			}
		}
	}
}

func TestRandomTxSequencesKeepInvariants(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 0x1a2c))
			randomBlocks(t, r.IntN, 40)
		})
	}
}

// FuzzTxSequences lets `go test -fuzz FuzzTxSequences ./app` search for a
// sequence of txs that breaks conservation or the model.
func FuzzTxSequences(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Add(bytes.Repeat([]byte{0, 9, 200, 17}, 16))
	f.Fuzz(func(t *testing.T, choices []byte) {
		i := 0
		next := func(n int) int {
			if len(choices) == 0 {
				return 0
			}
			v := int(choices[i%len(choices)]) + i/len(choices)
			i++
			return v % n
		}
		randomBlocks(t, next, 6)
	})
}
