package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/lazchain/lazchain/keyring"
	"github.com/lazchain/lazchain/tx"
)

// envPassphrase, when set, is the passphrase of encrypted keys; for scripts.
const envPassphrase = "LAZCHAIN_PASSPHRASE"

const flagPassphraseFile = "passphrase-file"

func addPassphraseFlag(cmd *cobra.Command) {
	cmd.Flags().String(flagPassphraseFile, "", "read the key's passphrase from the first line of this file (else $"+envPassphrase+", else a prompt)")
}

// passphrase returns the source of a key's passphrase: --passphrase-file,
// then $LAZCHAIN_PASSPHRASE, then a prompt on the terminal (asked twice when
// confirm is set). It is only called when a key is actually encrypted.
func passphrase(cmd *cobra.Command, prompt string, confirm bool) keyring.Passphrase {
	return func() (string, error) {
		if path, _ := cmd.Flags().GetString(flagPassphraseFile); path != "" {
			bz, err := os.ReadFile(path)
			if err != nil {
				return "", fmt.Errorf("--%s: %w", flagPassphraseFile, err)
			}
			line, _, _ := strings.Cut(string(bz), "\n")
			return strings.TrimRight(line, "\r"), nil
		}
		if p, ok := os.LookupEnv(envPassphrase); ok {
			return p, nil
		}
		fd, ok := inputTerminal(cmd)
		if !ok {
			return readLine(cmd, prompt)
		}
		p, err := promptHidden(fd, prompt)
		if err != nil || !confirm {
			return p, err
		}
		again, err := promptHidden(fd, "Repeat the passphrase: ")
		if err != nil {
			return "", err
		}
		if again != p {
			return "", errors.New("the passphrases do not match")
		}
		return p, nil
	}
}

func promptHidden(fd int, prompt string) (string, error) {
	fmt.Fprint(os.Stderr, prompt)
	bz, err := term.ReadPassword(fd)
	fmt.Fprintln(os.Stderr)
	if err != nil {
		return "", fmt.Errorf("read passphrase: %w", err)
	}
	return string(bz), nil
}

// readLine reads a passphrase piped on stdin (no terminal to prompt on).
func readLine(cmd *cobra.Command, prompt string) (string, error) {
	line, err := readInputLine(cmd)
	if errors.Is(err, io.EOF) {
		return "", fmt.Errorf("%s no terminal to prompt on and nothing on stdin: use --%s or $%s", strings.TrimSpace(prompt), flagPassphraseFile, envPassphrase)
	}
	return line, err
}

// inputTerminal returns the file descriptor of the command's input when it
// is a terminal.
func inputTerminal(cmd *cobra.Command) (int, bool) {
	f, ok := cmd.InOrStdin().(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return 0, false
	}
	return int(f.Fd()), true
}

// maxInputLine bounds a line read from stdin (a passphrase, a hex key, a
// confirmation).
const maxInputLine = 64 << 10

// readInputLine reads one line from the command's input, without its line
// end. It reads a byte at a time, so nothing after the line is consumed: a
// second read in the same run (a passphrase piped after a private key) still
// finds its line. A buffered reader made per call would swallow it. It
// returns io.EOF when the input ends before any byte.
func readInputLine(cmd *cobra.Command) (string, error) {
	r := cmd.InOrStdin()
	var line []byte
	b := make([]byte, 1)
	for {
		n, err := r.Read(b)
		if n == 1 {
			if b[0] == '\n' {
				break
			}
			if len(line) == maxInputLine {
				return "", fmt.Errorf("read stdin: line longer than %d bytes", maxInputLine)
			}
			line = append(line, b[0])
		}
		if errors.Is(err, io.EOF) {
			if len(line) == 0 {
				return "", io.EOF
			}
			break
		}
		if err != nil {
			return "", fmt.Errorf("read stdin: %w", err)
		}
	}
	return strings.TrimRight(string(line), "\r"), nil
}

// signer resolves FROM (a key name or an address in the home's keyring) to a
// signer, unlocking it if needed.
func signer(cmd *cobra.Command, from string) (tx.Signer, keyring.Key, error) {
	kr := keyring.Open(homeFlag(cmd))
	s, key, err := kr.Signer(from, passphrase(cmd, fmt.Sprintf("Passphrase for key %q: ", from), false))
	if err != nil {
		return nil, keyring.Key{}, err
	}
	if key.TestOnly && !jsonOutput(cmd) {
		fmt.Fprintf(cmd.ErrOrStderr(), "note: signing with %s (%s), a %s\n", key.Name, key.Address, keyring.TestOnlyWarning)
	}
	return s, key, nil
}
