package node

import (
	"errors"
	"sync"

	dbm "github.com/cometbft/cometbft-db"
	cmtcfg "github.com/cometbft/cometbft/config"
)

// DBProvider is CometBFT's default database provider, except that:
//
//   - the tx index is guarded (see guardedDB) and kept so that closeIndex can
//     close it once the CometBFT node has stopped; CometBFT v1.0 never closes
//     it, and the home could not be opened again in the same process;
//   - the block store is guarded so that a read after CometBFT closed it finds
//     nothing instead of panicking. When a node stops, the consensus reactor's
//     per-peer queryMaj23Routine can be asleep in the middle of a round; it
//     wakes after the switch and then the block store were closed and loads a
//     commit for a peer that was catching up, and pebble panics on the closed
//     database (the same race as tendermint's queryMaj23Routine panic on a
//     closed leveldb). "Not found" makes that routine skip the peer and exit.
func DBProvider() (provider cmtcfg.DBProvider, closeIndex func() error) {
	var mu sync.Mutex
	var dbs []dbm.DB
	provider = func(ctx *cmtcfg.DBContext) (dbm.DB, error) {
		db, err := cmtcfg.DefaultDBProvider(ctx)
		if err != nil {
			return db, err
		}
		switch ctx.ID {
		case "blockstore":
			return &guardedDB{DB: db, emptyAfterClose: true}, nil
		case "tx_index":
		default:
			return db, nil
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

// errIndexClosed is what a write to a guarded database gets after it was
// closed.
var errIndexClosed = errors.New("database closed")

// guardedDB wraps one of a node's databases. CometBFT v1.0 neither closes
// the tx index nor waits, when a node stops, for its indexer goroutine,
// which may be in the middle of writing a block; closing it under that
// goroutine panics inside pebble. With the guard, Close waits for reads and
// writes in flight and later ones fail with an error instead, or, with
// emptyAfterClose, later reads find nothing.
type guardedDB struct {
	dbm.DB
	emptyAfterClose bool
	mu              sync.RWMutex
	closed          bool
}

func (g *guardedDB) guard(fn func() error) error {
	g.mu.RLock()
	defer g.mu.RUnlock()
	if g.closed {
		return errIndexClosed
	}
	return fn()
}

// guardRead is guard for a read: with emptyAfterClose, a read after Close
// succeeds and finds nothing.
func (g *guardedDB) guardRead(fn func() error) error {
	err := g.guard(fn)
	if err == errIndexClosed && g.emptyAfterClose {
		return nil
	}
	return err
}

func (g *guardedDB) Get(key []byte) (v []byte, err error) {
	err = g.guardRead(func() error { v, err = g.DB.Get(key); return err })
	return v, err
}

func (g *guardedDB) Has(key []byte) (ok bool, err error) {
	err = g.guardRead(func() error { ok, err = g.DB.Has(key); return err })
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
