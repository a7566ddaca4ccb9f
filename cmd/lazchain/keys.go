package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/lazchain/lazchain/keyring"
	"github.com/lazchain/lazchain/tx"
)

const (
	flagLightKDF = "light-kdf"
	lightKDFHelp = "encrypt with light scrypt (N=4096 instead of 262144): fast, but far cheaper to brute-force; for tests and throwaway keys only, never for real funds"

	// lossWarning goes with every new encrypted key.
	lossWarning = "the key exists only in this file, encrypted under your passphrase: lose either one and the key, with everything it holds, is gone for good; nobody can recover it"
)

// keyOut is a key as printed: the stored facts and, where it matters, a
// warning.
type keyOut struct {
	keyring.Key
	Warning string `json:"warning,omitempty"`
}

func kdfOf(light bool) keyring.KDF {
	if light {
		return keyring.Light
	}
	return keyring.Standard
}

// keyKind says in a few words how a key is stored.
func keyKind(k keyring.Key) string {
	if k.TestOnly {
		return "TEST-ONLY (unencrypted)"
	}
	return "encrypted (keystore v3)"
}

// positional checks a command's arguments, naming the ones expected.
func positional(names ...string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) == len(names) {
			return nil
		}
		if len(names) == 0 {
			return fmt.Errorf("takes no arguments; got %q", args)
		}
		return fmt.Errorf("want %d argument(s), %s; got %d: %q", len(names), strings.Join(names, " "), len(args), args)
	}
}

func newKeysCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Manage account keys: add, list, show, import, export, delete",
		Long: `Manage the account keys in the home directory (--home).

  HOME/keys/NAME.json          encrypted keys: go-ethereum keystore v3 files
                               (scrypt + AES-128-CTR) that geth, MetaMask and
                               other Ethereum tools open as they are
  HOME/keyring-test/NAME.json  TEST-ONLY keys, stored unencrypted, as the
                               devnet makes them; never hold real funds there

A key's address is the Ethereum address of its secp256k1 key, so one key
signs for the same address on LazChain and on Ethereum. Commands take a key
by NAME, and show and export also by its 0x ADDRESS.

Passphrases come from --passphrase-file (its first line), else
$LAZCHAIN_PASSPHRASE, else a prompt on the terminal, else one line of stdin.`,
	}
	cmd.AddCommand(
		newKeysAddCmd(),
		newKeysListCmd(),
		newKeysShowCmd(),
		newKeysImportCmd(),
		newKeysExportCmd(),
		newKeysDeleteCmd(),
	)
	return cmd
}

func newKeysAddCmd() *cobra.Command {
	var light, recoverKey, test bool
	cmd := &cobra.Command{
		Use:   "add NAME",
		Short: "Create a key (or --recover one from its hex private key) and store it encrypted",
		Long: `Create a new random key named NAME and store it encrypted under a passphrase
in HOME/keys/NAME.json (a go-ethereum keystore v3 file).

The passphrase is asked twice on the terminal; scripts give it with
--passphrase-file or $LAZCHAIN_PASSPHRASE. Losing the passphrase or the file
loses the key and everything it holds: back the file up (it is safe to copy,
being encrypted) and keep the passphrase apart from it.

--recover stores an existing key instead: its private key, 64 hex digits, is
read from stdin (or asked for, hidden, on a terminal).

--light-kdf uses a much cheaper scrypt: quicker, but weaker against guessing;
for tests only. --test stores the key UNENCRYPTED in HOME/keyring-test, like
the devnet's keys: for test chains only.

NAME: 1 to 64 letters, digits, '_', '.' or '-', starting with a letter or
digit, not starting with 0x.`,
		Example: `  lazchain keys add alice
  lazchain keys add ci --passphrase-file ./pass.txt --light-kdf
  echo "$HEX_KEY" | lazchain keys add restored --recover --passphrase-file ./pass.txt`,
		Args: positional("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			kr := keyring.Open(homeFlag(cmd))
			if err := kr.CheckFree(name); err != nil {
				return err
			}
			var priv *tx.PrivateKey
			var err error
			if recoverKey {
				priv, err = readPrivateKey(cmd)
			} else {
				priv, err = tx.GenerateKey()
			}
			if err != nil {
				return err
			}
			var key keyring.Key
			if test {
				key, err = kr.StoreTest(name, priv)
			} else {
				key, err = storeEncrypted(cmd, kr, name, priv, kdfOf(light))
			}
			if err != nil {
				return err
			}
			verb := "Created"
			if recoverKey {
				verb = "Recovered"
			}
			noteSameAddress(cmd, kr, key)
			return emitStored(cmd, verb, key, light)
		},
	}
	cmd.Flags().BoolVar(&light, flagLightKDF, false, lightKDFHelp)
	cmd.Flags().BoolVar(&recoverKey, "recover", false, "store an existing key, read as 64 hex digits from stdin (or a hidden prompt) instead of making a new one")
	cmd.Flags().BoolVar(&test, "test", false, "store the key UNENCRYPTED in the test keyring (TEST-ONLY: for devnets, never for real funds)")
	addPassphraseFlag(cmd)
	cmd.MarkFlagsMutuallyExclusive("test", flagLightKDF)
	cmd.MarkFlagsMutuallyExclusive("test", flagPassphraseFile)
	return cmd
}

