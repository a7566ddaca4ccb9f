package keyring

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/ethereum/go-ethereum/accounts/keystore"
	"github.com/google/uuid"

	"github.com/lazchain/lazchain/tx"
)

// TestOnlyWarning is printed with every test key.
const TestOnlyWarning = "TEST-ONLY KEY: stored unencrypted and publicly derivable; never hold real funds with it"

// ErrNotFound is returned for a key name or address the keyring lacks.
var ErrNotFound = errors.New("no such key")

// Key describes a stored key; it never carries the secret.
type Key struct {
	Name     string     `json:"name"`
	Address  tx.Address `json:"address"`
	TestOnly bool       `json:"test_only"`
	Path     string     `json:"path"`
}

// Passphrase supplies a passphrase when one is needed (prompt, file or
// environment); it is not called for test keys.
type Passphrase func() (string, error)

// KDF chooses scrypt's cost. Standard is geth's default (N=2^18, about a
// second and 256 MiB); Light (N=2^12) is for tests and small devices.
type KDF int

// The scrypt cost settings.
const (
	Standard KDF = iota
	Light
)

func (k KDF) params() (n, p int) {
	if k == Light {
		return keystore.LightScryptN, keystore.LightScryptP
	}
	return keystore.StandardScryptN, keystore.StandardScryptP
}

// Keyring is the keys of one home.
type Keyring struct {
	home   string
	broken []error // files List could not read, from its last call
}

// Open returns the keyring of a home directory; nothing is created until a
// key is stored.
func Open(home string) *Keyring { return &Keyring{home: home} }

func (k *Keyring) dir() string     { return filepath.Join(k.home, "keys") }
func (k *Keyring) testDir() string { return filepath.Join(k.home, "keyring-test") }

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// ValidateName checks a key name: 1–64 letters, digits, '_', '.', '-',
// starting with a letter or digit, and not an address.
func ValidateName(name string) error {
	if !nameRE.MatchString(name) {
		return fmt.Errorf("key name %q: use 1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit", name)
	}
	if strings.HasPrefix(strings.ToLower(name), "0x") {
		return fmt.Errorf("key name %q: a name may not start with 0x (it would read as an address)", name)
	}
	return nil
}

// testFile is a test key on disk.
type testFile struct {
	Name       string     `json:"name"`
	Address    tx.Address `json:"address"`
	PrivateKey string     `json:"private_key"`
	Warning    string     `json:"warning"`
}

// v3Address reads the address field of a keystore v3 file without
// decrypting it.
func v3Address(bz []byte) (tx.Address, error) {
	var f struct {
		Address string `json:"address"`
		Crypto  any    `json:"crypto"`
		Version int    `json:"version"`
	}
	if err := json.Unmarshal(bz, &f); err != nil {
		return tx.Address{}, fmt.Errorf("not a keystore file: %w", err)
	}
	if f.Version != 3 || f.Crypto == nil {
		return tx.Address{}, fmt.Errorf("not a keystore v3 file (version %d)", f.Version)
	}
	return tx.ParseAddress("0x" + strings.TrimPrefix(strings.ToLower(f.Address), "0x"))
}

