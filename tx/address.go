package tx

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// AddressLen is the length of an address in bytes.
const AddressLen = 20

// Address is a 20-byte account address: the last 20 bytes of the Keccak-256
// hash of the uncompressed public key, exactly as Ethereum derives it, so a
// key signs for the same address on both chains.
type Address [AddressLen]byte

// ParseAddress reads a 0x-prefixed, 40-hex-digit address. Mixed-case input
// must carry a valid EIP-55 checksum; all-lower or all-upper input is taken
// as is.
func ParseAddress(s string) (Address, error) {
	var a Address
	if !strings.HasPrefix(s, "0x") && !strings.HasPrefix(s, "0X") {
		return a, fmt.Errorf("address %q: want 0x followed by 40 hex digits", s)
	}
	h := s[2:]
	if len(h) != 2*AddressLen {
		return a, fmt.Errorf("address %q: want 0x followed by 40 hex digits, got %d digits", s, len(h))
	}
	if _, err := hex.Decode(a[:], []byte(h)); err != nil {
		return Address{}, fmt.Errorf("address %q: not hex: %v", s, err)
	}
	if h != strings.ToLower(h) && h != strings.ToUpper(h) && a.String() != "0x"+h {
		return Address{}, fmt.Errorf("address %q: bad EIP-55 checksum (did you mean %s?)", s, a)
	}
	return a, nil
}

// AddressFromBytes copies a 20-byte slice into an Address.
func AddressFromBytes(b []byte) (Address, error) {
	var a Address
	if len(b) != AddressLen {
		return a, fmt.Errorf("address must be %d bytes, got %d", AddressLen, len(b))
	}
	copy(a[:], b)
	return a, nil
}

// ModuleAddress is the address of an account that a module owns and no key
// controls, such as the fee collector: keccak256("lazchain/module/" + name)[12:].
func ModuleAddress(name string) Address {
	var a Address
	copy(a[:], crypto.Keccak256([]byte("lazchain/module/" + name))[12:])
	return a
}

// String renders the address with its EIP-55 checksum.
func (a Address) String() string {
	checksums.Lock()
	str, ok := checksums.m[a]
	checksums.Unlock()
	if ok {
		return str
	}
	str = common.Address(a).Hex()
	checksums.Lock()
	if len(checksums.m) >= maxChecksums {
		clear(checksums.m)
	}
	checksums.m[a] = str
	checksums.Unlock()
	return str
}

// checksums remembers EIP-55 renderings. Each costs a Keccak hash, and a tx
// renders and checks the same few addresses many times (parsing, events,
// CheckTx, recheck and the block), which made checksumming a tenth of a
// transfer's cost.
var checksums = struct {
	sync.Mutex
	m map[Address]string
}{m: make(map[Address]string)}

const maxChecksums = 1 << 16

// Bytes returns the 20 bytes of the address.
func (a Address) Bytes() []byte { return a[:] }

// IsZero reports whether the address is all zeroes.
func (a Address) IsZero() bool { return a == Address{} }

// Compare orders addresses bytewise.
func (a Address) Compare(b Address) int { return bytes.Compare(a[:], b[:]) }

// MarshalText implements encoding.TextMarshaler (JSON renders the 0x form).
func (a Address) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (a *Address) UnmarshalText(b []byte) error {
	p, err := ParseAddress(string(b))
	if err != nil {
		return err
	}
	*a = p
	return nil
}
