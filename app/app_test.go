package app_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/lazchain/lazchain/app/apptest"
	"github.com/lazchain/lazchain/codes"
	"github.com/lazchain/lazchain/store"
	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/auth"
	"github.com/lazchain/lazchain/x/bank"
)

var (
	alice = tx.DeterministicKey("alice")
	bob   = tx.DeterministicKey("bob")
	carol = tx.DeterministicKey("carol") // never funded
)

const aliceFunds, bobFunds = 1_000_000_000, 1_000_000

func newHarness(t *testing.T) *apptest.Harness {
	return apptest.New(t, nil, apptest.Genesis(t, map[tx.Address]uint64{
		alice.Address(): aliceFunds, bob.Address(): bobFunds,
	}))
}

func sign(t *testing.T, k tx.Signer, nonce uint64, msgs ...proto.Message) []byte {
	return apptest.Sign(t, k, apptest.TxSpec{Nonce: nonce, Fee: apptest.MinFee, Msgs: msgs})
}

func send(from, to *tx.PrivateKey, amount uint64) *bank.MsgSend {
	return apptest.Send(from.Address(), to.Address(), amount)
}

// resign replaces a tx's signature.
func withSignature(t *testing.T, raw []byte, f func(sig []byte) []byte) []byte {
	var w tx.Tx
	if err := proto.Unmarshal(raw, &w); err != nil {
		t.Fatal(err)
	}
	w.Signature = f(append([]byte(nil), w.Signature...))
	out, err := proto.MarshalOptions{Deterministic: true}.Marshal(&w)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// signBody signs an arbitrary body for alice on the harness chain.
func signBody(t *testing.T, body []byte) []byte {
	sig, err := alice.SignDigest(tx.SignDigest(apptest.ChainID, body))
	if err != nil {
		t.Fatal(err)
	}
	out, _ := proto.MarshalOptions{Deterministic: true}.Marshal(&tx.Tx{Body: body, Signature: sig})
	return out
}

func TestTxErrors(t *testing.T) {
	secp256k1N, _ := new(big.Int).SetString("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141", 16)
	cases := []struct {
		name string
		tx   func(t *testing.T) []byte
		want *codes.Error // nil: success
		// paid: the fee was taken and the nonce advanced even though the
		// messages failed.
		paid bool
		log  string // a fragment the message must contain
	}{
		{name: "send succeeds", tx: func(t *testing.T) []byte { return sign(t, alice, 0, send(alice, bob, 5)) }},
		{name: "garbage bytes", tx: func(*testing.T) []byte { return []byte("not a tx") }, want: tx.ErrMalformed, log: "not a LazChain tx"},
		{name: "empty tx", tx: func(*testing.T) []byte { return []byte{} }, want: tx.ErrMalformed},
		{name: "non-canonical wrapper", tx: func(t *testing.T) []byte {
			raw := sign(t, alice, 0, send(alice, bob, 5))
			var w tx.Tx
			proto.Unmarshal(raw, &w)
			// signature field first, then body: same content, other bytes
			b := protowire.AppendTag(nil, 2, protowire.BytesType)
			b = protowire.AppendBytes(b, w.Signature)
			b = protowire.AppendTag(b, 1, protowire.BytesType)
			return protowire.AppendBytes(b, w.Body)
		}, want: tx.ErrMalformed, log: "canonically"},
		{name: "unknown field hidden in signed body", tx: func(t *testing.T) []byte {
			raw := sign(t, alice, 0, send(alice, bob, 5))
			var w tx.Tx
			proto.Unmarshal(raw, &w)
			body := protowire.AppendTag(append([]byte(nil), w.Body...), 99, protowire.VarintType)
			body = protowire.AppendVarint(body, 1)
			return signBody(t, body)
		}, want: tx.ErrMalformed, log: "unknown fields"},
		{name: "another chain's tx", tx: func(t *testing.T) []byte {
			return apptest.Sign(t, alice, apptest.TxSpec{ChainID: "other-chain", Fee: apptest.MinFee, Msgs: []proto.Message{send(alice, bob, 5)}})
		}, want: tx.ErrWrongChain, log: `"other-chain"`},
		{name: "signature by another key", tx: func(t *testing.T) []byte {
			raw := sign(t, alice, 0, send(alice, bob, 5))
			var w tx.Tx
			proto.Unmarshal(raw, &w)
			sig, _ := bob.SignDigest(tx.SignDigest(apptest.ChainID, w.Body))
			return withSignature(t, raw, func([]byte) []byte { return sig })
		}, want: tx.ErrBadSignature, log: "not by the signer"},
		{name: "flipped signature byte", tx: func(t *testing.T) []byte {
			return withSignature(t, sign(t, alice, 0, send(alice, bob, 5)), func(s []byte) []byte { s[10] ^= 1; return s })
		}, want: tx.ErrBadSignature},
		{name: "ethereum-style v=27", tx: func(t *testing.T) []byte {
			return withSignature(t, sign(t, alice, 0, send(alice, bob, 5)), func(s []byte) []byte { s[64] += 27; return s })
		}, want: tx.ErrBadSignature, log: "subtract 27"},
		{name: "high-s malleated signature", tx: func(t *testing.T) []byte {
			return withSignature(t, sign(t, alice, 0, send(alice, bob, 5)), func(s []byte) []byte {
				hs := new(big.Int).Sub(secp256k1N, new(big.Int).SetBytes(s[32:64]))
				hs.FillBytes(s[32:64])
				s[64] ^= 1
				return s
			})
		}, want: tx.ErrBadSignature, log: "lower half"},
		{name: "truncated signature", tx: func(t *testing.T) []byte {
			return withSignature(t, sign(t, alice, 0, send(alice, bob, 5)), func(s []byte) []byte { return s[:64] })
		}, want: tx.ErrBadSignature, log: "65 bytes"},
		{name: "malformed signer address", tx: func(t *testing.T) []byte {
			any, _ := tx.PackMsgs(send(alice, bob, 5))
			body, _ := proto.Marshal(&tx.TxBody{ChainId: apptest.ChainID, Signer: "lz1notanaddress", Fee: &tx.Fee{Amount: "2000", GasLimit: 200000}, Messages: any})
			return signBody(t, body)
		}, want: tx.ErrInvalidSigner, log: "0x followed by 40 hex digits"},
		{name: "no messages", tx: func(t *testing.T) []byte { return sign(t, alice, 0) }, want: tx.ErrNoMessages},
		{name: "memo too large", tx: func(t *testing.T) []byte {
			return apptest.Sign(t, alice, apptest.TxSpec{Fee: apptest.MinFee, Memo: strings.Repeat("m", 300), Msgs: []proto.Message{send(alice, bob, 5)}})
		}, want: tx.ErrMemoTooLarge, log: "300 bytes"},
		{name: "too many messages", tx: func(t *testing.T) []byte {
			msgs := make([]proto.Message, 65)
			for i := range msgs {
				msgs[i] = send(alice, bob, 1)
			}
			return apptest.Sign(t, alice, apptest.TxSpec{Fee: 100_000, GasLimit: 10_000_000, Msgs: msgs})
		}, want: tx.ErrTooManyMsgs, log: "65 messages"},
		{name: "timed out", tx: func(t *testing.T) []byte {
			return apptest.Sign(t, alice, apptest.TxSpec{Fee: apptest.MinFee, Timeout: 1, Msgs: []proto.Message{send(alice, bob, 5)}})
		}, want: tx.ErrTimedOut, log: "valid until height 1"},
		{name: "message type no module handles", tx: func(t *testing.T) []byte {
			return sign(t, alice, 0, &tx.Fee{Amount: "1"})
		}, want: tx.ErrUnknownMsg, log: "lazchain.tx.v1.Fee"},
		{name: "message from someone else", tx: func(t *testing.T) []byte { return sign(t, alice, 0, send(bob, alice, 5)) },
			want: tx.ErrMsgSigner, log: "signed by"},
		{name: "zero gas limit", tx: func(t *testing.T) []byte {
			any, _ := tx.PackMsgs(send(alice, bob, 5))
			raw, _ := tx.Sign(alice, apptest.ChainID, &tx.TxBody{Fee: &tx.Fee{Amount: "2000"}, Messages: any})
			return raw
		}, want: tx.ErrInvalidFee, log: "gas_limit is 0"},
		{name: "fee amount not a number", tx: func(t *testing.T) []byte {
			any, _ := tx.PackMsgs(send(alice, bob, 5))
			raw, _ := tx.Sign(alice, apptest.ChainID, &tx.TxBody{Fee: &tx.Fee{Amount: "-5", GasLimit: 1000}, Messages: any})
			return raw
		}, want: tx.ErrInvalidFee},
		{name: "fee below the minimum", tx: func(t *testing.T) []byte {
			return apptest.Sign(t, alice, apptest.TxSpec{Fee: apptest.MinFee - 1, Msgs: []proto.Message{send(alice, bob, 5)}})
		}, want: auth.ErrFeeTooLow, log: "minimum 2000 ulaz"},
		{name: "replayed nonce", tx: func(t *testing.T) []byte { return sign(t, bob, 0, send(bob, alice, 5)) },
			want: auth.ErrNonceUsed, log: "next nonce is 1"},
		{name: "skipped nonce", tx: func(t *testing.T) []byte { return sign(t, alice, 3, send(alice, bob, 5)) },
			want: auth.ErrNonceAhead, log: "next nonce is 0"},
		{name: "fee the sender can't pay", tx: func(t *testing.T) []byte { return sign(t, carol, 0, send(carol, bob, 5)) },
			want: auth.ErrCannotPayFee, log: "cannot pay the fee"},
		{name: "send more than the balance", tx: func(t *testing.T) []byte { return sign(t, alice, 0, send(alice, bob, aliceFunds)) },
			want: bank.ErrInsufficientFunds, paid: true, log: "message 0"},
		{name: "recipient not an address", tx: func(t *testing.T) []byte {
			return sign(t, alice, 0, &bank.MsgSend{From: alice.Address().String(), To: "0x1234", Amount: "5"})
		}, want: bank.ErrInvalidAddress, paid: true, log: "recipient"},
		{name: "recipient with a bad checksum", tx: func(t *testing.T) []byte {
			to := bob.Address().String()
			flipped := to[:2] + strings.Map(func(r rune) rune {
				if r >= 'a' && r <= 'f' {
					return r - 32
				}
				if r >= 'A' && r <= 'F' {
					return r + 32
				}
				return r
			}, to[2:])
			return sign(t, alice, 0, &bank.MsgSend{From: alice.Address().String(), To: flipped, Amount: "5"})
		}, want: bank.ErrInvalidAddress, paid: true, log: "checksum"},
		{name: "zero amount", tx: func(t *testing.T) []byte { return sign(t, alice, 0, send(alice, bob, 0)) },
			want: bank.ErrInvalidAmount, paid: true, log: "greater than zero"},
		{name: "amount that overflows", tx: func(t *testing.T) []byte {
			return sign(t, alice, 0, &bank.MsgSend{From: alice.Address().String(), To: bob.Address().String(), Amount: "18446744073709551616"})
		}, want: bank.ErrOverflow, paid: true, log: "overflows"},
		{name: "amount with a sign", tx: func(t *testing.T) []byte {
			return sign(t, alice, 0, &bank.MsgSend{From: alice.Address().String(), To: bob.Address().String(), Amount: "-1"})
		}, want: bank.ErrInvalidAmount, paid: true},
		{name: "second message fails: the first is undone", tx: func(t *testing.T) []byte {
			return sign(t, alice, 0, send(alice, bob, 5), send(alice, bob, aliceFunds))
		}, want: bank.ErrInsufficientFunds, paid: true, log: "message 1"},
		{name: "out of gas in the messages", tx: func(t *testing.T) []byte {
			return apptest.Sign(t, alice, apptest.TxSpec{Fee: 200, GasLimit: 20_000, Msgs: []proto.Message{send(alice, bob, 5)}})
		}, want: tx.ErrOutOfGas, paid: true, log: "raise the gas limit"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			// bob's nonce 0 is used, so replays can be tried.
			if res, _ := h.Block(sign(t, bob, 0, send(bob, alice, 1))); res[0].Code != 0 {
				t.Fatalf("setup: %s", res[0].Log)
			}
			raw := c.tx(t)
			check := h.Check(raw)
			assertCode(t, "CheckTx", check.Codespace, check.Code, check.Log, c.want, c.log)

			before := h.App.Tree().Latest()
			aliceBefore, bobBefore := h.Balance(alice.Address()), h.Balance(bob.Address())
			res, _ := h.Block(raw)
			assertCode(t, "FinalizeBlock", res[0].Codespace, res[0].Code, res[0].Log, c.want, c.log)

			after := h.App.Tree().Latest()
			d, derr := tx.Decode(raw)
			switch {
			case c.want == nil:
				if h.Balance(bob.Address()) != bobBefore+5 {
					t.Fatalf("bob got %d, want %d", h.Balance(bob.Address()), bobBefore+5)
				}
			case c.paid:
				// Only the fee and the nonce changed.
				if derr != nil {
					t.Fatal(derr)
				}
				fee, _ := tx.ParseBaseUnits(d.Body.Fee.Amount)
				if got := h.Balance(alice.Address()); got != aliceBefore-fee {
					t.Fatalf("alice has %d, want %d (only the fee %d taken)", got, aliceBefore-fee, fee)
				}
				if got := h.Balance(bob.Address()); got != bobBefore {
					t.Fatalf("bob has %d, want %d", got, bobBefore)
				}
				if n := nonce(after, alice.Address()); n != 1 {
					t.Fatalf("alice nonce %d, want 1", n)
				}
			default:
				// Refused before the fee: the state is byte for byte the
				// same, but for the block's own bookkeeping (the block
				// hash compute records for attestations).
				if b, a := txState(before), txState(after); b != a {
					t.Fatalf("state changed:\nbefore %q\nafter  %q", b, a)
				}
			}
			if res[0].Code != 0 && res[0].GasWanted > 0 && res[0].GasUsed > res[0].GasWanted {
				t.Fatalf("gas used %d above wanted %d", res[0].GasUsed, res[0].GasWanted)
			}
		})
	}
}

