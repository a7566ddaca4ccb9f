package e2e

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/lazchain/lazchain/client"
	"github.com/lazchain/lazchain/codes"
	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/auth"
	"github.com/lazchain/lazchain/x/bank"
)

// TestBadTxsAreRefused sends bad txs to a running devnet over RPC, each
// built by hand so that no client-side check stops it first, and checks
// that CheckTx refuses each with its registered (codespace, code), before
// any block, with a message that names the problem; that none of them ever
// reaches a block; and that afterwards every nonce, the pending nonce and
// every balance are as they were, and a good tx still commits.
//
// The exact bytes of a committed tx never reach CheckTx: CometBFT's mempool
// cache refuses them first, which the SDK reports as client.ErrAlreadySeen.
// The same nonce in new bytes is what reaches CheckTx and gets
// auth.ErrNonceUsed.
func TestBadTxsAreRefused(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	d := newDevnet(t, true)
	d.start(ctx)
	c := d.client
	chainID := d.banner.ChainID

	const gas = 100_000
	fee := minFee(ctx, t, c, gas)
	poor := tx.DeterministicKey("e2e/badtx/poor") // never funded
	tiny := tx.DeterministicKey("e2e/badtx/tiny") // funded with less than a fee
	tinyFunds := fee / 2
	if tinyFunds == 0 {
		t.Fatalf("the minimum fee for %d gas is %d ulaz: too small to leave an account short of it", gas, fee)
	}

	// A committed tx (the one to replay), which also funds tiny.
	replay, err := c.BuildTx(ctx, alice, []proto.Message{client.SendMsg(alice.Address(), tiny.Address(), tinyFunds)}, client.TxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	replayHash, err := c.Broadcast(ctx, replay)
	if err != nil {
		t.Fatal(err)
	}
	replayed, err := c.WaitTx(ctx, replayHash)
	if err != nil || replayed.Code != 0 {
		t.Fatalf("fund %s: %+v, %v", tiny.Address(), replayed, err)
	}

	before := snapshotAccounts(ctx, t, c, alice.Address(), tiny.Address(), poor.Address())
	next := before.nonces[alice.Address()]
	aliceBalance := before.balance(alice.Address())
	sign := func(key *tx.PrivateKey, chain string, nonce uint64, msgs ...proto.Message) []byte {
		t.Helper()
		anys, err := tx.PackMsgs(msgs...)
		if err != nil {
			t.Fatal(err)
		}
		body := &tx.TxBody{Nonce: nonce, Fee: &tx.Fee{Amount: tx.FormatBaseUnits(fee), GasLimit: gas}, Messages: anys}
		raw, err := tx.Sign(key, chain, body)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	send := func(from *tx.PrivateKey, amount uint64) proto.Message {
		return client.SendMsg(from.Address(), bob.Address(), amount)
	}
	const tooBig = "18446744073709551616" // 2^64
	cases := []struct {
		name string
		raw  []byte
		want error    // a registered *codes.Error, or an SDK error
		says []string // the refusal's message must contain each
	}{
		{"garbage bytes", []byte("this is not a LazChain tx"), tx.ErrMalformed,
			[]string{"not a LazChain tx"}},
		{"signed for another chain", sign(alice, "other-chain", next, send(alice, 1)), tx.ErrWrongChain,
			[]string{`"other-chain"`, `"` + chainID + `"`}},
		{"flipped signature byte, no key recovers", flipSignatureByte(t, chainID, sign(alice, chainID, next, send(alice, 1)), false),
			tx.ErrBadSignature, []string{"signature"}},
		{"flipped signature byte, another key recovers", flipSignatureByte(t, chainID, sign(alice, chainID, next, send(alice, 1)), true),
			tx.ErrBadSignature, []string{"signature", "not by the signer " + alice.Address().String()}},
		{"replay of a committed tx", replay, client.ErrAlreadySeen,
			[]string{"already seen"}},
		{"used nonce, new bytes", sign(alice, chainID, next-1, send(alice, 2)), auth.ErrNonceUsed,
			[]string{fmt.Sprintf("nonce %d", next-1), "already used", fmt.Sprintf("next nonce is %d", next)}},
		{"skipped nonce", sign(alice, chainID, next+5, send(alice, 1)), auth.ErrNonceAhead,
			[]string{fmt.Sprintf("nonce %d", next+5), "ahead", fmt.Sprintf("next nonce is %d", next)}},
		{"fee from an empty account", sign(poor, chainID, 0, send(poor, 1)), auth.ErrCannotPayFee,
			[]string{poor.Address().String(), "has 0 ulaz", "cannot pay the fee", fmt.Sprintf("%d ulaz", fee)}},
		{"fee above a tiny balance", sign(tiny, chainID, 0, send(tiny, 1)), auth.ErrCannotPayFee,
			[]string{tiny.Address().String(), fmt.Sprintf("has %d ulaz", tinyFunds), "cannot pay the fee"}},
		{"amount above the balance", sign(alice, chainID, next, send(alice, aliceBalance)), bank.ErrInsufficientFunds,
			[]string{alice.Address().String(), "cannot send", tx.FormatBaseUnits(aliceBalance)}},
		{"amount overflows uint64", sign(alice, chainID, next,
			&bank.MsgSend{From: alice.Address().String(), To: bob.Address().String(), Amount: tooBig}), bank.ErrOverflow,
			[]string{tooBig, "overflows"}},
		{"malformed recipient", sign(alice, chainID, next,
			&bank.MsgSend{From: alice.Address().String(), To: "0x1234", Amount: "1"}), bank.ErrInvalidAddress,
			[]string{"recipient", `"0x1234"`}},
	}

	var refused []string // hashes of txs that must never reach a block
	for _, tc := range cases {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			h := tx.Hash(tc.raw)
			wantHash := strings.ToUpper(hex.EncodeToString(h[:]))
			hash, err := c.Broadcast(ctx, tc.raw)
			if hash != wantHash {
				t.Errorf("Broadcast says hash %s, want %s", hash, wantHash)
			}
			if !bytes.Equal(tc.raw, replay) {
				refused = append(refused, wantHash)
			}
			if err == nil {
				t.Fatalf("accepted into the mempool; want refused with %s", describe(tc.want))
			}
			reg, registered := tc.want.(*codes.Error)
			if !registered {
				if !errors.Is(err, tc.want) {
					t.Fatalf("refused with %q, want %s", err, describe(tc.want))
				}
				for _, s := range tc.says {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("message %q does not say %q", err, s)
					}
				}
				t.Logf("%v", err)
				return
			}
			var te *client.TxError
			if !errors.As(err, &te) {
				t.Fatalf("refused with %T %q, not a *client.TxError; want %s", err, err, describe(tc.want))
			}
			if !errors.Is(err, reg) {
				got := "unregistered"
				if e, ok := codes.Lookup(te.Codespace, te.Code); ok {
					got = e.Desc
				}
				t.Fatalf("refused with %s/%d (%s), want %s: %s", te.Codespace, te.Code, got, describe(reg), te.Log)
			}
			if te.Height != 0 || te.Hash != wantHash {
				t.Errorf("refusal says height %d, hash %s; want height 0 (no block), hash %s", te.Height, te.Hash, wantHash)
			}
			for _, s := range tc.says {
				if !strings.Contains(te.Log, s) {
					t.Errorf("message %q does not say %q", te.Log, s)
				}
			}
			t.Logf("%s/%d: %s", te.Codespace, te.Code, te.Log)
		})
	}

	// Two blocks later, nothing refused is in a block, the replayed tx is
	// still only where it was, and the state is as it was.
	st, err := c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	waitHeight(ctx, t, c, st.LatestHeight+2)
	for _, hash := range refused {
		if r, err := c.Tx(ctx, hash); !errors.Is(err, client.ErrTxNotFound) {
			t.Errorf("refused tx %s: found %+v, %v; want client.ErrTxNotFound", hash, r, err)
		}
	}
	if r, err := c.Tx(ctx, replayHash); err != nil || r.Height != replayed.Height {
		t.Errorf("replayed tx %s: %+v, %v; want it at height %d only", replayHash, r, err, replayed.Height)
	}
	after := snapshotAccounts(ctx, t, c, alice.Address(), tiny.Address(), poor.Address())
	before.diff(t, after)

	// The refusals left nothing behind in the mempool's state: a good tx at
	// the nonce they were refused at commits.
	r, err := c.Send(ctx, alice, bob.Address(), 1, client.TxOptions{})
	if err != nil {
		t.Fatalf("a good transfer after the refusals: %v", err)
	}
	if r.Nonce != next {
		t.Errorf("the good transfer after the refusals has nonce %d, want %d", r.Nonce, next)
	}
}

