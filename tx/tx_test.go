package tx_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/lazchain/lazchain/tx"
)

func TestParseAddress(t *testing.T) {
	// EIP-55 test vectors.
	for _, s := range []string{
		"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
		"0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
		"0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
		"0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
	} {
		a, err := tx.ParseAddress(s)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if a.String() != s {
			t.Fatalf("%s renders as %s", s, a)
		}
		if _, err := tx.ParseAddress(strings.ToLower(s)); err != nil {
			t.Fatalf("lower-case %s: %v", s, err)
		}
	}
	for _, c := range []struct{ in, frag string }{
		{"5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0x followed by 40 hex digits"},
		{"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeA", "got 38 digits"},
		{"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeg", "not hex"},
		{"0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "checksum"},
		{"lazc1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq", "0x"},
		{"", "0x"},
	} {
		_, err := tx.ParseAddress(c.in)
		if err == nil || !strings.Contains(err.Error(), c.frag) {
			t.Errorf("ParseAddress(%q) = %v, want an error saying %q", c.in, err, c.frag)
		}
	}
}

func TestAddressMatchesEthereum(t *testing.T) {
	k, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	ours := tx.FromECDSA(k).Address()
	if common.Address(ours) != crypto.PubkeyToAddress(k.PublicKey) {
		t.Fatal("address differs from Ethereum's derivation")
	}
}

func TestParseAmount(t *testing.T) {
	for _, c := range []struct {
		in   string
		want uint64
		err  string
	}{
		{"12.5laz", 12_500_000, ""},
		{"12.5 LAZ", 12_500_000, ""},
		{"12500000ulaz", 12_500_000, ""},
		{"0.000001laz", 1, ""},
		{".5laz", 500_000, ""},
		{"1laz", 1_000_000, ""},
		{"0laz", 0, ""},
		{"18446744073709.551615laz", 18446744073709551615, ""},
		{"18446744073709.551616laz", 0, "overflows"},
		{"18446744073709551616ulaz", 0, "overflows"},
		{"99999999999999999999laz", 0, "overflows"},
		{"0.0000001laz", 0, "6 decimals"},
		{"12", 0, "no unit"},
		{"-1laz", 0, "digits"},
		{"1e6ulaz", 0, "decimal integer"},
		{"laz", 0, "no number"},
		{"1.5ulaz", 0, "decimal integer"},
		{"007ulaz", 0, "leading zeros"},
	} {
		got, err := tx.ParseAmount(c.in)
		if c.err == "" {
			if err != nil || got != c.want {
				t.Errorf("ParseAmount(%q) = %d, %v; want %d", c.in, got, err, c.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("ParseAmount(%q) = %d, %v; want an error saying %q", c.in, got, err, c.err)
		}
	}
	if _, err := tx.ParseBaseUnits("18446744073709551616"); !errors.Is(err, tx.ErrOverflow) {
		t.Errorf("overflow is not ErrOverflow: %v", err)
	}
	for _, c := range []struct {
		v    uint64
		want string
	}{{0, "0"}, {1, "0.000001"}, {12_500_000, "12.5"}, {1_000_000, "1"}, {18446744073709551615, "18446744073709.551615"}} {
		if got := tx.FormatLAZ(c.v); got != c.want {
			t.Errorf("FormatLAZ(%d) = %q, want %q", c.v, got, c.want)
		}
		if back, err := tx.ParseAmount(c.want + "laz"); err != nil || back != c.v {
			t.Errorf("round trip of %d: %d, %v", c.v, back, err)
		}
	}
}

func signedTx(t *testing.T, k *tx.PrivateKey, chain string) []byte {
	t.Helper()
	anys, err := tx.PackMsgs(durationpb.New(5))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := tx.Sign(k, chain, &tx.TxBody{Nonce: 3, Fee: &tx.Fee{Amount: "10", GasLimit: 1000}, Messages: anys})
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestSignDecodeVerify(t *testing.T) {
	k := tx.DeterministicKey("signer")
	raw := signedTx(t, k, "chain-a")
	d, err := tx.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	if d.Signer != k.Address() || d.Body.Nonce != 3 || len(d.Msgs) != 1 {
		t.Fatalf("decoded %+v", d.Body)
	}
	if err := d.VerifySignature("chain-a"); err != nil {
		t.Fatal(err)
	}
	if err := d.VerifySignature("chain-b"); !errors.Is(err, tx.ErrWrongChain) {
		t.Fatalf("other chain: %v", err)
	}
	// The signature covers the chain id: the same body bytes signed for
	// chain-a do not verify if only the body's chain id is edited.
	var w tx.Tx
	proto.Unmarshal(raw, &w)
	var body tx.TxBody
	proto.Unmarshal(w.Body, &body)
	body.ChainId = "chain-b"
	w.Body, _ = proto.MarshalOptions{Deterministic: true}.Marshal(&body)
	forged, _ := proto.MarshalOptions{Deterministic: true}.Marshal(&w)
	d2, err := tx.Decode(forged)
	if err != nil {
		t.Fatal(err)
	}
	if err := d2.VerifySignature("chain-b"); !errors.Is(err, tx.ErrBadSignature) {
		t.Fatalf("re-targeted tx: %v", err)
	}
}

func TestSignDigestIsDomainSeparated(t *testing.T) {
	body := []byte("body")
	a := tx.SignDigest("ab", body)
	// "a" + "bbody" must not collide with "ab" + "body": the length prefix
	// separates them.
	if string(a) == string(tx.SignDigest("a", []byte("bbody"))) {
		t.Fatal("chain id and body are not separated")
	}
	if string(a) == string(crypto.Keccak256([]byte("ab"), body)) {
		t.Fatal("no domain separation from a plain hash")
	}
}

func TestRecoverRejectsNonCanonical(t *testing.T) {
	k := tx.DeterministicKey("k")
	digest := crypto.Keccak256([]byte("x"))
	sig, _ := k.SignDigest(digest)
	if a, err := tx.RecoverAddress(digest, sig); err != nil || a != k.Address() {
		t.Fatalf("recover: %v", err)
	}
	v27 := append([]byte(nil), sig...)
	v27[64] += 27
	if _, err := tx.RecoverAddress(digest, v27); err == nil {
		t.Fatal("v=27 accepted")
	}
	if _, err := tx.RecoverAddress(digest, sig[:64]); err == nil {
		t.Fatal("64-byte signature accepted")
	}
}

// FuzzDecode: no input makes Decode panic, and whatever decodes re-encodes
// to the same bytes (one tx, one hash).
func FuzzDecode(f *testing.F) {
	k := tx.DeterministicKey("fuzz")
	anys, _ := tx.PackMsgs(durationpb.New(1))
	raw, _ := tx.Sign(k, "c", &tx.TxBody{Fee: &tx.Fee{Amount: "1", GasLimit: 1}, Messages: anys})
	f.Add(raw)
	f.Add([]byte{})
	f.Add([]byte{0x0a, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := tx.Decode(b)
		if err != nil {
			return
		}
		again, err := proto.MarshalOptions{Deterministic: true}.Marshal(d.Tx)
		if err != nil || string(again) != string(b) {
			t.Fatalf("decoded tx re-encodes differently")
		}
		_ = d.VerifySignature("c")
	})
}
