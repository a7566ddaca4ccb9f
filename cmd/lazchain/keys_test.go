package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/keystore"

	"github.com/lazchain/lazchain/keyring"
	"github.com/lazchain/lazchain/tx"
)

// keysEnv is a home and passphrase files for running keys commands.
type keysEnv struct {
	t     *testing.T
	home  string
	pass  string // --passphrase-file with the right passphrase
	wrong string // --passphrase-file with another one
}

func newKeysEnv(t *testing.T) *keysEnv {
	t.Helper()
	// The passphrase comes from files here, never from the caller's
	// environment or terminal.
	t.Setenv(envPassphrase, "")
	os.Unsetenv(envPassphrase)
	dir := t.TempDir()
	e := &keysEnv{t: t, home: filepath.Join(dir, "home"), pass: filepath.Join(dir, "pass"), wrong: filepath.Join(dir, "wrong")}
	for path, p := range map[string]string{e.pass: "hunter2 is long enough\n", e.wrong: "not the passphrase\n"} {
		if err := os.WriteFile(path, []byte(p), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// run executes `lazchain --home HOME args...` in-process with stdin.
func (e *keysEnv) run(stdin string, args ...string) (stdout, stderr string, err error) {
	e.t.Helper()
	root := newRootCmd()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetIn(strings.NewReader(stdin))
	root.SetArgs(append([]string{"--home", e.home}, args...))
	err = root.Execute()
	return out.String(), errOut.String(), err
}

// ok runs a command that must succeed and returns its stdout.
func (e *keysEnv) ok(stdin string, args ...string) string {
	e.t.Helper()
	out, errOut, err := e.run(stdin, args...)
	if err != nil {
		e.t.Fatalf("lazchain %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, out, errOut)
	}
	return out
}

// add makes an encrypted key (light scrypt) and returns it as printed in JSON.
func (e *keysEnv) add(name string) keyOut {
	e.t.Helper()
	var k keyOut
	out := e.ok("", "keys", "add", name, "--light-kdf", "--passphrase-file", e.pass, "-o", "json")
	if err := json.Unmarshal([]byte(out), &k); err != nil {
		e.t.Fatalf("keys add -o json: %v\n%s", err, out)
	}
	return k
}

func TestKeysAddListShow(t *testing.T) {
	e := newKeysEnv(t)

	out := e.ok("", "keys", "add", "alice", "--light-kdf", "--passphrase-file", e.pass)
	alice, err := keyring.Open(e.home).Get("alice")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`Created key "alice"`, alice.Address.String(), filepath.Join(e.home, "keys", "alice.json"), "LIGHT scrypt", "lose either one"} {
		if !strings.Contains(out, want) {
			t.Errorf("keys add output lacks %q:\n%s", want, out)
		}
	}
	if _, _, err := keyring.Open(e.home).Unlock("alice", func() (string, error) { return "hunter2 is long enough", nil }); err != nil {
		t.Errorf("the key is not stored under the passphrase file's first line: %v", err)
	}

	dev := e.ok("", "keys", "add", "dev", "--test")
	if !strings.Contains(dev, "TEST-ONLY") {
		t.Errorf("keys add --test output lacks the TEST-ONLY label:\n%s", dev)
	}
	bob := e.add("bob")
	if bob.Warning == "" || bob.TestOnly || bob.Path != filepath.Join(e.home, "keys", "bob.json") {
		t.Errorf("keys add -o json = %+v", bob)
	}

	list := e.ok("", "keys", "list")
	lines := strings.Split(strings.TrimSpace(list), "\n")
	if len(lines) < 4 || !strings.HasPrefix(lines[0], "NAME") {
		t.Fatalf("keys list:\n%s", list)
	}
	col := strings.Index(lines[0], "ADDRESS")
	for i, name := range []string{"alice", "bob", "dev"} {
		line := lines[i+1]
		if !strings.HasPrefix(line, name+" ") || strings.Index(line, "0x") != col {
			t.Errorf("keys list row %d not aligned under ADDRESS (col %d): %q", i, col, line)
		}
		if (name == "dev") != strings.Contains(line, "TEST-ONLY") {
			t.Errorf("keys list row %q: TEST-ONLY label wrong", line)
		}
	}

	var keys []keyring.Key
	if err := json.Unmarshal([]byte(e.ok("", "keys", "list", "-o", "json")), &keys); err != nil {
		t.Fatal(err)
	}
	if len(keys) != 3 || keys[0].Name != "alice" || keys[1] != bob.Key || !keys[2].TestOnly || keys[0].TestOnly {
		t.Errorf("keys list -o json = %+v", keys)
	}

	if got := e.ok("", "keys", "show", "alice", "--address"); got != alice.Address.String()+"\n" {
		t.Errorf("keys show --address = %q, want %q", got, alice.Address.String()+"\n")
	}
	show := e.ok("", "keys", "show", strings.ToLower(alice.Address.String()))
	if !strings.Contains(show, "name     alice") || !strings.Contains(show, "encrypted") {
		t.Errorf("keys show ADDRESS:\n%s", show)
	}
	var shown keyOut
	if err := json.Unmarshal([]byte(e.ok("", "keys", "show", "dev", "-o", "json")), &shown); err != nil {
		t.Fatal(err)
	}
	if !shown.TestOnly || shown.Warning != keyring.TestOnlyWarning {
		t.Errorf("keys show dev -o json = %+v, want a test-only key with its warning", shown)
	}

	empty := newKeysEnv(t)
	if out := empty.ok("", "keys", "list"); !strings.Contains(out, "No keys") {
		t.Errorf("keys list of an empty home = %q", out)
	}
	if out := empty.ok("", "keys", "list", "-o", "json"); strings.TrimSpace(out) != "[]" {
		t.Errorf("keys list -o json of an empty home = %q, want []", out)
	}
}

func TestKeysExportImport(t *testing.T) {
	e := newKeysEnv(t)
	alice := e.add("alice")
	file := filepath.Join(t.TempDir(), "alice.json")

	e.ok("", "keys", "export", "alice", "--out", file)
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("--out file mode %v, want 0600", fi.Mode().Perm())
	}
	exported, _ := os.ReadFile(file)
	stored, _ := os.ReadFile(alice.Path)
	if !bytes.Equal(exported, stored) {
		t.Error("export of an encrypted key differs from its stored file")
	}
	if stdout := e.ok("", "keys", "export", "alice"); strings.TrimSpace(stdout) != string(stored) {
		t.Errorf("export to stdout = %q, want the stored file", stdout)
	}
	if _, _, err := e.run("", "keys", "export", "alice", "--out", file); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("export over an existing --out file: %v, want a refusal", err)
	}

	_, _, err = e.run("", "keys", "import", "copy", file, "--passphrase-file", e.wrong)
	if err == nil || !strings.Contains(err.Error(), "wrong passphrase") || !strings.Contains(err.Error(), file) {
		t.Errorf("import with the wrong passphrase: %v", err)
	}
	var imported keyOut
	if err := json.Unmarshal([]byte(e.ok("", "keys", "import", "copy", file, "--passphrase-file", e.pass, "-o", "json")), &imported); err != nil {
		t.Fatal(err)
	}
	if imported.Name != "copy" || imported.Address != alice.Address {
		t.Errorf("imported %+v, want %s", imported, alice.Address)
	}
	if got := e.ok("", "keys", "show", "copy", "--address"); got != alice.Address.String()+"\n" {
		t.Errorf("keys show copy --address = %q, want %s", got, alice.Address)
	}

	// A test key leaves encrypted, and go-ethereum opens it.
	e.ok("", "keys", "add", "dev", "--test")
	devFile := e.ok("", "keys", "export", "dev", "--light-kdf", "--passphrase-file", e.pass)
	dk, err := keystore.DecryptKey([]byte(devFile), "hunter2 is long enough")
	if err != nil {
		t.Fatalf("go-ethereum cannot open the exported test key: %v", err)
	}
	dev, _ := keyring.Open(e.home).Get("dev")
	if tx.Address(dk.Address) != dev.Address {
		t.Errorf("exported test key decrypts to %x, want %s", dk.Address, dev.Address)
	}
}

func TestKeysRecoverAndHex(t *testing.T) {
	e := newKeysEnv(t)
	priv := tx.DeterministicKey("keys-test/recover")
	hexKey := priv.Hex()

	out := e.ok(hexKey+"\n", "keys", "add", "restored", "--recover", "--light-kdf", "--passphrase-file", e.pass)
	if !strings.Contains(out, priv.Address().String()) || strings.Contains(out, hexKey) {
		t.Errorf("keys add --recover output:\n%s", out)
	}
	// Key and passphrase both piped: the second line must survive the first read.
	_, errOut, err := e.run("0x"+hexKey+"\nfrom stdin\n", "keys", "import", "viahex", "--hex", "--light-kdf")
	if err != nil {
		t.Fatalf("keys import --hex with both lines on stdin: %v\n%s", err, errOut)
	}
	if !strings.Contains(errOut, `key "restored" holds the same address`) {
		t.Errorf("no note about the shared address: %q", errOut)
	}
	if _, _, err := keyring.Open(e.home).Unlock("viahex", func() (string, error) { return "from stdin", nil }); err != nil {
		t.Errorf("keys import --hex did not use the piped passphrase: %v", err)
	}

	// The raw key comes out only with --unsafe-hex, and then with a warning.
	if out := e.ok("", "keys", "export", "restored", "--passphrase-file", e.pass); strings.Contains(out, hexKey) {
		t.Error("keys export without --unsafe-hex printed the raw key")
	}
	out, errOut, err = e.run("", "keys", "export", "restored", "--unsafe-hex", "--passphrase-file", e.pass)
	if err != nil || out != hexKey+"\n" || !strings.Contains(errOut, "WARNING") {
		t.Errorf("keys export --unsafe-hex = %q, stderr %q, %v", out, errOut, err)
	}
	_, _, err = e.run("", "keys", "export", "restored", "--unsafe-hex", "--passphrase-file", e.wrong)
	if err == nil || !strings.Contains(err.Error(), `key "restored": wrong passphrase`) {
		t.Errorf("keys export --unsafe-hex with the wrong passphrase: %v", err)
	}

	for _, tc := range []struct{ stdin, want string }{
		{"", "no private key on stdin"},
		{"abc\n", "64 hex digits"},
		{strings.Repeat("zz", 32) + "\n", "not all hex digits"},
		{strings.Repeat("00", 32) + "\n", "not a valid secp256k1 key"},
	} {
		_, _, err := e.run(tc.stdin, "keys", "add", "bad", "--recover", "--light-kdf", "--passphrase-file", e.pass)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("keys add --recover with stdin %q: %v, want %q", tc.stdin, err, tc.want)
		}
	}
}

