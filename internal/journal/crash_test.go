//go:build unix

package journal

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Environment of a crash child: the test binary re-executed to append to
// a journal until its parent kills it.
const (
	envChildDir  = "JOURNAL_CRASH_CHILD_DIR"
	envChildMode = "JOURNAL_CRASH_CHILD_MODE"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(envChildDir); dir != "" {
		os.Exit(crashChild(dir, os.Getenv(envChildMode)))
	}
	os.Exit(m.Run())
}

// crashChild appends (and in modes other than "append", settles) entries
// forever, printing to stdout one line per acknowledged call:
//
//	A <seq> <data>   the append of seq is durable
//	T <seq>...       Done of these seqs starts (they may end up done)
//	D <seq>...       these seqs are durably done
//	H <stage>        a compaction reached stage (then it sleeps)
func crashChild(dir, mode string) int {
	opts := Options{}
	if mode != "append" {
		opts.CompactBytes = 32 << 10
	}
	if mode == "compact" {
		opts.compactHook = func(stage string) {
			fmt.Fprintf(os.Stdout, "H %s\n", stage)
			time.Sleep(100 * time.Millisecond)
		}
	}
	j, err := Open(dir, opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	printSeqs := func(tag string, seqs []uint64) {
		for len(seqs) > 0 {
			n := min(len(seqs), 64) // a line stays below PIPE_BUF: written whole
			var b strings.Builder
			b.WriteString(tag)
			for _, s := range seqs[:n] {
				fmt.Fprintf(&b, " %d", s)
			}
			b.WriteString("\n")
			os.Stdout.WriteString(b.String())
			seqs = seqs[n:]
		}
	}
	done := func(seqs []uint64) {
		printSeqs("T", seqs)
		if err := j.Done(seqs...); err != nil {
			fmt.Fprintln(os.Stderr, "child: Done:", err)
			os.Exit(3)
		}
		printSeqs("D", seqs)
	}
	if mode != "append" {
		// Settle half of what the last run left.
		var half []uint64
		for i, e := range j.Pending(0) {
			if i%2 == 0 {
				half = append(half, e.Seq)
			}
		}
		if len(half) > 0 {
			done(half)
		}
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []uint64
			for i := 0; ; i++ {
				data := fmt.Sprintf("g%d-i%d-%s", g, i, strings.Repeat("r", 40+i%50))
				seq, err := j.Append(context.Background(), []byte(data))
				if err != nil {
					fmt.Fprintln(os.Stderr, "child: Append:", err)
					os.Exit(3)
				}
				fmt.Fprintf(os.Stdout, "A %d %s\n", seq, data)
				if mode == "append" {
					continue
				}
				mine = append(mine, seq)
				if len(mine) == 8 {
					done(mine[:6])
					mine = mine[:0]
				}
			}
		}()
	}
	wg.Wait()
	return 0
}

// crashRound runs one child on dir, kills it with SIGKILL when kill says
// so after a line, and returns the lines it printed whole.
func crashRound(t *testing.T, dir, mode string, kill func(line string) bool) []string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envChildDir+"="+dir, envChildMode+"="+mode)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start child: %v", err)
	}
	killed := false
	timer := time.AfterFunc(30*time.Second, func() { cmd.Process.Signal(syscall.SIGKILL) })
	defer timer.Stop()
	var lines []string
	r := bufio.NewReader(out)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			if err != io.EOF {
				t.Fatalf("read child: %v", err)
			}
			break // a fragment without newline was never fully printed
		}
		line = strings.TrimSuffix(line, "\n")
		lines = append(lines, line)
		if !killed && kill(line) {
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatalf("kill child: %v", err)
			}
			killed = true
		}
	}
	err = cmd.Wait()
	if !killed {
		t.Fatalf("child (mode %s) ended before it was killed: %v\nstderr: %s", mode, err, stderr.String())
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child did not die of SIGKILL: %v\nstderr: %s", err, stderr.String())
	}
	return lines
}