func nonce(s *store.Snapshot, a tx.Address) uint64 {
	bz := s.Get(auth.NonceStoreKey(a))
	if bz == nil {
		return 0
	}
	return binary.BigEndian.Uint64(bz)
}

func assertCode(t *testing.T, where, space string, code uint32, log string, want *codes.Error, frag string) {
	t.Helper()
	if want == nil {
		if code != 0 {
			t.Fatalf("%s: code %s/%d: %s", where, space, code, log)
		}
		return
	}
	if space != want.Codespace || code != want.Code {
		t.Fatalf("%s: got %s/%d (%s), want %s/%d (%s)", where, space, code, log, want.Codespace, want.Code, want.Desc)
	}
	if !strings.HasPrefix(log, want.Codespace+": ") {
		t.Fatalf("%s: log %q does not name the module %q", where, log, want.Codespace)
	}
	if frag != "" && !strings.Contains(log, frag) {
		t.Fatalf("%s: log %q does not say %q", where, log, frag)
	}
}

// An Ethereum key signing the digest with go-ethereum's own crypto.Sign
// signs for the address Ethereum derives for it.
func TestGoEthereumSignatureAccepted(t *testing.T) {
	h := newHarness(t)
	ek, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	ethAddr := tx.Address(crypto.PubkeyToAddress(ek.PublicKey))
	h.Block(sign(t, alice, 0, &bank.MsgSend{From: alice.Address().String(), To: ethAddr.String(), Amount: "1000000"}))

	anys, _ := tx.PackMsgs(&bank.MsgSend{From: ethAddr.String(), To: bob.Address().String(), Amount: "7"})
	body, _ := proto.MarshalOptions{Deterministic: true}.Marshal(&tx.TxBody{
		ChainId: apptest.ChainID, Signer: ethAddr.String(), Fee: &tx.Fee{Amount: "2000", GasLimit: 200000}, Messages: anys,
	})
	sig, err := crypto.Sign(tx.SignDigest(apptest.ChainID, body), ek)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := proto.MarshalOptions{Deterministic: true}.Marshal(&tx.Tx{Body: body, Signature: sig})
	res, _ := h.Block(raw)
	if res[0].Code != 0 {
		t.Fatalf("geth-signed tx refused: %s", res[0].Log)
	}
	if got := h.Balance(bob.Address()); got != bobFunds+7 {
		t.Fatalf("bob has %d", got)
	}
}

