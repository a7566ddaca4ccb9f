package app_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/lazchain/lazchain/app/apptest"
	"github.com/lazchain/lazchain/store"
	"github.com/lazchain/lazchain/tx"
)

// blocksOfSends makes blocks of valid and invalid transfers among many
// accounts, touching many keys per block (so any dependence on map order
// would show in the tree's shape).
func blocksOfSends(t *testing.T, keys []*tx.PrivateKey, n int) [][][]byte {
	r := rand.New(rand.NewPCG(7, 7))
	nonces := map[tx.Address]uint64{}
	var blocks [][][]byte
	for b := 0; b < n; b++ {
		var txs [][]byte
		for i := 0; i < 30; i++ {
			k := keys[r.IntN(len(keys))]
			to := keys[r.IntN(len(keys))].Address()
			if r.IntN(4) == 0 {
				to = tx.DeterministicKey(fmt.Sprintf("new-%d-%d", b, i)).Address()
			}
			amount := uint64(r.IntN(5_000_000)) // sometimes more than the balance
			txs = append(txs, apptest.Sign(t, k, apptest.TxSpec{Nonce: nonces[k.Address()], Fee: apptest.MinFee,
				Msgs: []proto.Message{apptest.Send(k.Address(), to, amount)}}))
			nonces[k.Address()]++
		}
		blocks = append(blocks, txs)
	}
	return blocks
}

// Two apps fed the same blocks reach the same app hash at every height, one
// in memory and one on disk, and an app restarted from disk halfway goes on
// to the same hashes.
func TestDeterministicAppHash(t *testing.T) {
	keys := make([]*tx.PrivateKey, 20)
	funds := map[tx.Address]uint64{}
	for i := range keys {
		keys[i] = tx.DeterministicKey(fmt.Sprintf("det-%d", i))
		funds[keys[i].Address()] = 3_000_000
	}
	genesis := apptest.Genesis(t, funds)
	blocks := blocksOfSends(t, keys, 20)

	mem := apptest.New(t, nil, genesis)
	dir := t.TempDir()
	tree, err := store.OpenTree(dir, store.TreeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	disk := apptest.New(t, tree, genesis)

	var hashes [][]byte
	failed := 0
	for i, txs := range blocks {
		resM, hm := mem.Block(txs...)
		resD, hd := disk.Block(txs...)
		if !bytes.Equal(hm, hd) {
			t.Fatalf("height %d: app hash %X in memory, %X on disk", i+1, hm, hd)
		}
		for j := range resM {
			if resM[j].Code != resD[j].Code || resM[j].GasUsed != resD[j].GasUsed {
				t.Fatalf("height %d tx %d: results differ: %v vs %v", i+1, j, resM[j], resD[j])
			}
			if resM[j].Code != 0 {
				failed++
			}
		}
		hashes = append(hashes, hm)
		if i == len(blocks)/2 {
			// Restart the disk app: close, reopen, go on.
			if err := tree.Close(); err != nil {
				t.Fatal(err)
			}
			if tree, err = store.OpenTree(dir, store.TreeOptions{}); err != nil {
				t.Fatal(err)
			}
			disk = apptest.New(t, tree, genesis)
			if disk.Height != int64(i+1) || !bytes.Equal(tree.Hash(), hm) {
				t.Fatalf("reopened at height %d hash %X, want %d %X", disk.Height, tree.Hash(), i+1, hm)
			}
		}
	}
	if failed == 0 || failed == len(blocks)*30 {
		t.Fatalf("the blocks should mix successes and failures (failed %d)", failed)
	}
	// Every committed version is still there and hashes as it did.
	for i, want := range hashes {
		snap, err := tree.At(int64(i + 1))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(snap.Hash(), want) {
			t.Fatalf("version %d hash %X, want %X", i+1, snap.Hash(), want)
		}
	}
	tree.Close()
}