// List returns every key, sorted by name.
func (k *Keyring) List() ([]Key, error) {
	k.broken = nil
	var out []Key
	for _, d := range []struct {
		dir  string
		test bool
	}{{k.dir(), false}, {k.testDir(), true}} {
		entries, err := os.ReadDir(d.dir)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			name, ok := strings.CutSuffix(e.Name(), ".json")
			if !ok || e.IsDir() {
				continue
			}
			key, err := k.read(filepath.Join(d.dir, e.Name()), name, d.test)
			if err != nil {
				// One damaged or foreign file must not lock every other key
				// out; it is reported when asked for by name.
				k.broken = append(k.broken, fmt.Errorf("%s: %w", filepath.Join(d.dir, e.Name()), err))
				continue
			}
			out = append(out, key)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (k *Keyring) read(path, name string, test bool) (Key, error) {
	bz, err := os.ReadFile(path)
	if err != nil {
		return Key{}, err
	}
	key := Key{Name: name, TestOnly: test, Path: path}
	if test {
		var f testFile
		if err := json.Unmarshal(bz, &f); err != nil {
			return Key{}, fmt.Errorf("%s: %w", path, err)
		}
		key.Address = f.Address
		return key, nil
	}
	if key.Address, err = v3Address(bz); err != nil {
		return Key{}, fmt.Errorf("%s: %w", path, err)
	}
	return key, nil
}

// Get finds a key by name or by 0x address.
func (k *Keyring) Get(nameOrAddr string) (Key, error) {
	keys, err := k.List()
	if err != nil {
		return Key{}, err
	}
	addr, addrErr := tx.ParseAddress(nameOrAddr)
	for _, key := range keys {
		if key.Name == nameOrAddr || (addrErr == nil && key.Address == addr) {
			return key, nil
		}
	}
	for _, b := range k.broken {
		if strings.Contains(b.Error(), string(filepath.Separator)+nameOrAddr+".json:") {
			return Key{}, fmt.Errorf("key %q cannot be read: %w", nameOrAddr, b)
		}
	}
	names := make([]string, len(keys))
	for i, key := range keys {
		names[i] = key.Name
	}
	if len(names) == 0 {
		return Key{}, fmt.Errorf("key %q: %w (the keyring in %s is empty; add one with `lazchain keys add NAME`)", nameOrAddr, ErrNotFound, k.home)
	}
	return Key{}, fmt.Errorf("key %q: %w in %s (have: %s)", nameOrAddr, ErrNotFound, k.home, strings.Join(names, ", "))
}

// CheckFree reports why name cannot be given to a new key: it is not a valid
// name, or a key (encrypted or test) already has it. Callers check before
// asking for a passphrase, so nobody types one twice for nothing.
func (k *Keyring) CheckFree(name string) error {
	if err := ValidateName(name); err != nil {
		return err
	}
	if _, err := k.Get(name); err == nil {
		return fmt.Errorf("a key named %q already exists; delete it first or pick another name", name)
	}
	return nil
}

func writeNew(path string, bz []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(bz); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	return f.Close()
}

// Store encrypts key with passphrase into a keystore v3 file named name.
func (k *Keyring) Store(name string, key *tx.PrivateKey, passphrase string, kdf KDF) (Key, error) {
	if err := k.CheckFree(name); err != nil {
		return Key{}, err
	}
	if passphrase == "" {
		return Key{}, fmt.Errorf("an empty passphrase would leave the key unprotected; give one")
	}
	bz, err := encrypt(key, passphrase, kdf)
	if err != nil {
		return Key{}, err
	}
	path := filepath.Join(k.dir(), name+".json")
	if err := writeNew(path, bz); err != nil {
		return Key{}, fmt.Errorf("write %s: %w", path, err)
	}
	return Key{Name: name, Address: key.Address(), Path: path}, nil
}

// encrypt makes the keystore v3 file of key.
func encrypt(key *tx.PrivateKey, passphrase string, kdf KDF) ([]byte, error) {
	id, err := uuid.NewRandom()
	if err != nil {
		return nil, err
	}
	n, p := kdf.params()
	bz, err := keystore.EncryptKey(&keystore.Key{Id: id, Address: [20]byte(key.Address()), PrivateKey: key.ECDSA()}, passphrase, n, p)
	if err != nil {
		return nil, fmt.Errorf("encrypt key: %w", err)
	}
	return bz, nil
}

// StoreTest writes key unencrypted into the test keyring.
func (k *Keyring) StoreTest(name string, key *tx.PrivateKey) (Key, error) {
	if err := k.CheckFree(name); err != nil {
		return Key{}, err
	}
	bz, err := json.MarshalIndent(testFile{Name: name, Address: key.Address(), PrivateKey: key.Hex(), Warning: TestOnlyWarning}, "", "  ")
	if err != nil {
		return Key{}, err
	}
	path := filepath.Join(k.testDir(), name+".json")
	if err := writeNew(path, bz); err != nil {
		return Key{}, fmt.Errorf("write %s: %w", path, err)
	}
	return Key{Name: name, Address: key.Address(), TestOnly: true, Path: path}, nil
}

// Unlock returns the private key of a stored key, asking for the passphrase
// only if the key is encrypted.
func (k *Keyring) Unlock(nameOrAddr string, pass Passphrase) (*tx.PrivateKey, Key, error) {
	key, err := k.Get(nameOrAddr)
	if err != nil {
		return nil, Key{}, err
	}
	bz, err := os.ReadFile(key.Path)
	if err != nil {
		return nil, Key{}, err
	}
	if key.TestOnly {
		var f testFile
		if err := json.Unmarshal(bz, &f); err != nil {
			return nil, Key{}, fmt.Errorf("%s: %w", key.Path, err)
		}
		priv, err := tx.PrivateKeyFromHex(f.PrivateKey)
		if err != nil {
			return nil, Key{}, fmt.Errorf("%s: %w", key.Path, err)
		}
		if priv.Address() != key.Address {
			return nil, Key{}, fmt.Errorf("%s: the private key is for %s, not %s", key.Path, priv.Address(), key.Address)
		}
		return priv, key, nil
	}
	if pass == nil {
		return nil, Key{}, fmt.Errorf("key %q is encrypted and no passphrase source was given", key.Name)
	}
	if err := checkKDFCost(bz); err != nil {
		return nil, Key{}, fmt.Errorf("%s: %w", key.Path, err)
	}
	p, err := pass()
	if err != nil {
		return nil, Key{}, err
	}
	dk, err := keystore.DecryptKey(bz, p)
	if err != nil {
		if errors.Is(err, keystore.ErrDecrypt) {
			return nil, Key{}, fmt.Errorf("key %q: wrong passphrase", key.Name)
		}
		return nil, Key{}, fmt.Errorf("key %q: %w", key.Name, err)
	}
	priv := tx.FromECDSA(dk.PrivateKey)
	if priv.Address() != key.Address {
		return nil, Key{}, fmt.Errorf("%s: the key decrypts to %s, not %s", key.Path, priv.Address(), key.Address)
	}
	return priv, key, nil
}

// Delete removes a key file.
func (k *Keyring) Delete(nameOrAddr string) (Key, error) {
	key, err := k.Get(nameOrAddr)
	if err != nil {
		return Key{}, err
	}
	return key, os.Remove(key.Path)
}

// Signer unlocks a key as a tx.Signer.
func (k *Keyring) Signer(nameOrAddr string, pass Passphrase) (tx.Signer, Key, error) {
	priv, key, err := k.Unlock(nameOrAddr, pass)
	if err != nil {
		return nil, Key{}, err
	}
	return priv, key, nil
}