func TestKeysDelete(t *testing.T) {
	e := newKeysEnv(t)
	alice := e.add("alice")
	e.add("bob")

	_, _, err := e.run("alice\n", "keys", "delete", "alice")
	if err == nil || !strings.Contains(err.Error(), "no terminal to confirm on; pass --yes") {
		t.Errorf("keys delete without a terminal or --yes: %v", err)
	}
	_, _, err = e.run("", "keys", "delete", alice.Address.String(), "--yes")
	if err == nil || !strings.Contains(err.Error(), `is named "alice"`) {
		t.Errorf("keys delete ADDRESS: %v", err)
	}
	if _, err := os.Stat(alice.Path); err != nil {
		t.Fatalf("a refused delete removed the key: %v", err)
	}

	out := e.ok("", "keys", "delete", "alice", "--yes")
	if !strings.Contains(out, `Deleted key "alice"`) {
		t.Errorf("keys delete --yes: %q", out)
	}
	if _, err := os.Stat(alice.Path); !os.IsNotExist(err) {
		t.Errorf("%s still there: %v", alice.Path, err)
	}
	var keys []keyring.Key
	if err := json.Unmarshal([]byte(e.ok("", "keys", "list", "-o", "json")), &keys); err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || keys[0].Name != "bob" {
		t.Errorf("after delete, keys list = %+v", keys)
	}
}

