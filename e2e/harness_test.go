package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/lazchain/lazchain/client"
	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/bank"
)

// binary is the lazchain binary that TestMain builds for every test.
var binary string

func TestMain(m *testing.M) { os.Exit(buildAndRun(m)) }

// buildAndRun builds ./cmd/lazchain from the module root (the parent of
// this package's directory, where `go test` runs it) into a temporary
// directory, then runs the tests.
func buildAndRun(m *testing.M) int {
	dir, err := os.MkdirTemp("", "lazchain-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	binary = filepath.Join(dir, "lazchain")
	start := time.Now()
	build := exec.Command("go", "build", "-o", binary, "./cmd/lazchain")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: go build ./cmd/lazchain: %v\n%s", err, out)
		return 1
	}
	fmt.Fprintf(os.Stderr, "e2e: built %s in %s\n", binary, time.Since(start).Round(time.Millisecond))
	return m.Run()
}

// Test keys of every devnet, as `lazchain devnet` derives them.
var (
	alice = tx.DeterministicKey("devnet/alice")
	bob   = tx.DeterministicKey("devnet/bob")
	carol = tx.DeterministicKey("devnet/carol")
	dave  = tx.DeterministicKey("devnet/dave")
)

// devnetFunds is each test key's genesis balance in ulaz (1,000,000 LAZ).
const devnetFunds = 1_000_000 * tx.UnitsPerLAZ

// genesisSupply is the sum of the genesis balances in the devnet's
// genesis file: the test keys' and the demo iDAO's treasury.
func (d *devnet) genesisSupply() uint64 {
	d.t.Helper()
	doc, err := cmttypes.GenesisDocFromFile(filepath.Join(d.home, "config", "genesis.json"))
	if err != nil {
		d.t.Fatalf("read the devnet's genesis: %v", err)
	}
	var state struct {
		Bank bank.Genesis `json:"bank"`
	}
	if err := json.Unmarshal(doc.AppState, &state); err != nil {
		d.t.Fatalf("genesis app_state: %v", err)
	}
	var sum uint64
	for _, b := range state.Bank.Balances {
		v, err := tx.ParseBaseUnits(b.Amount)
		if err != nil {
			d.t.Fatalf("genesis balance of %s: %v", b.Address, err)
		}
		sum += v
	}
	if sum <= 3*devnetFunds {
		d.t.Fatalf("genesis supply %d: want the three test keys' %d and the demo treasury", sum, 3*devnetFunds)
	}
	return sum
}

// banner is what `lazchain devnet --output json` prints once it is up.
type banner struct {
	ChainID  string `json:"chain_id"`
	Home     string `json:"home"`
	Height   int64  `json:"height"`
	RPC      string `json:"rpc"`
	API      string `json:"api"`
	TestKeys []struct {
		Name    string     `json:"name"`
		Address tx.Address `json:"address"`
		Balance string     `json:"balance"`
	} `json:"test_keys"`
}

// devnet runs `lazchain devnet` on one home and set of ports, as often as a
// test starts it. Every run's stderr is appended to one log file, whose tail
// is printed if the test fails.
type devnet struct {
	t          *testing.T
	home       string
	rpc        string // host:port
	p2p        string
	api        string
	worker     string // the devnet worker's paid-call API
	jsonOutput bool
	logPath    string
	runs       int

	proc   *process // the running process, nil when none
	client *client.Client
	banner banner // of the latest run, with jsonOutput
}

