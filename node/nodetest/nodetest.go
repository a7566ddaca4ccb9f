// Package nodetest starts real in-process nodes for tests: free loopback
// ports, a temporary home, a fast block time, and a stop at cleanup.
package nodetest

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/lazchain/lazchain/node"
	"github.com/lazchain/lazchain/x/bank"
)

// FreeAddr returns a loopback host:port that was free a moment ago.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// BlockTime is the block time of test nodes.
const BlockTime = 100 * time.Millisecond

// Init makes a home in a temporary directory for chainID with accounts funded.
func Init(t testing.TB, chainID string, accounts ...bank.Balance) string {
	t.Helper()
	home := t.TempDir()
	if _, err := node.Init(home, node.InitOptions{ChainID: chainID, Moniker: "test", BlockTime: BlockTime, Accounts: accounts}); err != nil {
		t.Fatal(err)
	}
	return home
}

// Start runs the node of home on free ports (overriding any addresses in o),
// waits for its first block and stops it when the test ends.
func Start(t testing.TB, home string, o node.StartOptions) *node.Node {
	t.Helper()
	o.RPCAddr, o.P2PAddr, o.APIAddr = FreeAddr(t), FreeAddr(t), FreeAddr(t)
	if o.BlockTime == 0 {
		o.BlockTime = BlockTime
	}
	n, err := node.Start(home, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Stop() })
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := n.WaitForHeight(ctx, 1); err != nil {
		t.Fatal(err)
	}
	return n
}