// A tx refused by CheckTx leaves no trace in the mempool state: the same
// nonce is free for the next tx.
func TestCheckTxRefusalLeavesNoTrace(t *testing.T) {
	h := newHarness(t)
	h.Block() // CheckTx reads committed state; genesis is committed with block 1
	if res := h.Check(sign(t, alice, 0, send(alice, bob, aliceFunds))); res.Code == 0 {
		t.Fatal("overspend accepted")
	}
	if res := h.Check(sign(t, alice, 0, send(alice, bob, 5))); res.Code != 0 {
		t.Fatalf("nonce 0 after a refusal: %s", res.Log)
	}
	if res := h.Check(sign(t, alice, 1, send(alice, bob, 5))); res.Code != 0 {
		t.Fatalf("nonce 1 in the mempool: %s", res.Log)
	}
	if res := h.Check(sign(t, alice, 1, send(alice, bob, 6))); !errors.Is(codeErr(res.Codespace, res.Code), auth.ErrNonceUsed) {
		t.Fatalf("second nonce 1: %s/%d %s", res.Codespace, res.Code, res.Log)
	}
}

func codeErr(space string, code uint32) error {
	e, ok := codes.Lookup(space, code)
	if !ok {
		return errors.New("unregistered")
	}
	return e
}

// txState is every key and value of a state version except the recent
// block hashes the compute module records at the start of every block.
func txState(s *store.Snapshot) string {
	var b strings.Builder
	it := s.Iterator(nil, nil)
	defer it.Close()
	for ; it.Valid(); it.Next() {
		if k := string(it.Key()); strings.HasPrefix(k, "compute/bh") {
			continue
		}
		fmt.Fprintf(&b, "%x=%x;", it.Key(), it.Value())
	}
	return b.String()
}