func TestKeysErrors(t *testing.T) {
	e := newKeysEnv(t)
	e.add("alice")
	e.ok("", "keys", "add", "dev", "--test")
	existing := filepath.Join(t.TempDir(), "exists.json")
	if err := os.WriteFile(existing, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	emptyPass := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(emptyPass, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	notKeystore := filepath.Join(t.TempDir(), "notes.json")
	if err := os.WriteFile(notKeystore, []byte(`{"hello": "world"}`), 0o600); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		behaviour string
		stdin     string
		args      []string
		want      string
	}{
		{"show of an unknown key lists the keys there are", "", []string{"keys", "show", "carol"}, `key "carol": no such key in ` + e.home + " (have: alice, dev)"},
		{"export of an unknown key lists the keys there are", "", []string{"keys", "export", "carol"}, "(have: alice, dev)"},
		{"delete of an unknown key lists the keys there are", "", []string{"keys", "delete", "carol", "--yes"}, "(have: alice, dev)"},
		{"add refuses a duplicate name", "", []string{"keys", "add", "alice", "--light-kdf", "--passphrase-file", e.pass}, `a key named "alice" already exists`},
		{"add --test refuses a duplicate name", "", []string{"keys", "add", "alice", "--test"}, `a key named "alice" already exists`},
		{"import refuses a duplicate name", "", []string{"keys", "import", "dev", existing, "--passphrase-file", e.pass}, `a key named "dev" already exists`},
		{"add refuses a bad name", "", []string{"keys", "add", "my key", "--passphrase-file", e.pass}, `key name "my key": use 1 to 64 letters`},
		{"add refuses an address-like name", "", []string{"keys", "add", "0xabc", "--passphrase-file", e.pass}, "may not start with 0x"},
		{"add refuses an empty passphrase", "", []string{"keys", "add", "carol", "--light-kdf", "--passphrase-file", emptyPass}, "passphrase is empty"},
		{"add with no passphrase anywhere says where to give one", "", []string{"keys", "add", "carol", "--light-kdf"}, "use --passphrase-file or $LAZCHAIN_PASSPHRASE"},
		{"add names a missing passphrase file", "", []string{"keys", "add", "carol", "--passphrase-file", filepath.Join(e.home, "nope")}, "--passphrase-file"},
		{"add --test cannot be encrypted", "", []string{"keys", "add", "carol", "--test", "--light-kdf"}, "[light-kdf test]"},
		{"add wants a NAME", "", []string{"keys", "add"}, "NAME"},
		{"import names a missing file", "", []string{"keys", "import", "carol", filepath.Join(e.home, "missing.json"), "--passphrase-file", e.pass}, "FILE: open"},
		{"import refuses a file that is not a keystore", "", []string{"keys", "import", "carol", notKeystore, "--passphrase-file", e.pass}, "not a keystore v3 file"},
		{"import wants FILE or --hex", "", []string{"keys", "import", "carol"}, "or --hex"},
		{"import takes FILE or --hex, not both", "", []string{"keys", "import", "carol", existing, "--hex"}, "not both"},
		{"import --light-kdf needs --hex", "", []string{"keys", "import", "carol", existing, "--light-kdf"}, "--light-kdf applies only with --hex"},
		{"export --unsafe-hex with the wrong passphrase", "", []string{"keys", "export", "alice", "--unsafe-hex", "--passphrase-file", e.wrong}, `key "alice": wrong passphrase`},
		{"export never overwrites --out", "", []string{"keys", "export", "alice", "--out", existing}, "exists; remove it or pick another path"},
		{"list takes no arguments", "", []string{"keys", "list", "extra"}, "takes no arguments"},
		{"--output must be text or json", "", []string{"keys", "list", "-o", "yaml"}, `--output "yaml": want text or json`},
	} {
		t.Run(tc.behaviour, func(t *testing.T) {
			out, _, err := e.run(tc.stdin, tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("lazchain %s: error %v, want one containing %q (stdout %q)", strings.Join(tc.args, " "), err, tc.want, out)
			}
		})
	}

	var keys []keyring.Key
	if err := json.Unmarshal([]byte(e.ok("", "keys", "list", "-o", "json")), &keys); err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 {
		t.Errorf("failed commands changed the keyring: %+v", keys)
	}
}

func TestKeysHelp(t *testing.T) {
	e := newKeysEnv(t)
	for _, tc := range []struct {
		cmd  string
		want []string
	}{
		{"keys", []string{"keystore v3", "TEST-ONLY", "--passphrase-file"}},
		{"add", []string{"--light-kdf", "for tests", "--recover", "loses the key", "--test"}},
		{"list", []string{"TEST-ONLY"}},
		{"show", []string{"--address"}},
		{"import", []string{"--hex", "geth"}},
		{"export", []string{"--unsafe-hex", "--out", "0600"}},
		{"delete", []string{"--yes", "type the key's name"}},
	} {
		args := []string{"keys", tc.cmd, "--help"}
		if tc.cmd == "keys" {
			args = []string{"keys", "--help"}
		}
		out := e.ok("", args...)
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("lazchain %s lacks %q", strings.Join(args, " "), w)
			}
		}
	}
}