// process is one run of the binary.
type process struct {
	cmd    *exec.Cmd
	stdout *lockedBuffer
	done   chan struct{} // closed once the process has exited
	err    error         // cmd.Wait's error, set before done is closed
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// newDevnet prepares a devnet in a new temporary directory, with free
// loopback ports. It does not start it. The test's cleanup kills whatever
// run is still going.
func newDevnet(t *testing.T, jsonOutput bool) *devnet {
	t.Helper()
	dir := t.TempDir()
	addrs := freeAddrs(t, 4)
	d := &devnet{
		t: t, home: filepath.Join(dir, "home"), rpc: addrs[0], p2p: addrs[1], api: addrs[2], worker: addrs[3],
		jsonOutput: jsonOutput, logPath: filepath.Join(dir, "devnet.stderr"),
	}
	t.Cleanup(d.cleanup)
	return d
}

// freeAddrs finds n distinct free loopback ports by listening on port 0;
// the listeners are closed only once all n are chosen.
func freeAddrs(t *testing.T, n int) []string {
	t.Helper()
	var out []string
	var lns []net.Listener
	defer func() {
		for _, l := range lns {
			l.Close()
		}
	}()
	for len(out) < n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("find a free port: %v", err)
		}
		lns = append(lns, l)
		addr := l.Addr().String()
		switch addr[strings.LastIndex(addr, ":")+1:] {
		case "26656", "26657", "8080", "8090": // a developer's own devnet may want these
			continue
		}
		out = append(out, addr)
	}
	return out
}

func (d *devnet) args() []string {
	args := []string{"devnet", "--home", d.home, "--rpc-addr", d.rpc, "--p2p-addr", d.p2p,
		"--api-addr", d.api, "--worker-listen", d.worker, "--block-time", "100ms"}
	if d.jsonOutput {
		args = append(args, "--output", "json")
	}
	return args
}