// TestCrash kills child processes mid-stream, in appends, in Dones and in
// compactions, and checks after each kill that every acknowledged append
// not acknowledged done is pending with its data, that no acknowledged
// done is pending, and that seqs never go back.
func TestCrash(t *testing.T) {
	dir := t.TempDir()
	want := make(map[uint64]string)  // durable, not done
	doneSet := make(map[uint64]bool) // acknowledged done
	trying := make(map[uint64]bool)  // Done started: may be done
	var maxSeq uint64
	rounds := []struct {
		mode  string
		stage string // for "compact": kill in this compaction stage
	}{
		{"append", ""}, {"append", ""},
		{"done", ""}, {"done", ""}, {"done", ""},
		{"compact", "written"}, {"compact", "renamed"}, {"compact", "written"}, {"compact", "renamed"},
		{"append", ""},
	}
	for r, round := range rounds {
		n := 300 + rand.IntN(1500)
		hooks := 3 + rand.IntN(3) // past the compactions at start-up: one amid appends
		acks := 0
		kill := func(line string) bool {
			switch {
			case round.mode == "compact":
				if line == "H "+round.stage {
					hooks--
				}
				return hooks == 0
			case round.mode == "done":
				// Right after a Done returned, while others are under way.
				acks++
				return acks >= n && line[0] == 'D'
			default:
				acks++
				return acks >= n
			}
		}
		lines := crashRound(t, dir, round.mode, kill)
		roundMin := maxSeq
		appended, settled := 0, 0
		for _, line := range lines {
			f := strings.Fields(line)
			switch f[0] {
			case "A":
				seq, err := strconv.ParseUint(f[1], 10, 64)
				if err != nil {
					t.Fatalf("round %d: bad line %q", r, line)
				}
				if seq <= roundMin {
					t.Fatalf("round %d: seq %d acknowledged, not above %d seen before the crash", r, seq, roundMin)
				}
				want[seq] = f[2]
				maxSeq = max(maxSeq, seq)
				appended++
			case "D", "T":
				for _, s := range f[1:] {
					seq, err := strconv.ParseUint(s, 10, 64)
					if err != nil {
						t.Fatalf("round %d: bad line %q", r, line)
					}
					if f[0] == "T" {
						trying[seq] = true
						continue
					}
					delete(want, seq)
					doneSet[seq] = true
					settled++
				}
			}
		}
		if _, err := os.Stat(dir + "/" + tmpName); (err == nil) != (round.stage == "written") {
			t.Fatalf("round %d (%s %s): compaction file present: %v", r, round.mode, round.stage, err == nil)
		}
		j := mustOpen(t, dir, Options{})
		pending := make(map[uint64]string)
		for _, e := range j.Pending(0) {
			pending[e.Seq] = string(e.Data)
			maxSeq = max(maxSeq, e.Seq)
		}
		for seq, data := range want {
			got, ok := pending[seq]
			if !ok && trying[seq] {
				delete(want, seq) // done, the kill came before the child said so
				continue
			}
			if !ok {
				t.Fatalf("round %d (%s): acknowledged seq %d lost", r, round.mode, seq)
			}
			if got != data {
				t.Fatalf("round %d: seq %d holds %q, want %q", r, seq, got, data)
			}
		}
		for seq, data := range pending {
			if doneSet[seq] {
				t.Fatalf("round %d (%s): seq %d pending though acknowledged done", r, round.mode, seq)
			}
			want[seq] = data // durable even if unacknowledged: must stay
		}
		if _, err := os.Stat(dir + "/" + tmpName); err == nil {
			t.Fatalf("round %d: %s left after Open", r, tmpName)
		}
		st := j.Stats()
		t.Logf("round %d (%s %s): %d acked appends, %d acked dones, %d pending, torn %d bytes, log %d bytes",
			r, round.mode, round.stage, appended, settled, st.Pending, st.TornBytes, st.Bytes)
		if err := j.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
