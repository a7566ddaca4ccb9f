package node

import (
	"errors"
	"sync"

	dbm "github.com/cometbft/cometbft-db"
	cmtcfg "github.com/cometbft/cometbft/config"
)

// DBProvider is CometBFT's default database provider, except that the tx
// index is guarded (see guardedDB) and kept so that closeIndex can close it
// once the CometBFT node has stopped; CometBFT v1.0 never closes it, and the
// home could not be opened again in the same process.
func DBProvider() (provider cmtcfg.DBProvider, closeIndex func() error) {
	var mu sync.Mutex
	var dbs []dbm.DB
	provider = func(ctx *cmtcfg.DBContext) (dbm.DB, error) {
		db, err := cmtcfg.DefaultDBProvider(ctx)
		if err != nil || ctx.ID != "tx_index" {
			return db, err
		}
		g := &guardedDB{DB: db}
		mu.Lock()
		dbs = append(dbs, g)
		mu.Unlock()
		return g, nil
	}
	closeIndex = func() error {
		mu.Lock()
		defer mu.Unlock()
		var errs []error
		for _, db := range dbs {
			errs = append(errs, db.Close())
		}
		dbs = nil
		return errors.Join(errs...)
	}
	return provider, closeIndex
}

// errIndexClosed is what a write to the tx index gets after it was closed.
var errIndexClosed = errors.New("tx index closed")

// guardedDB wraps a node's tx index database. CometBFT v1.0 neither closes
// that database nor waits, when a node stops, for its indexer goroutine,
// which may be in the middle of writing a block; closing it under that
// goroutine panics inside pebble. With the guard, Close waits for writes in
// flight and later writes fail with an error instead.
type guardedDB struct {
	dbm.DB
	mu     sync.RWMutex
	closed bool
}

func (g *guardedDB) guard(fn func() error) error {
	g.mu.RLock()
	defer g.mu.RUnlock()
	if g.closed {
		return errIndexClosed
	}
	return fn()
}

func (g *guardedDB) Get(key []byte) (v []byte, err error) {
	err = g.guard(func() error { v, err = g.DB.Get(key); return err })
	return v, err
}

func (g *guardedDB) Has(key []byte) (ok bool, err error) {
	err = g.guard(func() error { ok, err = g.DB.Has(key); return err })
	return ok, err
}

func (g *guardedDB) Set(k, v []byte) error { return g.guard(func() error { return g.DB.Set(k, v) }) }
func (g *guardedDB) SetSync(k, v []byte) error {
	return g.guard(func() error { return g.DB.SetSync(k, v) })
}
func (g *guardedDB) Delete(k []byte) error { return g.guard(func() error { return g.DB.Delete(k) }) }
func (g *guardedDB) DeleteSync(k []byte) error {
	return g.guard(func() error { return g.DB.DeleteSync(k) })
}

func (g *guardedDB) NewBatch() dbm.Batch { return &guardedBatch{Batch: g.DB.NewBatch(), db: g} }

// Close waits for reads and writes in flight, then closes the database.
func (g *guardedDB) Close() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return nil
	}
	g.closed = true
	return g.DB.Close()
}

type guardedBatch struct {
	dbm.Batch
	db *guardedDB
}

func (b *guardedBatch) Write() error     { return b.db.guard(b.Batch.Write) }
func (b *guardedBatch) WriteSync() error { return b.db.guard(b.Batch.WriteSync) }