// storeEncrypted asks for a new passphrase (twice on a terminal) and stores
// priv under it.
func storeEncrypted(cmd *cobra.Command, kr *keyring.Keyring, name string, priv *tx.PrivateKey, kdf keyring.KDF) (keyring.Key, error) {
	p, err := passphrase(cmd, fmt.Sprintf("New passphrase for key %q: ", name), true)()
	if err != nil {
		return keyring.Key{}, err
	}
	if p == "" {
		return keyring.Key{}, fmt.Errorf("the passphrase is empty, which would leave key %q unprotected; give one with --%s, $%s or at the prompt", name, flagPassphraseFile, envPassphrase)
	}
	return kr.Store(name, priv, p, kdf)
}

// readPrivateKey reads a hex private key: hidden from a terminal, else one
// line of stdin. The key never appears in an error message.
func readPrivateKey(cmd *cobra.Command) (*tx.PrivateKey, error) {
	var s string
	var err error
	if fd, ok := inputTerminal(cmd); ok {
		s, err = promptHidden(fd, "Private key (64 hex digits): ")
	} else {
		s, err = readInputLine(cmd)
		if errors.Is(err, io.EOF) {
			return nil, errors.New("no private key on stdin: pipe its 64 hex digits in, or run on a terminal to be asked")
		}
	}
	if err != nil {
		return nil, err
	}
	s = strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(s), "0x"), "0X")
	if notHex := strings.Trim(s, "0123456789abcdefABCDEF") != ""; len(s) != 64 || notHex {
		what := fmt.Sprintf("%d characters", len(s))
		if notHex {
			what += ", not all hex digits"
		}
		return nil, fmt.Errorf("the private key read must be 64 hex digits (0x optional); got %s", what)
	}
	priv, err := tx.PrivateKeyFromHex(s)
	if err != nil {
		return nil, fmt.Errorf("the private key read is not a valid secp256k1 key: %w", err)
	}
	return priv, nil
}

// noteSameAddress tells, on stderr, which other keys hold key's address:
// that is allowed (a copy under a second name) but worth knowing.
func noteSameAddress(cmd *cobra.Command, kr *keyring.Keyring, key keyring.Key) {
	keys, err := kr.List()
	if err != nil {
		return
	}
	for _, other := range keys {
		if other.Address == key.Address && other.Name != key.Name {
			fmt.Fprintf(cmd.ErrOrStderr(), "note: key %q holds the same address %s\n", other.Name, key.Address)
		}
	}
}

// emitStored prints a key just stored, with what its owner must know.
func emitStored(cmd *cobra.Command, verb string, key keyring.Key, light bool) error {
	out := keyOut{Key: key, Warning: lossWarning}
	if key.TestOnly {
		out.Warning = keyring.TestOnlyWarning
	}
	return emit(cmd, out, func(w io.Writer) {
		fmt.Fprintf(w, "%s key %q\n  address  %s\n  file     %s\n", verb, key.Name, key.Address, key.Path)
		switch {
		case key.TestOnly:
			fmt.Fprintf(w, "  kind     %s\n\n*** %s ***\n", keyKind(key), keyring.TestOnlyWarning)
		case light:
			fmt.Fprintf(w, "  kind     %s, LIGHT scrypt (weak: for tests only)\n\n", keyKind(key))
		default:
			fmt.Fprintf(w, "  kind     %s\n\n", keyKind(key))
		}
		if !key.TestOnly {
			fmt.Fprintf(w, "IMPORTANT: %s.\nBack the file up (`lazchain keys export %s --out FILE`) and keep the passphrase apart from it.\n", lossWarning, key.Name)
		}
	})
}

func newKeysListCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the keys: name, address, and whether a key is TEST-ONLY",
		Long: `List every key in the home's keyring, sorted by name: encrypted keys from
HOME/keys and TEST-ONLY unencrypted keys from HOME/keyring-test. No
passphrase is needed: a keystore file states its address in the clear.

With --output json, prints an array of {name, address, test_only, path}.`,
		Args: positional(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			home := homeFlag(cmd)
			keys, err := keyring.Open(home).List()
			if err != nil {
				return err
			}
			if keys == nil {
				keys = []keyring.Key{}
			}
			return emit(cmd, keys, func(w io.Writer) {
				if len(keys) == 0 {
					fmt.Fprintf(w, "No keys in %s; make one with `lazchain keys add NAME`.\n", home)
					return
				}
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "NAME\tADDRESS\tKIND")
				anyTest := false
				for _, k := range keys {
					fmt.Fprintf(tw, "%s\t%s\t%s\n", k.Name, k.Address, keyKind(k))
					anyTest = anyTest || k.TestOnly
				}
				tw.Flush()
				if anyTest {
					fmt.Fprintf(w, "\nTEST-ONLY keys are stored unencrypted and publicly derivable; never hold real funds with them.\n")
				}
			})
		},
	}
}

func newKeysShowCmd() *cobra.Command {
	var addrOnly bool
	cmd := &cobra.Command{
		Use:   "show NAME|ADDRESS",
		Short: "Show a key's name, address, kind and file",
		Long: `Show one key, found by its name or its 0x address. No passphrase is needed.

--address prints only the address, for scripts:
  ADDR=$(lazchain keys show alice --address)`,
		Args: positional("NAME|ADDRESS"),
		RunE: func(cmd *cobra.Command, args []string) error {
			key, err := keyring.Open(homeFlag(cmd)).Get(args[0])
			if err != nil {
				return err
			}
			if addrOnly {
				return emit(cmd, map[string]tx.Address{"address": key.Address}, func(w io.Writer) {
					fmt.Fprintln(w, key.Address)
				})
			}
			out := keyOut{Key: key}
			if key.TestOnly {
				out.Warning = keyring.TestOnlyWarning
			}
			return emit(cmd, out, func(w io.Writer) {
				fmt.Fprintf(w, "name     %s\naddress  %s\nkind     %s\nfile     %s\n", key.Name, key.Address, keyKind(key), key.Path)
				if key.TestOnly {
					fmt.Fprintf(w, "\n*** %s ***\n", keyring.TestOnlyWarning)
				}
			})
		},
	}
	cmd.Flags().BoolVar(&addrOnly, "address", false, "print only the address")
	return cmd
}