// flipSignatureByte returns the tx with one byte of its signature's r
// flipped, canonically re-encoded: the first such byte with which no key
// recovers from the signature, or (recovers) with which another key does.
func flipSignatureByte(t *testing.T, chainID string, raw []byte, recovers bool) []byte {
	t.Helper()
	var signed tx.Tx
	if err := proto.Unmarshal(raw, &signed); err != nil {
		t.Fatal(err)
	}
	digest := tx.SignDigest(chainID, signed.Body)
	for i := range 32 {
		sig := bytes.Clone(signed.Signature)
		sig[i] ^= 0x01
		if _, err := tx.RecoverAddress(digest, sig); (err == nil) != recovers {
			continue
		}
		out, err := proto.MarshalOptions{Deterministic: true}.Marshal(&tx.Tx{Body: signed.Body, Signature: sig})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	t.Fatalf("no flip of a byte of r gives a signature that recovers=%v", recovers)
	return nil
}

// describe names an expected error for failure messages.
func describe(err error) string {
	if e, ok := err.(*codes.Error); ok {
		return fmt.Sprintf("%s/%d (%s)", e.Codespace, e.Code, e.Desc)
	}
	return fmt.Sprintf("%q", err)
}

// accounts is a snapshot of the chain's accounts: nonces and pending nonces
// of some, and every balance and the supply.
type accounts struct {
	nonces   map[tx.Address]uint64
	pending  map[tx.Address]uint64
	balances map[tx.Address]string
	supply   uint64
}

func snapshotAccounts(ctx context.Context, t *testing.T, c *client.Client, addrs ...tx.Address) *accounts {
	t.Helper()
	a := &accounts{nonces: map[tx.Address]uint64{}, pending: map[tx.Address]uint64{}, balances: map[tx.Address]string{}}
	var h int64
	a.supply, h = supplyAt(ctx, t, c, 0)
	for _, b := range balancesAt(ctx, t, c, h) {
		a.balances[b.Address] = b.Amount
	}
	for _, addr := range addrs {
		acct, _, err := c.Account(ctx, addr, h)
		if err != nil {
			t.Fatalf("account %s: %v", addr, err)
		}
		a.nonces[addr] = acct.Nonce
		if a.pending[addr], err = c.PendingNonce(ctx, addr); err != nil {
			t.Fatalf("pending nonce of %s: %v", addr, err)
		}
	}
	return a
}

func (a *accounts) balance(addr tx.Address) uint64 {
	v, _ := tx.ParseBaseUnits(a.balances[addr])
	return v
}

// diff reports every difference between a and b.
func (a *accounts) diff(t *testing.T, b *accounts) {
	t.Helper()
	for addr, n := range a.nonces {
		if b.nonces[addr] != n {
			t.Errorf("%s: nonce %d, was %d", addr, b.nonces[addr], n)
		}
		if b.pending[addr] != a.pending[addr] {
			t.Errorf("%s: pending nonce %d, was %d", addr, b.pending[addr], a.pending[addr])
		}
	}
	for addr, v := range a.balances {
		if b.balances[addr] != v {
			t.Errorf("%s: balance %q ulaz, was %q", addr, b.balances[addr], v)
		}
	}
	for addr, v := range b.balances {
		if _, ok := a.balances[addr]; !ok {
			t.Errorf("%s: balance %s ulaz, had none", addr, v)
		}
	}
	if a.supply != b.supply {
		t.Errorf("supply %d ulaz, was %d", b.supply, a.supply)
	}
}
