package client

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/auth"
	"github.com/lazchain/lazchain/x/bank"
)

// StateKey is a state key with a description of how to read its value.
type StateKey struct {
	Key []byte
	// Kind is "amount" (8-byte ulaz), "nonce" (8-byte), "params" (protobuf)
	// or "raw".
	Kind string
}

// StateKeyForms lists the key paths ParseStateKey understands.
const StateKeyForms = "bank/balance/ADDRESS, bank/supply, auth/nonce/ADDRESS, auth/params, or hex:KEYBYTES"

// ParseStateKey reads a key path such as bank/balance/0xABC… into the raw
// state key it names.
func ParseStateKey(path string) (StateKey, error) {
	if h, ok := strings.CutPrefix(path, "hex:"); ok {
		bz, err := hex.DecodeString(h)
		if err != nil || len(bz) == 0 {
			return StateKey{}, fmt.Errorf("key %q: hex: needs non-empty hex bytes", path)
		}
		return StateKey{Key: bz, Kind: "raw"}, nil
	}
	parts := strings.Split(path, "/")
	addrAt := func(i int) (tx.Address, error) {
		if len(parts) != i+1 {
			return tx.Address{}, fmt.Errorf("key %q: want %s/%s/ADDRESS", path, parts[0], parts[1])
		}
		return tx.ParseAddress(parts[i])
	}
	switch {
	case len(parts) >= 2 && parts[0] == bank.Name && parts[1] == "balance":
		a, err := addrAt(2)
		if err != nil {
			return StateKey{}, err
		}
		return StateKey{Key: bank.BalanceStoreKey(a), Kind: "amount"}, nil
	case path == "bank/supply":
		return StateKey{Key: bank.SupplyStoreKey(), Kind: "amount"}, nil
	case len(parts) >= 2 && parts[0] == auth.Name && parts[1] == "nonce":
		a, err := addrAt(2)
		if err != nil {
			return StateKey{}, err
		}
		return StateKey{Key: auth.NonceStoreKey(a), Kind: "nonce"}, nil
	case path == "auth/params":
		return StateKey{Key: []byte("auth/params"), Kind: "params"}, nil
	}
	return StateKey{}, fmt.Errorf("key %q: want one of %s", path, StateKeyForms)
}

// DescribeValue renders a state value of a known kind for people.
func (k StateKey) DescribeValue(v []byte) string {
	if v == nil {
		return "(absent)"
	}
	switch k.Kind {
	case "amount":
		if len(v) == 8 {
			u := binary.BigEndian.Uint64(v)
			return fmt.Sprintf("%s (%d ulaz)", tx.FormatAmount(u), u)
		}
	case "nonce":
		if len(v) == 8 {
			return fmt.Sprintf("next nonce %d", binary.BigEndian.Uint64(v))
		}
	}
	return "0x" + hex.EncodeToString(v)
}
