package node_test

import (
	"context"
	"encoding/hex"
	"testing"
	"time"

	"github.com/lazchain/lazchain/client"
	"github.com/lazchain/lazchain/node"
	"github.com/lazchain/lazchain/node/nodetest"
	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/bank"
)

// TestProveLight verifies state proofs through CometBFT's light client:
// from a header trusted on first use, from a pinned header hash, and with
// the verified headers kept on disk; a wrong trusted hash is refused.
func TestProveLight(t *testing.T) {
	alice := tx.DeterministicKey("alice")
	home := nodetest.Init(t, "light-1", bank.Balance{Address: alice.Address(), Amount: "1000000000"})
	n := nodetest.Start(t, home, node.StartOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := n.Client
	if _, err := c.Send(ctx, alice, tx.DeterministicKey("bob").Address(), 5_000_000, client.TxOptions{}); err != nil {
		t.Fatal(err)
	}
	key := bank.BalanceStoreKey(tx.DeterministicKey("bob").Address())
	store := t.TempDir()
	pv, info, err := c.ProveLight(ctx, key, 0, client.LightOptions{Primary: n.RPCURL(), StoreDir: store})
	if err != nil {
		t.Fatal(err)
	}
	if !info.TrustedOnFirstUse || info.TrustedHeight != 1 || bank.DecodeAmount(pv.Value) != 5_000_000 || pv.SignedPower != pv.TotalPower {
		t.Fatalf("light proof %+v %+v", pv, info)
	}
	b1, err := c.Block(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if info.TrustedHash != b1.Hash {
		t.Fatalf("trusted hash %s, block 1 is %s", info.TrustedHash, b1.Hash)
	}
	pinned, err := hex.DecodeString(b1.Hash)
	if err != nil {
		t.Fatal(err)
	}
	// Later blocks, then a proof from the pinned header, reusing the store.
	if err := n.WaitForHeight(ctx, pv.HeaderHeight+3); err != nil {
		t.Fatal(err)
	}
	pv2, info2, err := c.ProveLight(ctx, key, 0, client.LightOptions{Primary: n.RPCURL(), TrustHash: pinned, StoreDir: store})
	if err != nil {
		t.Fatal(err)
	}
	if info2.TrustedOnFirstUse || pv2.HeaderHeight <= pv.HeaderHeight {
		t.Fatalf("second light proof %+v %+v", pv2, info2)
	}
	wrong := append([]byte(nil), pinned...)
	wrong[0] ^= 1
	if _, _, err := c.ProveLight(ctx, key, 0, client.LightOptions{Primary: n.RPCURL(), TrustHash: wrong}); err == nil {
		t.Fatal("a wrong trusted hash was accepted")
	}
}
