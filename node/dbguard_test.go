package node

import (
	"errors"
	"testing"

	cmtcfg "github.com/cometbft/cometbft/config"
)

// TestGuardedDatabasesAfterClose checks what CometBFT's goroutines that
// outlive a node's stop see: the block store finds nothing, the tx index
// refuses writes, and neither panics inside pebble.
func TestGuardedDatabasesAfterClose(t *testing.T) {
	cfg := cmtcfg.DefaultConfig()
	cfg.SetRoot(t.TempDir())
	cfg.DBBackend = "pebbledb"
	provider, closeIndex := DBProvider()

	blocks, err := provider(&cmtcfg.DBContext{ID: "blockstore", Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	index, err := provider(&cmtcfg.DBContext{ID: "tx_index", Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	state, err := provider(&cmtcfg.DBContext{ID: "state", Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := state.(*guardedDB); ok {
		t.Fatal("the state database is guarded; only the block store and tx index need it")
	}
	defer state.Close()

	if err := blocks.Set([]byte("k"), []byte("v")); err != nil {
		t.Fatal(err)
	}
	if v, err := blocks.Get([]byte("k")); err != nil || string(v) != "v" {
		t.Fatalf("block store before close: %q, %v", v, err)
	}
	if err := blocks.Close(); err != nil {
		t.Fatal(err)
	}
	if v, err := blocks.Get([]byte("k")); err != nil || v != nil {
		t.Fatalf("block store read after close = %q, %v; want nothing and no error", v, err)
	}
	if ok, err := blocks.Has([]byte("k")); err != nil || ok {
		t.Fatalf("block store Has after close = %v, %v", ok, err)
	}
	if err := blocks.Set([]byte("k"), []byte("w")); !errors.Is(err, errIndexClosed) {
		t.Fatalf("block store write after close: %v, want %v", err, errIndexClosed)
	}
	if err := blocks.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}

	if err := index.Set([]byte("k"), []byte("v")); err != nil {
		t.Fatal(err)
	}
	if err := closeIndex(); err != nil {
		t.Fatal(err)
	}
	if _, err := index.Get([]byte("k")); !errors.Is(err, errIndexClosed) {
		t.Fatalf("tx index read after close: %v, want %v", err, errIndexClosed)
	}
	b := index.NewBatch()
	if err := b.Set([]byte("a"), []byte("b")); err != nil {
		t.Fatal(err)
	}
	if err := b.Write(); !errors.Is(err, errIndexClosed) {
		t.Fatalf("tx index batch after close: %v", err)
	}
}
