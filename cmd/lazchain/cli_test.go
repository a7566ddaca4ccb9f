package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lazchain/lazchain/client"
	"github.com/lazchain/lazchain/keyring"
	"github.com/lazchain/lazchain/node/nodetest"
	"github.com/lazchain/lazchain/tx"
)

// run executes the CLI in-process and returns stdout, stderr and the error.
func run(t *testing.T, ctx context.Context, args ...string) (string, string, error) {
	t.Helper()
	root := newRootCmd()
	var out, errb bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errb)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	return out.String(), errb.String(), err
}

func mustRun(t *testing.T, ctx context.Context, args ...string) string {
	t.Helper()
	out, stderr, err := run(t, ctx, args...)
	if err != nil {
		t.Fatalf("lazchain %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, out, stderr)
	}
	return out
}

// The CLI drives a real node: init, genesis, start, send, every query, and
// the errors a person gets for bad input.
func TestCLIAgainstARealNode(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	home := t.TempDir()
	rpc := nodetest.FreeAddr(t)
	node := "tcp://" + rpc

	var initRes struct {
		ChainID string `json:"chain_id"`
		NodeID  string `json:"node_id"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, ctx, "init", "--home", home, "--chain-id", "cli-1", "--block-time", "100ms", "-o", "json")), &initRes); err != nil {
		t.Fatal(err)
	}
	if initRes.ChainID != "cli-1" {
		t.Fatalf("init: %+v", initRes)
	}
	if _, _, err := run(t, ctx, "init", "--home", home, "--chain-id", "cli-1"); err == nil || !strings.Contains(err.Error(), "already holds a node") {
		t.Fatalf("second init: %v", err)
	}
	kr := keyring.Open(home)
	alice, bob := tx.DeterministicKey("cli/alice"), tx.DeterministicKey("cli/bob")
	kr.StoreTest("alice", alice)
	kr.StoreTest("bob", bob)
	mustRun(t, ctx, "genesis", "add-account", "alice", "1000laz", "--home", home)

	nodeCtx, stopNode := context.WithCancel(ctx)
	startErr := make(chan error, 1)
	var startErrOut bytes.Buffer
	go func() {
		root := newRootCmd()
		root.SetOut(&bytes.Buffer{})
		root.SetErr(&startErrOut)
		root.SetArgs([]string{"start", "--home", home, "--rpc-addr", rpc, "--p2p-addr", nodetest.FreeAddr(t), "--api-addr", nodetest.FreeAddr(t)})
		startErr <- root.ExecuteContext(nodeCtx)
	}()
	c, _ := client.Dial(node)
	for {
		st, err := c.Status(ctx)
		if err == nil && st.LatestHeight >= 1 {
			break
		}
		select {
		case err := <-startErr:
			t.Fatalf("start ended: %v", err)
		case <-ctx.Done():
			t.Fatal("node never made a block")
		case <-time.After(50 * time.Millisecond):
		}
	}

	var res client.TxResult
	if err := json.Unmarshal([]byte(mustRun(t, ctx, "tx", "bank", "send", "alice", "bob", "12.5laz", "--home", home, "--node", node, "-o", "json")), &res); err != nil {
		t.Fatal(err)
	}
	if res.Code != 0 || res.Height == 0 || res.Signer != alice.Address().String() {
		t.Fatalf("send: %+v", res)
	}
	text := mustRun(t, ctx, "tx", "bank", "send", "alice", bob.Address().String(), "500ulaz", "--memo", "hi", "--home", home, "--node", node)
	for _, want := range []string{"committed in block", "code    0 (ok)", "transfer", "amount=500", `memo    "hi"`} {
		if !strings.Contains(text, want) {
			t.Fatalf("send text output lacks %q:\n%s", want, text)
		}
	}

	if out := mustRun(t, ctx, "query", "bank", "balance", "bob", "--home", home, "--node", node); !strings.Contains(out, "12.5005 LAZ (12500500 ulaz)") {
		t.Fatalf("balance: %s", out)
	}
	var txq client.TxResult
	json.Unmarshal([]byte(mustRun(t, ctx, "q", "tx", res.Hash, "--node", node, "-o", "json")), &txq)
	if txq.Height != res.Height || len(txq.Messages) != 1 || !strings.Contains(string(txq.Messages[0]), "lazchain.bank.v1.MsgSend") {
		t.Fatalf("query tx: %+v", txq)
	}
	var blk client.Block
	json.Unmarshal([]byte(mustRun(t, ctx, "q", "block", strconv.FormatInt(res.Height, 10), "--node", node, "-o", "json")), &blk)
	if blk.Height != res.Height || !contains(blk.TxHashes, res.Hash) {
		t.Fatalf("query block: %+v", blk)
	}
	var acct struct {
		Nonce        uint64 `json:"nonce"`
		PendingNonce uint64 `json:"pending_nonce"`
	}
	json.Unmarshal([]byte(mustRun(t, ctx, "q", "account", "alice", "--home", home, "--node", node, "-o", "json")), &acct)
	if acct.Nonce != 2 {
		t.Fatalf("alice nonce %+v", acct)
	}
	if out := mustRun(t, ctx, "q", "proof", "bank/balance/bob", "--home", home, "--node", node); !strings.Contains(out, "VERIFIED") || !strings.Contains(out, "12.5005 LAZ") {
		t.Fatalf("proof: %s", out)
	}
	if out := mustRun(t, ctx, "q", "proof", "bank/balance/0x000000000000000000000000000000000000dEaD", "--node", node); !strings.Contains(out, "absence proof") {
		t.Fatalf("absence proof: %s", out)
	}
	var sup struct {
		Supply string `json:"supply"`
	}
	json.Unmarshal([]byte(mustRun(t, ctx, "q", "bank", "supply", "--node", node, "-o", "json")), &sup)
	if sup.Supply != "1000000000" {
		t.Fatalf("supply %+v", sup)
	}
	var st struct {
		ChainID string `json:"chain_id"`
	}
	json.Unmarshal([]byte(mustRun(t, ctx, "status", "--node", node, "-o", "json")), &st)
	if st.ChainID != "cli-1" {
		t.Fatalf("status %+v", st)
	}
	if out := mustRun(t, ctx, "tx", "bank", "send", "alice", "bob", "1laz", "--async", "--home", home, "--node", node); !strings.Contains(out, "sent (not waiting") {
		t.Fatalf("async: %s", out)
	}

	// Bad input: each error names what was wrong.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"tx", "bank", "send", "alice", "bob", "12"}, "no unit"},
		{[]string{"tx", "bank", "send", "alice", "0x1234", "1laz"}, "TO:"},
		{[]string{"tx", "bank", "send", "alice", "bob", "0laz"}, "greater than zero"},
		{[]string{"tx", "bank", "send", "mallory", "bob", "1laz"}, "have: alice, bob"},
		{[]string{"tx", "bank", "send", "alice", "bob", "100000laz"}, "bank/2"},
		{[]string{"tx", "bank", "send", "alice", "bob", "1laz", "--gas", "lots"}, "--gas"},
		{[]string{"q", "bank", "balance", "nobody"}, "neither an address"},
		{[]string{"q", "tx", "abc"}, "64 hex digits"},
		{[]string{"q", "block", "0"}, "positive block height"},
		{[]string{"q", "proof", "bank/nothing"}, "want one of"},
		{[]string{"status", "-o", "yaml"}, "want text or json"},
		{[]string{"status", "--node", "ftp://x:1"}, "scheme"},
	} {
		args := append(c.args, "--home", home)
		if !contains(c.args, "--node") {
			args = append(args, "--node", node)
		}
		_, _, err := run(t, ctx, args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("lazchain %s: got %v, want an error saying %q", strings.Join(c.args, " "), err, c.want)
		}
	}

	stopNode()
	select {
	case err := <-startErr:
		if err != nil {
			t.Fatalf("start returned %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("start did not stop on cancel")
	}
	if !strings.Contains(startErrOut.String(), "Stopped cleanly") {
		t.Fatalf("start output: %s", startErrOut.String())
	}
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func TestQuietStdLogDropsOnlyPebbleReplay(t *testing.T) {
	var buf bytes.Buffer
	d := &dropLines{w: &buf, re: pebbleReplayRE}
	d.Write([]byte("2026/11/22 00:50:45 [JOB 1] WAL file /h/data/state.db/000002.log with log number 000002 stopped reading at offset: 35; replayed 1 keys in 1 batches\n"))
	d.Write([]byte("2026/11/22 00:50:45 pebble: background error: disk full\n"))
	if got := buf.String(); strings.Contains(got, "WAL file") || !strings.Contains(got, "disk full") {
		t.Fatalf("got %q", got)
	}
}
