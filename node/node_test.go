package node_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lazchain/lazchain/client"
	"github.com/lazchain/lazchain/node"
	"github.com/lazchain/lazchain/node/nodetest"
	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/auth"
	"github.com/lazchain/lazchain/x/bank"
)

func startNode(t *testing.T, home string) *node.Node {
	t.Helper()
	n, err := node.Start(home, node.StartOptions{
		RPCAddr: nodetest.FreeAddr(t), P2PAddr: nodetest.FreeAddr(t), APIAddr: nodetest.FreeAddr(t),
		BlockTime: 100 * time.Millisecond, CheckInvariants: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestNodeSendQueryProveRestart(t *testing.T) {
	home := t.TempDir()
	alice := tx.DeterministicKey("alice")
	bob := tx.DeterministicKey("bob")
	_, err := node.Init(home, node.InitOptions{ChainID: "test-1", Moniker: "t",
		BlockTime: 100 * time.Millisecond,
		Accounts:  []bank.Balance{{Address: alice.Address(), Amount: "1000000000"}}})
	if err != nil {
		t.Fatal(err)
	}
	n := startNode(t, home)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	if err := n.WaitForHeight(ctx, 1); err != nil {
		t.Fatal(err)
	}
	c, err := client.Dial(n.RPCURL())
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Send(ctx, alice, bob.Address(), 12_500_000, client.TxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Code != 0 || res.Height == 0 {
		t.Fatalf("send result %+v", res)
	}
	bal, _, err := c.Balance(ctx, bob.Address(), 0)
	if err != nil || bal != 12_500_000 {
		t.Fatalf("bob balance %d, %v", bal, err)
	}
	fee, _ := tx.ParseBaseUnits(res.Fee)
	abal, _, _ := c.Balance(ctx, alice.Address(), 0)
	if abal != 1_000_000_000-12_500_000-fee {
		t.Fatalf("alice balance %d, fee %d", abal, fee)
	}

	// A second send with a stale nonce is refused by CheckTx with its code.
	zero := uint64(0)
	_, err = c.Send(ctx, alice, bob.Address(), 1, client.TxOptions{Nonce: &zero, GasLimit: 100000})
	if !errors.Is(err, auth.ErrNonceUsed) {
		t.Fatalf("stale nonce: got %v", err)
	}

	pv, err := c.Prove(ctx, bank.BalanceStoreKey(bob.Address()), 0)
	if err != nil {
		t.Fatal(err)
	}
	if bank.DecodeAmount(pv.Value) != 12_500_000 {
		t.Fatalf("proven value %x", pv.Value)
	}
	absent, err := c.Prove(ctx, bank.BalanceStoreKey(tx.DeterministicKey("nobody").Address()), 0)
	if err != nil || absent.Value != nil {
		t.Fatalf("absence proof: %+v %v", absent, err)
	}

	st, err := c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Stop(); err != nil {
		t.Fatal(err)
	}
	n2 := startNode(t, home)
	defer n2.Stop()
	c2, _ := client.Dial(n2.RPCURL())
	// The restarted node goes on from where it stopped.
	for {
		st2, err := c2.Status(ctx)
		if err == nil && st2.LatestHeight > st.LatestHeight {
			break
		}
		if ctx.Err() != nil {
			t.Fatal("restarted node makes no blocks")
		}
		time.Sleep(50 * time.Millisecond)
	}
	bal2, _, err := c2.Balance(ctx, bob.Address(), 0)
	if err != nil || bal2 != 12_500_000 {
		t.Fatalf("after restart bob balance %d, %v", bal2, err)
	}
	got, err := c2.Tx(ctx, res.Hash)
	if err != nil || got.Height != res.Height {
		t.Fatalf("tx after restart: %+v %v", got, err)
	}
	b, err := c2.Block(ctx, st.LatestHeight)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println("block", b.Height, b.AppHash)
}

// A tx whose block was committed but never indexed (the process died before
// CometBFT's asynchronous indexer wrote it) is indexed at the next start.
func TestUnindexedBlocksAreIndexedAtStart(t *testing.T) {
	home := t.TempDir()
	alice := tx.DeterministicKey("alice")
	if _, err := node.Init(home, node.InitOptions{ChainID: "idx-1", BlockTime: 50 * time.Millisecond,
		Accounts: []bank.Balance{{Address: alice.Address(), Amount: "1000000000"}}}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	n := startNode(t, home)
	if err := n.WaitForHeight(ctx, 1); err != nil {
		t.Fatal(err)
	}
	var hashes []string
	var heights []int64
	for i := 0; i < 3; i++ {
		res, err := n.Client.Send(ctx, alice, tx.DeterministicKey("bob").Address(), 1000, client.TxOptions{})
		if err != nil {
			t.Fatal(err)
		}
		hashes, heights = append(hashes, res.Hash), append(heights, res.Height)
	}
	if err := n.Stop(); err != nil {
		t.Fatal(err)
	}
	// Lose the whole index, as if the indexer had written none of it.
	entries, _ := os.ReadDir(filepath.Join(home, "data"))
	removed := false
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "tx_index") {
			os.RemoveAll(filepath.Join(home, "data", e.Name()))
			removed = true
		}
	}
	if !removed {
		t.Fatalf("no tx index in %v", entries)
	}
	n2 := startNode(t, home)
	defer n2.Stop()
	for i, h := range hashes {
		got, err := n2.Client.Tx(ctx, h)
		if err != nil {
			t.Fatalf("tx %d after restart: %v", i, err)
		}
		if got.Height != heights[i] || got.Code != 0 || len(got.Events) == 0 {
			t.Fatalf("tx %d after restart: %+v", i, got)
		}
	}
}
