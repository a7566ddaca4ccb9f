package node

import (
	"errors"
	"fmt"
	"log/slog"

	dbm "github.com/cometbft/cometbft-db"
	abci "github.com/cometbft/cometbft/abci/types"
	cmtcfg "github.com/cometbft/cometbft/config"
	sm "github.com/cometbft/cometbft/state"
	blockidxkv "github.com/cometbft/cometbft/state/indexer/block/kv"
	"github.com/cometbft/cometbft/state/txindex"
	txkv "github.com/cometbft/cometbft/state/txindex/kv"
	cmtstore "github.com/cometbft/cometbft/store"
	cmttypes "github.com/cometbft/cometbft/types"
)

// maxReindex bounds how far back repairIndex looks.
const maxReindex = 100_000

// repairIndex indexes the blocks that CometBFT committed but did not index
// before the process died. CometBFT v1.0 indexes a block's txs and events
// asynchronously after saving the block and its state, and nothing indexes
// them again on restart (tendermint/tendermint#3211): without this, the txs
// of the last block before a crash could never be looked up by hash,
// although they executed. It reads the saved blocks and FinalizeBlock
// responses and writes the kv index as CometBFT's indexer would. Blocks not
// yet in CometBFT's state are left alone: the handshake replays and indexes
// them. It returns the number of blocks indexed.
func repairIndex(cfg *cmtcfg.Config, log *slog.Logger) (int, error) {
	if cfg.TxIndex.Indexer != "kv" {
		return 0, nil
	}
	open := func(id string) (dbm.DB, error) {
		return cmtcfg.DefaultDBProvider(&cmtcfg.DBContext{ID: id, Config: cfg})
	}
	bsDB, err := open("blockstore")
	if err != nil {
		return 0, err
	}
	defer bsDB.Close()
	stDB, err := open("state")
	if err != nil {
		return 0, err
	}
	defer stDB.Close()
	idxDB, err := open("tx_index")
	if err != nil {
		return 0, err
	}
	defer idxDB.Close()

	blocks := cmtstore.NewBlockStore(bsDB)
	states := sm.NewStore(stDB, sm.StoreOptions{DiscardABCIResponses: cfg.Storage.DiscardABCIResponses})
	state, err := states.Load()
	if err != nil {
		return 0, fmt.Errorf("load CometBFT state: %w", err)
	}
	txIdx := txkv.NewTxIndex(idxDB)
	blockIdx := blockidxkv.New(dbm.NewPrefixDB(idxDB, []byte("block_events")))

	top := min(blocks.Height(), state.LastBlockHeight)
	// The indexer works through blocks in order, so below the highest
	// fully indexed block everything is indexed.
	var missing []int64
	for h := top; h >= 1 && h > top-maxReindex; h-- {
		done, err := indexed(h, blocks, blockIdx, txIdx)
		if err != nil {
			return 0, err
		}
		if done {
			break
		}
		missing = append(missing, h)
	}
	for i := len(missing) - 1; i >= 0; i-- {
		h := missing[i]
		if err := indexBlock(h, blocks, states, blockIdx, txIdx); err != nil {
			return len(missing) - 1 - i, err
		}
	}
	if len(missing) > 0 {
		log.Info("indexed blocks that were committed but not indexed before the last stop",
			"from", missing[len(missing)-1], "to", missing[0])
	}
	return len(missing), nil
}

// indexed reports whether block h's events and all its txs are indexed.
func indexed(h int64, blocks *cmtstore.BlockStore, blockIdx *blockidxkv.BlockerIndexer, txIdx *txkv.TxIndex) (bool, error) {
	ok, err := blockIdx.Has(h)
	if err != nil || !ok {
		return false, err
	}
	block, _ := blocks.LoadBlock(h)
	if block == nil {
		return false, fmt.Errorf("block %d is missing from the block store", h)
	}
	if len(block.Txs) == 0 {
		return true, nil
	}
	// CometBFT writes the block's events before its txs: check the txs.
	r, err := txIdx.Get(block.Txs[len(block.Txs)-1].Hash())
	return r != nil && r.Height == h, err
}

func indexBlock(h int64, blocks *cmtstore.BlockStore, states sm.Store, blockIdx *blockidxkv.BlockerIndexer, txIdx *txkv.TxIndex) error {
	block, _ := blocks.LoadBlock(h)
	if block == nil {
		return fmt.Errorf("block %d is missing from the block store", h)
	}
	resp, err := states.LoadFinalizeBlockResponse(h)
	if err != nil {
		return fmt.Errorf("results of block %d: %w", h, err)
	}
	if len(resp.TxResults) != len(block.Txs) {
		return errors.New("block and results disagree on the number of txs")
	}
	batch := txindex.NewBatch(int64(len(block.Txs)))
	for i, r := range resp.TxResults {
		if err := batch.Add(&abci.TxResult{Height: h, Index: uint32(i), Tx: block.Txs[i], Result: *r}); err != nil {
			return err
		}
	}
	if err := blockIdx.Index(cmttypes.EventDataNewBlockEvents{Height: h, Events: resp.Events, NumTxs: int64(len(block.Txs))}); err != nil {
		return fmt.Errorf("index block %d: %w", h, err)
	}
	if err := txIdx.AddBatch(batch); err != nil {
		return fmt.Errorf("index txs of block %d: %w", h, err)
	}
	return nil
}