func newKeysImportCmd() *cobra.Command {
	var fromHex, light bool
	cmd := &cobra.Command{
		Use:   "import NAME FILE | import NAME --hex",
		Short: "Import a keystore v3 file (geth, MetaMask, keys export) or a hex private key",
		Long: `Import a key under NAME.

With FILE: a go-ethereum keystore v3 JSON file, as written by geth account new,
MetaMask or 'lazchain keys export'. It is decrypted with its passphrase to
check it, then stored as it is: it keeps its passphrase and its scrypt cost.

With --hex: a raw private key, 64 hex digits, read from stdin (or asked for,
hidden, on a terminal); it is stored encrypted under a new passphrase, like
'keys add --recover'.`,
		Example: `  lazchain keys import bob ~/.ethereum/keystore/UTC--2024-01-01T00-00-00.000Z--0123...
  lazchain keys import bob backup.json --passphrase-file ./pass.txt
  echo "$HEX_KEY" | lazchain keys import carol --hex --passphrase-file ./pass.txt`,
		Args: func(cmd *cobra.Command, args []string) error {
			if fromHex {
				if len(args) == 2 {
					return fmt.Errorf("give either FILE or --hex, not both (got FILE %q)", args[1])
				}
				return positional("NAME")(cmd, args)
			}
			if len(args) == 1 {
				return fmt.Errorf("want the keystore FILE after NAME %q, or --hex to read a hex private key from stdin", args[0])
			}
			return positional("NAME", "FILE")(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			kr := keyring.Open(homeFlag(cmd))
			if err := kr.CheckFree(name); err != nil {
				return err
			}
			var key keyring.Key
			if fromHex {
				priv, err := readPrivateKey(cmd)
				if err != nil {
					return err
				}
				if key, err = storeEncrypted(cmd, kr, name, priv, kdfOf(light)); err != nil {
					return err
				}
			} else {
				if light {
					return fmt.Errorf("--%s applies only with --hex: an imported file keeps its own encryption", flagLightKDF)
				}
				file := args[1]
				bz, err := readKeystoreFile(file)
				if err != nil {
					return err
				}
				key, err = kr.Import(name, bz, passphrase(cmd, fmt.Sprintf("Passphrase of %s: ", file), false))
				if err != nil {
					return fmt.Errorf("FILE %s: %w", file, err)
				}
			}
			noteSameAddress(cmd, kr, key)
			return emitStored(cmd, "Imported", key, fromHex && light)
		},
	}
	cmd.Flags().BoolVar(&fromHex, "hex", false, "read a raw hex private key from stdin (or a hidden prompt) instead of a FILE")
	cmd.Flags().BoolVar(&light, flagLightKDF, false, "with --hex: "+lightKDFHelp)
	addPassphraseFlag(cmd)
	return cmd
}

func readKeystoreFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("FILE: %w", err)
	}
	defer f.Close()
	bz, err := io.ReadAll(io.LimitReader(f, keyring.MaxKeystoreSize+1))
	if err != nil {
		return nil, fmt.Errorf("FILE %s: %w", path, err)
	}
	return bz, nil
}

func newKeysExportCmd() *cobra.Command {
	var out string
	var unsafeHex, light bool
	cmd := &cobra.Command{
		Use:   "export NAME|ADDRESS [--out FILE]",
		Short: "Write a key as a keystore v3 JSON file (for backup, geth or MetaMask)",
		Long: `Write a key as a go-ethereum keystore v3 JSON file, to stdout or to --out
FILE (created with mode 0600; an existing file is never overwritten).

An encrypted key is written exactly as stored, still under its passphrase,
so no passphrase is asked. A TEST-ONLY key is encrypted on the way out under
a new passphrase (asked twice on a terminal); it stays a publicly derivable
test key all the same.

The raw private key is never printed, unless --unsafe-hex is given: then it
is written as 64 hex digits (after asking an encrypted key's passphrase),
with a warning on stderr. Anyone who sees it owns the account.

Without --out, the keystore JSON itself is the output, with --output json too.`,
		Example: `  lazchain keys export alice --out alice-backup.json
  lazchain keys export alice > alice.json
  lazchain keys export alice --unsafe-hex --passphrase-file ./pass.txt`,
		Args: positional("NAME|ADDRESS"),
		RunE: func(cmd *cobra.Command, args []string) error {
			kr := keyring.Open(homeFlag(cmd))
			if unsafeHex {
				return exportHex(cmd, kr, args[0], out)
			}
			bz, key, err := kr.Export(args[0], passphrase(cmd, fmt.Sprintf("New passphrase to encrypt the export of test key %q: ", args[0]), true), kdfOf(light))
			if err != nil {
				return err
			}
			if key.TestOnly {
				fmt.Fprintf(cmd.ErrOrStderr(), "note: %q is a TEST-ONLY key, publicly derivable: the exported file is encrypted, but never hold real funds with this key\n", key.Name)
			}
			if out == "" {
				if !strings.HasSuffix(string(bz), "\n") {
					bz = append(bz, '\n')
				}
				_, err := cmd.OutOrStdout().Write(bz)
				return err
			}
			if err := writeSecretFile(out, bz); err != nil {
				return err
			}
			return emit(cmd, map[string]any{"name": key.Name, "address": key.Address, "out": out, "format": "keystore-v3"}, func(w io.Writer) {
				fmt.Fprintf(w, "Wrote key %q (%s) to %s as a keystore v3 file (encrypted). Import it with `lazchain keys import NAME %s`.\n", key.Name, key.Address, out, out)
			})
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "write to this file (mode 0600, must not exist) instead of stdout")
	cmd.Flags().BoolVar(&unsafeHex, "unsafe-hex", false, "UNSAFE: write the raw private key as hex instead of an encrypted file")
	cmd.Flags().BoolVar(&light, flagLightKDF, false, "for a test key: "+lightKDFHelp)
	addPassphraseFlag(cmd)
	cmd.MarkFlagsMutuallyExclusive("unsafe-hex", flagLightKDF)
	return cmd
}

// exportHex writes a key's raw private key, loudly.
func exportHex(cmd *cobra.Command, kr *keyring.Keyring, nameOrAddr, out string) error {
	priv, key, err := kr.Unlock(nameOrAddr, passphrase(cmd, fmt.Sprintf("Passphrase for key %q: ", nameOrAddr), false))
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "WARNING: writing the UNENCRYPTED private key of %q (%s). Anyone who sees it controls the account; keep it off screens, logs and shell history.\n", key.Name, key.Address)
	if out != "" {
		if err := writeSecretFile(out, []byte(priv.Hex()+"\n")); err != nil {
			return err
		}
		return emit(cmd, map[string]any{"name": key.Name, "address": key.Address, "out": out, "format": "hex"}, func(w io.Writer) {
			fmt.Fprintf(w, "Wrote the raw private key of %q (%s) to %s.\n", key.Name, key.Address, out)
		})
	}
	return emit(cmd, map[string]any{"name": key.Name, "address": key.Address, "private_key": priv.Hex()}, func(w io.Writer) {
		fmt.Fprintln(w, priv.Hex())
	})
}

