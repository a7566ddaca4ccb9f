package app_test

import (
	"context"
	"fmt"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	"google.golang.org/protobuf/proto"

	"github.com/lazchain/lazchain/app/apptest"
	"github.com/lazchain/lazchain/store"
	"github.com/lazchain/lazchain/tx"
)

// benchTxs pre-signs n transfers from accounts senders, in nonce order.
func benchTxs(b *testing.B, keys []*tx.PrivateKey, n int, firstNonce uint64) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		k := keys[i%len(keys)]
		nonce := firstNonce + uint64(i/len(keys))
		out[i] = apptest.Sign(b, k, apptest.TxSpec{Nonce: nonce, Fee: apptest.MinFee,
			Msgs: []proto.Message{apptest.Send(k.Address(), keys[(i+1)%len(keys)].Address(), 1)}})
	}
	return out
}

func benchKeys(n int) ([]*tx.PrivateKey, map[tx.Address]uint64) {
	keys := make([]*tx.PrivateKey, n)
	funds := map[tx.Address]uint64{}
	for i := range keys {
		keys[i] = tx.DeterministicKey(fmt.Sprint("bench-", i))
		funds[keys[i].Address()] = 1 << 40
	}
	return keys, funds
}

// BenchmarkBlockOfTransfers is the state machine's part of a block:
// FinalizeBlock (signatures already verified by CheckTx, as on a live node)
// and Commit, for blocks of 1000 transfers on a disk-backed tree. It reports
// transfers per second.
func BenchmarkBlockOfTransfers(b *testing.B) {
	keys, funds := benchKeys(500)
	tree, err := store.OpenTree(b.TempDir(), store.TreeOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer tree.Close()
	h := apptest.New(b, tree, apptest.Genesis(b, funds))
	h.Block()
	const perBlock = 1000
	blocks := make([][][]byte, b.N)
	for i := range blocks {
		blocks[i] = benchTxs(b, keys, perBlock, uint64(i*perBlock/len(keys)))
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// The mempool admits a block's txs before it is proposed.
		b.StopTimer()
		for _, raw := range blocks[i] {
			if r := h.Check(raw); r.Code != 0 {
				b.Fatal(r.Log)
			}
		}
		b.StartTimer()
		res, _ := h.Block(blocks[i]...)
		if res[0].Code != 0 {
			b.Fatal(res[0].Log)
		}
	}
	b.ReportMetric(float64(b.N*perBlock)/b.Elapsed().Seconds(), "tx/s")
}

// BenchmarkCheckTx is the mempool's admission of one new transfer,
// signature recovery included.
func BenchmarkCheckTx(b *testing.B) {
	keys, funds := benchKeys(1000)
	h := apptest.New(b, nil, apptest.Genesis(b, funds))
	h.Block()
	txs := benchTxs(b, keys, b.N, 0)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, _ := h.App.CheckTx(context.Background(), &abci.CheckTxRequest{Tx: txs[i], Type: abci.CHECK_TX_TYPE_CHECK})
		if r.Code != 0 {
			b.Fatal(r.Log)
		}
	}
}

// BenchmarkDecodeVerify is decoding and signature recovery alone.
func BenchmarkDecodeVerify(b *testing.B) {
	keys, _ := benchKeys(1)
	raw := benchTxs(b, keys, 1, 0)[0]
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d, err := tx.Decode(raw)
		if err != nil {
			b.Fatal(err)
		}
		if err := d.VerifySignature(apptest.ChainID); err != nil {
			b.Fatal(err)
		}
	}
}
