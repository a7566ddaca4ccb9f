package keyring

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ethereum/go-ethereum/accounts/keystore"

	"github.com/lazchain/lazchain/tx"
)

// MaxKeystoreSize bounds a keystore file read for import; real ones are
// under 1 KiB.
const MaxKeystoreSize = 64 << 10

// keystoreAddress reads the version and the optional address field of a
// keystore v3 file without decrypting it. ok is false when the file has no
// address field (Web3 Secret Storage does not require one).
func keystoreAddress(bz []byte) (addr tx.Address, ok bool, err error) {
	if len(bz) > MaxKeystoreSize {
		return tx.Address{}, false, fmt.Errorf("not a keystore file: %d bytes, a keystore v3 file is under 1 KiB", len(bz))
	}
	var f struct {
		Address *string         `json:"address"`
		Crypto  json.RawMessage `json:"crypto"`
		Version any             `json:"version"`
	}
	if err := json.Unmarshal(bz, &f); err != nil {
		return tx.Address{}, false, fmt.Errorf("not a keystore file: %w", err)
	}
	if v, isNum := f.Version.(float64); !isNum || v != 3 {
		return tx.Address{}, false, fmt.Errorf("not a keystore v3 file (version %v; only version 3 is supported)", f.Version)
	}
	if len(f.Crypto) == 0 || string(f.Crypto) == "null" {
		return tx.Address{}, false, errors.New("not a keystore v3 file: no crypto section")
	}
	if err := checkKDFCost(bz); err != nil {
		return tx.Address{}, false, err
	}
	if f.Address == nil || *f.Address == "" {
		return tx.Address{}, false, nil
	}
	addr, err = v3Address(bz)
	if err != nil {
		return tx.Address{}, false, err
	}
	return addr, true, nil
}

// Import stores a go-ethereum keystore v3 file (from geth `account new`,
// another keystore tool or Export) under name. It checks the name and the
// file's form first, then asks pass for the file's passphrase and decrypts
// the file with it, so a file that does not open is never stored.
//
// The file is stored as it is, not re-encrypted: it keeps the scrypt cost
// its owner chose (a geth file stays at geth's standard cost), its id and
// its bytes, so the copy in the keyring matches the owner's backup, and no
// second slow scrypt runs. The one change is for a file without an address
// field, which gets the decrypted address added so the keyring can list it
// without the passphrase.
func (k *Keyring) Import(name string, keystoreJSON []byte, pass Passphrase) (Key, error) {
	if err := k.CheckFree(name); err != nil {
		return Key{}, err
	}
	stated, hasAddr, err := keystoreAddress(keystoreJSON)
	if err != nil {
		return Key{}, err
	}
	if pass == nil {
		return Key{}, errors.New("a keystore file is encrypted and no passphrase source was given")
	}
	p, err := pass()
	if err != nil {
		return Key{}, err
	}
	if p == "" {
		return Key{}, errors.New("an empty passphrase leaves the key unprotected; give the file's passphrase (if the file really has none, import its key with a new passphrase from its hex private key instead)")
	}
	dk, err := keystore.DecryptKey(keystoreJSON, p)
	if errors.Is(err, keystore.ErrDecrypt) {
		return Key{}, errors.New("wrong passphrase for this keystore file")
	}
	if err != nil {
		return Key{}, fmt.Errorf("decrypt keystore file: %w", err)
	}
	addr := tx.Address(dk.Address)
	bz := keystoreJSON
	switch {
	case hasAddr && stated != addr:
		return Key{}, fmt.Errorf("the keystore file says address %s but its key is for %s; the file is damaged or was edited", stated, addr)
	case !hasAddr:
		if bz, err = withAddress(keystoreJSON, addr); err != nil {
			return Key{}, err
		}
	}
	path := filepath.Join(k.dir(), name+".json")
	if err := writeNew(path, bz); err != nil {
		return Key{}, fmt.Errorf("write %s: %w", path, err)
	}
	return Key{Name: name, Address: addr, Path: path}, nil
}

// withAddress sets the address field of a keystore file, in geth's form
// (lower-case hex without 0x).
func withAddress(keystoreJSON []byte, addr tx.Address) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(keystoreJSON, &m); err != nil {
		return nil, fmt.Errorf("not a keystore file: %w", err)
	}
	a, err := json.Marshal(hex.EncodeToString(addr.Bytes()))
	if err != nil {
		return nil, err
	}
	m["address"] = a
	return json.Marshal(m)
}

// Export returns a stored key as a keystore v3 file that geth and other
// Ethereum tools open. An encrypted key's file is returned as it is on disk,
// without asking for its passphrase. A test key is encrypted under the
// passphrase pass supplies, at scrypt cost kdf.
func (k *Keyring) Export(nameOrAddr string, pass Passphrase, kdf KDF) ([]byte, Key, error) {
	key, err := k.Get(nameOrAddr)
	if err != nil {
		return nil, Key{}, err
	}
	if !key.TestOnly {
		bz, err := os.ReadFile(key.Path)
		if err != nil {
			return nil, Key{}, err
		}
		return bz, key, nil
	}
	priv, _, err := k.Unlock(key.Name, nil)
	if err != nil {
		return nil, Key{}, err
	}
	if pass == nil {
		return nil, Key{}, fmt.Errorf("key %q is a test key and no passphrase source was given to encrypt it with", key.Name)
	}
	p, err := pass()
	if err != nil {
		return nil, Key{}, err
	}
	if p == "" {
		return nil, Key{}, errors.New("an empty passphrase would leave the exported key unprotected; give one")
	}
	bz, err := encrypt(priv, p, kdf)
	if err != nil {
		return nil, Key{}, err
	}
	return bz, key, nil
}

// maxKDFMemory bounds what opening a keystore file may cost: scrypt takes
// 128·N·r·p bytes, and a hostile file could ask for any amount. geth's
// standard setting needs 256 MiB.
const maxKDFMemory = 1 << 30

// maxPBKDF2Rounds bounds the rounds of a PBKDF2 keystore file.
const maxPBKDF2Rounds = 10_000_000

// checkKDFCost refuses a keystore file whose key derivation would take more
// than maxKDFMemory or maxPBKDF2Rounds, before any derivation runs.
func checkKDFCost(bz []byte) error {
	var f struct {
		Crypto struct {
			KDF    string `json:"kdf"`
			Params struct {
				N float64 `json:"n"`
				R float64 `json:"r"`
				P float64 `json:"p"`
				C float64 `json:"c"`
			} `json:"kdfparams"`
		} `json:"crypto"`
	}
	if err := json.Unmarshal(bz, &f); err != nil {
		return fmt.Errorf("not a keystore file: %w", err)
	}
	p := f.Crypto.Params
	switch f.Crypto.KDF {
	case "scrypt":
		if p.N <= 0 || p.R <= 0 || p.P <= 0 || 128*p.N*p.R*p.P > maxKDFMemory {
			return fmt.Errorf("keystore scrypt cost N=%v r=%v p=%v is out of range (it would need more than %d MiB)", p.N, p.R, p.P, maxKDFMemory>>20)
		}
	case "pbkdf2":
		if p.C <= 0 || p.C > maxPBKDF2Rounds {
			return fmt.Errorf("keystore pbkdf2 rounds %v out of range (at most %d)", p.C, maxPBKDF2Rounds)
		}
	default:
		return fmt.Errorf("keystore key derivation %q is not scrypt or pbkdf2", f.Crypto.KDF)
	}
	return nil
}