// writeSecretFile creates path with mode 0600; it never replaces a file.
func writeSecretFile(path string, bz []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("--out %s: the file exists; remove it or pick another path", path)
	}
	if err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	if _, err := f.Write(bz); err != nil {
		f.Close()
		os.Remove(path)
		return fmt.Errorf("--out %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return fmt.Errorf("--out %s: %w", path, err)
	}
	return nil
}

func newKeysDeleteCmd() *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete a key from the keyring (asks you to type its name)",
		Long: `Delete the key NAME: its file is removed. Unless you kept a copy
('lazchain keys export NAME --out FILE'), the key and everything it holds
are lost.

You are asked to type the key's name to confirm. Without a terminal to ask on
the command refuses, unless --yes is given.`,
		Args: positional("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			kr := keyring.Open(homeFlag(cmd))
			key, err := kr.Get(name)
			if err != nil {
				return err
			}
			if key.Name != name {
				return fmt.Errorf("delete takes a key name, not an address: the key at %s is named %q", key.Address, key.Name)
			}
			if !yes {
				if _, ok := inputTerminal(cmd); !ok {
					return fmt.Errorf("not deleting key %q: no terminal to confirm on; pass --yes to delete without asking", name)
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "Delete key %q (%s, %s)?\nWithout a backup, the key and everything it holds are lost.\nType the key name to confirm: ", key.Name, key.Address, key.Path)
				typed, err := readInputLine(cmd)
				if err != nil && !errors.Is(err, io.EOF) {
					return err
				}
				if strings.TrimSpace(typed) != key.Name {
					return fmt.Errorf("not deleting key %q: the confirmation typed was %q, not the key name", key.Name, typed)
				}
			}
			if _, err := kr.Delete(key.Name); err != nil {
				return fmt.Errorf("delete key %q: %w", key.Name, err)
			}
			return emit(cmd, map[string]any{"deleted": key}, func(w io.Writer) {
				fmt.Fprintf(w, "Deleted key %q (%s); removed %s\n", key.Name, key.Address, key.Path)
			})
		},
	}
	cmd.Flags().BoolVar(&yes, "yes", false, "delete without asking for confirmation (for scripts)")
	return cmd
}