// start runs the devnet and returns once its RPC answers at height 1 or
// more (and, with jsonOutput, once it printed its banner).
func (d *devnet) start(ctx context.Context) {
	t := d.t
	t.Helper()
	if d.proc != nil {
		t.Fatalf("devnet run %d is still going", d.runs)
	}
	d.runs++
	logf, err := os.OpenFile(d.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(logf, "=== e2e run %d: lazchain %s\n", d.runs, strings.Join(d.args(), " "))
	cmd := exec.Command(binary, d.args()...)
	p := &process{cmd: cmd, stdout: &lockedBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.stdout, logf
	err = cmd.Start()
	logf.Close() // the child has its own descriptor
	if err != nil {
		t.Fatalf("start devnet: %v", err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	d.proc = p

	deadline := time.Now().Add(60 * time.Second)
	if d.jsonOutput {
		d.banner = d.waitBanner(ctx, deadline)
	} else {
		d.banner = d.waitTextBanner(ctx, deadline)
	}
	if d.client == nil {
		if d.client, err = client.Dial(d.rpc); err != nil {
			t.Fatal(err)
		}
		d.client.PollInterval = 20 * time.Millisecond
	}
	for {
		st, err := d.client.Status(ctx)
		if err == nil && st.LatestHeight >= 1 {
			return
		}
		if p.exited() {
			t.Fatalf("devnet run %d exited while starting: %v", d.runs, p.err)
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			t.Fatalf("devnet run %d: RPC %s did not reach height 1 in time (last: %v)", d.runs, d.rpc, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitBanner reads the JSON banner and checks it describes this devnet.
func (d *devnet) waitBanner(ctx context.Context, deadline time.Time) banner {
	t := d.t
	t.Helper()
	for {
		if line, ok := d.proc.stdout.firstLine(); ok {
			var b banner
			if err := json.Unmarshal(line, &b); err != nil {
				t.Fatalf("devnet --output json printed %q: %v", line, err)
			}
			if b.RPC != "http://"+d.rpc || b.API != "http://"+d.api || b.Home != d.home || b.ChainID == "" {
				t.Fatalf("devnet banner %+v does not match rpc %s, api %s, home %s", b, d.rpc, d.api, d.home)
			}
			want := []*tx.PrivateKey{alice, bob, carol, dave}
			if len(b.TestKeys) != len(want) {
				t.Fatalf("devnet banner lists %d test keys, want %d", len(b.TestKeys), len(want))
			}
			for i, k := range b.TestKeys {
				if k.Address != want[i].Address() {
					t.Fatalf("devnet banner: test key %s is %s, want %s", k.Name, k.Address, want[i].Address())
				}
			}
			return b
		}
		if d.proc.exited() {
			t.Fatalf("devnet run %d exited before printing its banner: %v", d.runs, d.proc.err)
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			t.Fatalf("devnet run %d printed no banner in time", d.runs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// bannerHeightRE is the height in the text banner of `lazchain devnet`.
var bannerHeightRE = regexp.MustCompile(`LazChain devnet is running: chain (\S+), height (\d+)`)

// waitTextBanner waits for the text banner and reads its chain id and
// height.
func (d *devnet) waitTextBanner(ctx context.Context, deadline time.Time) banner {
	t := d.t
	t.Helper()
	for {
		if m := d.proc.stdout.match(bannerHeightRE); m != nil {
			h, err := strconv.ParseInt(string(m[2]), 10, 64)
			if err != nil {
				t.Fatalf("devnet banner height %q: %v", m[2], err)
			}
			return banner{ChainID: string(m[1]), Height: h, Home: d.home}
		}
		if d.proc.exited() {
			t.Fatalf("devnet run %d exited before printing its banner: %v", d.runs, d.proc.err)
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			t.Fatalf("devnet run %d printed no banner in time", d.runs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill sends SIGKILL and waits for the process to be gone. The process
// must still have been running: an earlier exit is a failure.
func (d *devnet) kill() {
	t := d.t
	t.Helper()
	p := d.proc
	if p == nil {
		t.Fatal("kill: the devnet is not running")
	}
	if p.exited() {
		t.Fatalf("devnet run %d had already exited before it was killed: %v", d.runs, p.err)
	}
	if err := syscall.Kill(p.cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill -9 %d: %v", p.cmd.Process.Pid, err)
	}
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		t.Fatalf("devnet run %d is still there 10s after SIGKILL", d.runs)
	}
	d.proc = nil
	ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("devnet run %d ended with %v, not by SIGKILL", d.runs, p.cmd.ProcessState)
	}
}

// interrupt sends SIGINT (Ctrl-C) and waits for the process to exit,
// returning its exit code.
func (d *devnet) interrupt(timeout time.Duration) int {
	t := d.t
	t.Helper()
	p := d.proc
	if p == nil || p.exited() {
		t.Fatal("interrupt: the devnet is not running")
	}
	if err := syscall.Kill(p.cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatalf("kill -INT %d: %v", p.cmd.Process.Pid, err)
	}
	select {
	case <-p.done:
	case <-time.After(timeout):
		t.Fatalf("devnet run %d did not exit within %s of SIGINT", d.runs, timeout)
	}
	d.proc = nil
	return p.cmd.ProcessState.ExitCode()
}

// cleanup kills a run that is still going and, if the test failed, prints
// the tail of the devnet's stderr.
func (d *devnet) cleanup() {
	if p := d.proc; p != nil {
		if !p.exited() {
			_ = syscall.Kill(p.cmd.Process.Pid, syscall.SIGKILL)
		}
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			d.t.Errorf("devnet pid %d survived SIGKILL for 10s", p.cmd.Process.Pid)
		}
		d.proc = nil
	}
	if d.t.Failed() {
		d.t.Logf("tail of the devnet's stderr (%s):\n%s", d.logPath, d.stderrTail(60))
	}
}

// stderrTail is the last n lines of every run's stderr.
func (d *devnet) stderrTail(n int) string {
	bz, err := os.ReadFile(d.logPath)
	if err != nil {
		return fmt.Sprintf("(cannot read: %v)", err)
	}
	lines := strings.Split(strings.TrimRight(string(bz), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// stderr is all of the devnet's stderr so far.
func (d *devnet) stderr() string {
	bz, err := os.ReadFile(d.logPath)
	if err != nil {
		d.t.Fatal(err)
	}
	return string(bz)
}

// lockedBuffer collects a process's stdout; exec's copying goroutine writes
// while the test reads.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// firstLine is the first complete line written, without its newline.
func (b *lockedBuffer) firstLine() ([]byte, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	line, _, ok := bytes.Cut(b.buf.Bytes(), []byte("\n"))
	return bytes.Clone(line), ok
}

// match is re's first match in the output so far, with its submatches,
// or nil.
func (b *lockedBuffer) match(re *regexp.Regexp) [][]byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return re.FindSubmatch(b.buf.Bytes())
}
