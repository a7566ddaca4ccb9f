package client

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/cometbft/cometbft/mempool"

	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/auth"
	"github.com/lazchain/lazchain/x/bank"
)

// A CheckTx refusal comes back from a remote node only as an error string;
// the SDK must recover the app's code from it, and from the typed error of an
// in-process node.
func TestCheckTxErrorRecoversTheCode(t *testing.T) {
	inv := mempool.ErrInvalidTx{Code: 2, Codespace: "auth", Log: "auth: nonce 0 of 0xabc was already used: it's 'the next' nonce is 1"}
	remote := fmt.Errorf("error in json rpc client, with http response metadata: (Status: 200 OK, Protocol HTTP/1.1). RPC error -32603 - Internal error: broadcast error on transaction validation: %v", inv)
	for name, err := range map[string]error{"in-process": fmt.Errorf("broadcast: %w", inv), "remote": remote} {
		te := checkTxError("ABC", err)
		if te == nil || te.Code != 2 || te.Codespace != "auth" || te.Log != inv.Log {
			t.Fatalf("%s: got %+v", name, te)
		}
		if !errors.Is(te, auth.ErrNonceUsed) || errors.Is(te, auth.ErrNonceAhead) {
			t.Fatalf("%s: errors.Is does not match the registered code", name)
		}
	}
	if te := checkTxError("ABC", errors.New("connection refused")); te != nil {
		t.Fatalf("an unrelated error became %+v", te)
	}
}

func TestParseStateKey(t *testing.T) {
	a := tx.DeterministicKey("k").Address()
	for _, c := range []struct {
		in   string
		want []byte
		kind string
		err  string
	}{
		{in: "bank/balance/" + a.String(), want: bank.BalanceStoreKey(a), kind: "amount"},
		{in: "bank/supply", want: bank.SupplyStoreKey(), kind: "amount"},
		{in: "auth/nonce/" + strings.ToLower(a.String()), want: auth.NonceStoreKey(a), kind: "nonce"},
		{in: "auth/params", want: []byte("auth/params"), kind: "params"},
		{in: "hex:62616e6b", want: []byte("bank"), kind: "raw"},
		{in: "hex:zz", err: "hex"},
		{in: "bank/balance/0x12", err: "40 hex digits"},
		{in: "bank/balance", err: "ADDRESS"},
		{in: "dat/class/1", err: "want one of"},
	} {
		k, err := ParseStateKey(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ParseStateKey(%q) = %v, want an error saying %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || string(k.Key) != string(c.want) || k.Kind != c.kind {
			t.Errorf("ParseStateKey(%q) = %x %s %v", c.in, k.Key, k.Kind, err)
		}
	}
	k, _ := ParseStateKey("bank/supply")
	if got := k.DescribeValue([]byte{0, 0, 0, 0, 0, 0x13, 0x12, 0xd0}); got != "1.25 LAZ (1250000 ulaz)" {
		t.Errorf("DescribeValue = %q", got)
	}
	if got := k.DescribeValue(nil); got != "(absent)" {
		t.Errorf("DescribeValue(nil) = %q", got)
	}
}

func TestNormalizeNode(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:26657":         "tcp://127.0.0.1:26657",
		"tcp://10.0.0.1:26657":    "tcp://10.0.0.1:26657",
		"http://node.local:80":    "http://node.local:80",
		"https://rpc.example:443": "https://rpc.example:443",
	} {
		if got, err := normalizeNode(in); err != nil || got != want {
			t.Errorf("normalizeNode(%q) = %q, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "ftp://x:1", "tcp://"} {
		if _, err := normalizeNode(bad); err == nil {
			t.Errorf("normalizeNode(%q) accepted", bad)
		}
	}
}
