package keyring_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/keystore"

	"github.com/lazchain/lazchain/keyring"
	"github.com/lazchain/lazchain/tx"
)

const pass = "correct horse battery staple"

// fixed is a passphrase source that always answers p.
func fixed(p string) keyring.Passphrase {
	return func() (string, error) { return p, nil }
}

// never is a passphrase source that fails the test if asked.
func never(t *testing.T) keyring.Passphrase {
	return func() (string, error) {
		t.Helper()
		t.Error("passphrase asked for when none was needed")
		return "", errors.New("not expected")
	}
}

func mustKey(t *testing.T, seed string) *tx.PrivateKey {
	t.Helper()
	return tx.DeterministicKey("keyring-test/" + seed)
}

func wantErr(t *testing.T, err error, substr string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want an error containing %q, got none", substr)
	}
	if !strings.Contains(err.Error(), substr) {
		t.Fatalf("want an error containing %q, got %q", substr, err)
	}
}

func TestKeyringValidateName(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"alice", true},
		{"A1", true},
		{"key_1.backup-2", true},
		{strings.Repeat("a", 64), true},
		{"", false},
		{strings.Repeat("a", 65), false},
		{"-dash-first", false},
		{".hidden", false},
		{"with space", false},
		{"slash/name", false},
		{"../escape", false},
		{"0xabc", false},
		{"0Xabc", false},
		{"émile", false},
	} {
		err := keyring.ValidateName(tc.name)
		if (err == nil) != tc.ok {
			t.Errorf("ValidateName(%q) = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}

func TestKeyringStore(t *testing.T) {
	for _, tc := range []struct {
		behaviour string
		// prepare stores keys before the call under test.
		prepare func(kr *keyring.Keyring) error
		store   func(kr *keyring.Keyring) (keyring.Key, error)
		wantErr string
		test    bool
		dir     string
	}{
		{
			behaviour: "an encrypted key is written as a keystore v3 file in keys/",
			store: func(kr *keyring.Keyring) (keyring.Key, error) {
				return kr.Store("alice", mustKey(t, "alice"), pass, keyring.Light)
			},
			dir: "keys",
		},
		{
			behaviour: "a test key is written unencrypted in keyring-test/ and marked TestOnly",
			store: func(kr *keyring.Keyring) (keyring.Key, error) {
				return kr.StoreTest("dev", mustKey(t, "dev"))
			},
			test: true,
			dir:  "keyring-test",
		},
		{
			behaviour: "a duplicate encrypted name is refused",
			prepare: func(kr *keyring.Keyring) error {
				_, err := kr.Store("alice", mustKey(t, "alice"), pass, keyring.Light)
				return err
			},
			store: func(kr *keyring.Keyring) (keyring.Key, error) {
				return kr.Store("alice", mustKey(t, "other"), pass, keyring.Light)
			},
			wantErr: `a key named "alice" already exists`,
		},
		{
			behaviour: "a test key may not take the name of an encrypted key",
			prepare: func(kr *keyring.Keyring) error {
				_, err := kr.Store("alice", mustKey(t, "alice"), pass, keyring.Light)
				return err
			},
			store: func(kr *keyring.Keyring) (keyring.Key, error) {
				return kr.StoreTest("alice", mustKey(t, "other"))
			},
			wantErr: `a key named "alice" already exists`,
		},
		{
			behaviour: "an encrypted key may not take the name of a test key",
			prepare: func(kr *keyring.Keyring) error {
				_, err := kr.StoreTest("dev", mustKey(t, "dev"))
				return err
			},
			store: func(kr *keyring.Keyring) (keyring.Key, error) {
				return kr.Store("dev", mustKey(t, "other"), pass, keyring.Light)
			},
			wantErr: `a key named "dev" already exists`,
		},
		{
			behaviour: "a bad name is refused",
			store: func(kr *keyring.Keyring) (keyring.Key, error) {
				return kr.Store("../evil", mustKey(t, "evil"), pass, keyring.Light)
			},
			wantErr: `key name "../evil"`,
		},
		{
			behaviour: "an address-like name is refused",
			store: func(kr *keyring.Keyring) (keyring.Key, error) {
				return kr.StoreTest("0xdead", mustKey(t, "dead"))
			},
			wantErr: "may not start with 0x",
		},
		{
			behaviour: "an empty passphrase is refused",
			store: func(kr *keyring.Keyring) (keyring.Key, error) {
				return kr.Store("alice", mustKey(t, "alice"), "", keyring.Light)
			},
			wantErr: "empty passphrase",
		},
	} {
		t.Run(tc.behaviour, func(t *testing.T) {
			home := t.TempDir()
			kr := keyring.Open(home)
			if tc.prepare != nil {
				if err := tc.prepare(kr); err != nil {
					t.Fatal(err)
				}
			}
			key, err := tc.store(kr)
			if tc.wantErr != "" {
				wantErr(t, err, tc.wantErr)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if key.TestOnly != tc.test {
				t.Errorf("TestOnly = %v, want %v", key.TestOnly, tc.test)
			}
			if want := filepath.Join(home, tc.dir, key.Name+".json"); key.Path != want {
				t.Errorf("Path = %s, want %s", key.Path, want)
			}
			fi, err := os.Stat(key.Path)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("key file mode %v, want 0600", fi.Mode().Perm())
			}
			got, err := kr.Get(key.Name)
			if err != nil {
				t.Fatal(err)
			}
			if got != key {
				t.Errorf("Get = %+v, want %+v", got, key)
			}
		})
	}
}

// fill makes a keyring with two encrypted keys and one test key.
func fill(t *testing.T) (*keyring.Keyring, map[string]keyring.Key) {
	t.Helper()
	home := t.TempDir()
	kr := keyring.Open(home)
	keys := map[string]keyring.Key{}
	for _, name := range []string{"bob", "alice"} {
		k, err := kr.Store(name, mustKey(t, name), pass, keyring.Light)
		if err != nil {
			t.Fatal(err)
		}
		keys[name] = k
	}
	k, err := kr.StoreTest("dev", mustKey(t, "dev"))
	if err != nil {
		t.Fatal(err)
	}
	keys["dev"] = k
	return kr, keys
}

func TestKeyringList(t *testing.T) {
	kr, keys := fill(t)
	list, err := kr.List()
	if err != nil {
		t.Fatal(err)
	}
	want := []keyring.Key{keys["alice"], keys["bob"], keys["dev"]}
	if len(list) != len(want) {
		t.Fatalf("List = %+v, want %+v", list, want)
	}
	for i := range want {
		if list[i] != want[i] {
			t.Errorf("List[%d] = %+v, want %+v", i, list[i], want[i])
		}
	}
	if !list[2].TestOnly || list[0].TestOnly || list[1].TestOnly {
		t.Errorf("only the test key should be TestOnly: %+v", list)
	}

	empty, err := keyring.Open(t.TempDir()).List()
	if err != nil || len(empty) != 0 {
		t.Errorf("List of a new home = %v, %v; want nothing", empty, err)
	}
}

func TestKeyringGet(t *testing.T) {
	kr, keys := fill(t)
	alice := keys["alice"]
	for _, tc := range []struct {
		behaviour string
		query     string
		want      string
		wantErr   string
	}{
		{"finds a key by name", "alice", "alice", ""},
		{"finds a test key by name", "dev", "dev", ""},
		{"finds a key by checksummed address", alice.Address.String(), "alice", ""},
		{"finds a key by lower-case address", strings.ToLower(alice.Address.String()), "alice", ""},
		{"an unknown name lists the names there are", "carol", "", "(have: alice, bob, dev)"},
		{"an unknown address is not found", "0x" + strings.Repeat("11", 20), "", "no such key"},
		{"names are case-sensitive", "Alice", "", "no such key"},
	} {
		t.Run(tc.behaviour, func(t *testing.T) {
			got, err := kr.Get(tc.query)
			if tc.wantErr != "" {
				wantErr(t, err, tc.wantErr)
				if !errors.Is(err, keyring.ErrNotFound) {
					t.Errorf("error %v is not ErrNotFound", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != keys[tc.want] {
				t.Errorf("Get(%q) = %+v, want %+v", tc.query, got, keys[tc.want])
			}
		})
	}

	_, err := keyring.Open(t.TempDir()).Get("alice")
	wantErr(t, err, "is empty; add one with `lazchain keys add NAME`")
}

func TestKeyringUnlock(t *testing.T) {
	kr, _ := fill(t)
	for _, tc := range []struct {
		behaviour string
		name      string
		pass      keyring.Passphrase
		want      *tx.PrivateKey
		wantErr   string
	}{
		{"the right passphrase unlocks an encrypted key", "alice", fixed(pass), mustKey(t, "alice"), ""},
		{"a wrong passphrase is named as such", "alice", fixed("guess"), nil, `key "alice": wrong passphrase`},
		{"an encrypted key needs a passphrase source", "bob", nil, nil, "no passphrase source"},
		{"a failing passphrase source fails the unlock", "bob", func() (string, error) { return "", errors.New("prompt closed") }, nil, "prompt closed"},
		{"a test key unlocks without asking", "dev", never(t), mustKey(t, "dev"), ""},
		{"an unknown key is not found", "carol", never(t), nil, "no such key"},
	} {
		t.Run(tc.behaviour, func(t *testing.T) {
			priv, key, err := kr.Unlock(tc.name, tc.pass)
			if tc.wantErr != "" {
				wantErr(t, err, tc.wantErr)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(priv.Bytes(), tc.want.Bytes()) || key.Address != tc.want.Address() {
				t.Errorf("Unlock(%q) gave %s, want %s", tc.name, key.Address, tc.want.Address())
			}
		})
	}
}

func TestKeyringDelete(t *testing.T) {
	kr, keys := fill(t)
	for _, tc := range []struct {
		behaviour string
		query     string
		deleted   string
		wantErr   string
	}{
		{"deletes an encrypted key by name", "alice", "alice", ""},
		{"deletes a test key by name", "dev", "dev", ""},
		{"deletes a key by address", keys["bob"].Address.String(), "bob", ""},
		{"a deleted key is gone", "alice", "", "no such key"},
	} {
		t.Run(tc.behaviour, func(t *testing.T) {
			key, err := kr.Delete(tc.query)
			if tc.wantErr != "" {
				wantErr(t, err, tc.wantErr)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if key != keys[tc.deleted] {
				t.Errorf("Delete(%q) = %+v, want %+v", tc.query, key, keys[tc.deleted])
			}
			if _, err := os.Stat(key.Path); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s still there after delete: %v", key.Path, err)
			}
		})
	}
	if list, err := kr.List(); err != nil || len(list) != 0 {
		t.Errorf("List after deleting all = %v, %v; want nothing", list, err)
	}
}

// gethKeyFile makes a key with go-ethereum's own keystore and returns its
// file and address.
func gethKeyFile(t *testing.T, passphrase string) ([]byte, tx.Address) {
	t.Helper()
	dir := t.TempDir()
	ks := keystore.NewKeyStore(dir, keystore.LightScryptN, keystore.LightScryptP)
	acct, err := ks.NewAccount(passphrase)
	if err != nil {
		t.Fatal(err)
	}
	bz, err := os.ReadFile(acct.URL.Path)
	if err != nil {
		t.Fatal(err)
	}
	return bz, tx.Address(acct.Address)
}

func TestKeyringImportGethFile(t *testing.T) {
	file, addr := gethKeyFile(t, pass)
	kr := keyring.Open(t.TempDir())

	_, err := kr.Import("geth", file, fixed("not it"))
	wantErr(t, err, "wrong passphrase")
	if _, err := kr.Get("geth"); !errors.Is(err, keyring.ErrNotFound) {
		t.Fatalf("a file that failed to decrypt was stored: %v", err)
	}

	key, err := kr.Import("geth", file, fixed(pass))
	if err != nil {
		t.Fatal(err)
	}
	if key.Address != addr || key.TestOnly {
		t.Fatalf("Import = %+v, want address %s, encrypted", key, addr)
	}
	stored, err := os.ReadFile(key.Path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(stored, file) {
		t.Errorf("the imported file was changed; it should be stored as it is")
	}
	got, err := kr.Get(addr.String())
	if err != nil || got.Name != "geth" {
		t.Fatalf("Get(address) = %+v, %v", got, err)
	}
	priv, _, err := kr.Unlock("geth", fixed(pass))
	if err != nil {
		t.Fatal(err)
	}
	if priv.Address() != addr {
		t.Errorf("the imported key unlocks to %s, want %s", priv.Address(), addr)
	}

	_, err = kr.Import("geth", file, never(t))
	wantErr(t, err, `a key named "geth" already exists`)
}

func TestKeyringExportOpensInGeth(t *testing.T) {
	kr, keys := fill(t)

	// An encrypted key is exported as stored, without its passphrase.
	bz, key, err := kr.Export("alice", never(t), keyring.Light)
	if err != nil {
		t.Fatal(err)
	}
	if key != keys["alice"] {
		t.Errorf("Export key = %+v, want %+v", key, keys["alice"])
	}
	onDisk, _ := os.ReadFile(key.Path)
	if !bytes.Equal(bz, onDisk) {
		t.Error("an encrypted key's export differs from its file")
	}
	dk, err := keystore.DecryptKey(bz, pass)
	if err != nil {
		t.Fatalf("go-ethereum cannot open our file: %v", err)
	}
	if tx.Address(dk.Address) != keys["alice"].Address || !bytes.Equal(tx.FromECDSA(dk.PrivateKey).Bytes(), mustKey(t, "alice").Bytes()) {
		t.Errorf("go-ethereum decrypts our file to %x, want %s", dk.Address, keys["alice"].Address)
	}

	// A test key is encrypted on export under the passphrase given.
	bz, key, err = kr.Export("dev", fixed("export pass"), keyring.Light)
	if err != nil {
		t.Fatal(err)
	}
	if !key.TestOnly {
		t.Errorf("Export(dev) key not marked TestOnly: %+v", key)
	}
	dk, err = keystore.DecryptKey(bz, "export pass")
	if err != nil {
		t.Fatalf("go-ethereum cannot open the exported test key: %v", err)
	}
	if tx.Address(dk.Address) != keys["dev"].Address {
		t.Errorf("exported test key decrypts to %x, want %s", dk.Address, keys["dev"].Address)
	}
	// ... and imports back under another name, now encrypted.
	imp, err := kr.Import("dev-encrypted", bz, fixed("export pass"))
	if err != nil {
		t.Fatal(err)
	}
	if imp.Address != keys["dev"].Address || imp.TestOnly {
		t.Errorf("re-import = %+v, want %s encrypted", imp, keys["dev"].Address)
	}

	_, _, err = kr.Export("dev", fixed(""), keyring.Light)
	wantErr(t, err, "empty passphrase")
	_, _, err = kr.Export("dev", nil, keyring.Light)
	wantErr(t, err, "no passphrase source")
	_, _, err = kr.Export("carol", never(t), keyring.Light)
	wantErr(t, err, "have: alice, bob, dev, dev-encrypted")
}

// editJSON changes the top-level fields of a keystore file; a nil value
// removes the field.
func editJSON(t *testing.T, bz []byte, fields map[string]any) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(bz, &m); err != nil {
		t.Fatal(err)
	}
	for k, v := range fields {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestKeyringImportChecks(t *testing.T) {
	file, addr := gethKeyFile(t, pass)
	other := mustKey(t, "other").Address()
	for _, tc := range []struct {
		behaviour string
		name      string
		file      []byte
		pass      keyring.Passphrase
		wantErr   string
	}{
		{"a file without an address field is stored with the address added", "noaddr", editJSON(t, file, map[string]any{"address": nil}), fixed(pass), ""},
		{"a 0x-prefixed checksummed address field is accepted", "prefixed", editJSON(t, file, map[string]any{"address": addr.String()}), fixed(pass), ""},
		{"a wrong passphrase is refused", "x", file, fixed("nope"), "wrong passphrase"},
		{"an empty passphrase is refused", "x", file, fixed(""), "empty passphrase"},
		{"no passphrase source is refused", "x", file, nil, "no passphrase source"},
		{"a bad name is refused before asking", "bad name", file, never(t), `key name "bad name"`},
		{"a file that is not JSON is refused before asking", "x", []byte("not json"), never(t), "not a keystore file"},
		{"a version 1 file is refused before asking", "x", editJSON(t, file, map[string]any{"version": "1"}), never(t), "only version 3"},
		{"a file without a crypto section is refused before asking", "x", editJSON(t, file, map[string]any{"crypto": nil}), never(t), "no crypto section"},
		{"an oversized file is refused before asking", "x", append(bytes.Repeat([]byte(" "), keyring.MaxKeystoreSize), file...), never(t), "under 1 KiB"},
		{"an address field that does not match the key is refused", "x", editJSON(t, file, map[string]any{"address": strings.TrimPrefix(strings.ToLower(other.String()), "0x")}), fixed(pass), "damaged or was edited"},
	} {
		t.Run(tc.behaviour, func(t *testing.T) {
			kr := keyring.Open(t.TempDir())
			key, err := kr.Import(tc.name, tc.file, tc.pass)
			if tc.wantErr != "" {
				wantErr(t, err, tc.wantErr)
				if list, _ := kr.List(); len(list) != 0 {
					t.Errorf("a refused import left keys behind: %+v", list)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if key.Address != addr {
				t.Errorf("Import address %s, want %s", key.Address, addr)
			}
			listed, err := kr.Get(tc.name)
			if err != nil || listed.Address != addr {
				t.Errorf("Get after import = %+v, %v; want address %s", listed, err, addr)
			}
			priv, _, err := kr.Unlock(tc.name, fixed(pass))
			if err != nil || priv.Address() != addr {
				t.Errorf("Unlock after import: %v", err)
			}
		})
	}
}

// A keystore file asking for an absurd scrypt cost is refused before any
// derivation runs (a hostile file could otherwise exhaust memory).
func TestKeyringRefusesHostileKDFCost(t *testing.T) {
	home := t.TempDir()
	kr := keyring.Open(home)
	if _, err := kr.Store("victim", tx.DeterministicKey("victim"), "pw", keyring.Light); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(home, "keys", "victim.json")
	bz, _ := os.ReadFile(path)
	var m map[string]any
	json.Unmarshal(bz, &m)
	m["crypto"].(map[string]any)["kdfparams"].(map[string]any)["n"] = float64(1 << 30)
	hostile, _ := json.Marshal(m)
	asked := false
	pass := func() (string, error) { asked = true; return "pw", nil }
	if _, err := kr.Import("hostile", hostile, pass); err == nil || !strings.Contains(err.Error(), "out of range") || asked {
		t.Fatalf("import of a hostile file: err %v, passphrase asked %v", err, asked)
	}
	os.WriteFile(path, hostile, 0o600)
	if _, _, err := kr.Unlock("victim", pass); err == nil || !strings.Contains(err.Error(), "out of range") || asked {
		t.Fatalf("unlock of a hostile file: err %v, passphrase asked %v", err, asked)
	}
}

// A damaged file in keys/ does not hide the other keys; asking for it by
// name says what is wrong with it.
func TestKeyringSurvivesADamagedFile(t *testing.T) {
	home := t.TempDir()
	kr := keyring.Open(home)
	if _, err := kr.StoreTest("good", tx.DeterministicKey("good")); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(home, "keys"), 0o700)
	os.WriteFile(filepath.Join(home, "keys", "bad.json"), []byte("{not json"), 0o600)
	keys, err := kr.List()
	if err != nil || len(keys) != 1 || keys[0].Name != "good" {
		t.Fatalf("list: %v %v", keys, err)
	}
	if _, err := kr.Get("good"); err != nil {
		t.Fatal(err)
	}
	if _, err := kr.Get("bad"); err == nil || !strings.Contains(err.Error(), "cannot be read") {
		t.Fatalf("get bad: %v", err)
	}
}
