package store

import (
	"errors"
	"fmt"
	"sync"

	"github.com/cosmos/iavl"
	iavldb "github.com/cosmos/iavl/db"
)

// Tree is the versioned state: an IAVL tree on goleveldb. Writes go to the
// working version (through Working); Commit saves it as the next version.
// Only one goroutine (the consensus connection) writes; any number may read
// committed versions through Snapshot.
type Tree struct {
	db   iavldb.DB
	tree *iavl.MutableTree

	mu     sync.RWMutex // guards latest
	latest *Snapshot

	// holdMu guards holds, the versions open exports read (version →
	// number of exports), and serialises pruning with opening exports.
	holdMu sync.Mutex
	holds  map[int64]int
}

// release ends one export's hold on version.
func (t *Tree) release(version int64) {
	t.holdMu.Lock()
	defer t.holdMu.Unlock()
	if t.holds[version]--; t.holds[version] <= 0 {
		delete(t.holds, version)
	}
}

// TreeOptions tune the tree.
type TreeOptions struct {
	// CacheSize is the number of tree nodes kept in memory.
	CacheSize int
}

// OpenTree opens (or creates) the state database "state" in dir and loads
// the latest saved version.
func OpenTree(dir string, opts TreeOptions) (*Tree, error) {
	db, err := iavldb.NewGoLevelDB("state", dir)
	if err != nil {
		return nil, fmt.Errorf("open state db in %s: %w", dir, err)
	}
	t, err := NewTree(db, opts)
	if err != nil {
		db.Close()
		return nil, err
	}
	return t, nil
}

// NewTree loads the latest version from db; tests pass an in-memory db.
func NewTree(db iavldb.DB, opts TreeOptions) (*Tree, error) {
	if opts.CacheSize == 0 {
		opts.CacheSize = 500_000
	}
	mt := iavl.NewMutableTree(db, opts.CacheSize, false, iavl.NewNopLogger())
	if _, err := mt.Load(); err != nil {
		return nil, fmt.Errorf("load state tree: %w", err)
	}
	t := &Tree{db: db, tree: mt}
	snap, err := t.snapshot(mt.Version())
	if err != nil {
		return nil, err
	}
	t.latest = snap
	return t, nil
}

// NewMemTree is a tree in memory, for tests and benchmarks of the state
// machine alone.
func NewMemTree() *Tree {
	t, err := NewTree(iavldb.NewMemDB(), TreeOptions{CacheSize: 10_000})
	if err != nil {
		panic(err)
	}
	return t
}

// Version is the last saved version (the last committed height), 0 if none.
// It is safe to call while consensus commits.
func (t *Tree) Version() int64 { return t.Latest().Version() }

// Hash is the root hash of the last saved version.
func (t *Tree) Hash() []byte { return t.Latest().Hash() }

// WorkingHash is the root hash of the working version, with every write
// since the last Commit.
func (t *Tree) WorkingHash() []byte { return t.tree.WorkingHash() }

// Working is the writable view of the working version.
func (t *Tree) Working() KV { return (*workingKV)(t) }

// Rollback drops every write since the last Commit.
func (t *Tree) Rollback() { t.tree.Rollback() }

// Commit saves the working version and returns its hash and number.
func (t *Tree) Commit() ([]byte, int64, error) {
	hash, version, err := t.tree.SaveVersion()
	if err != nil {
		return nil, 0, fmt.Errorf("save state version: %w", err)
	}
	snap, err := t.snapshot(version)
	if err != nil {
		return nil, 0, err
	}
	t.mu.Lock()
	t.latest = snap
	t.mu.Unlock()
	return hash, version, nil
}

// Prune deletes every saved version up to and including version.
func (t *Tree) Prune(version int64) error {
	if version <= 0 {
		return nil
	}
	t.holdMu.Lock()
	defer t.holdMu.Unlock()
	oldest := int64(0)
	for held := range t.holds { // the minimum: order does not matter
		if oldest == 0 || held < oldest {
			oldest = held
		}
	}
	if oldest != 0 && oldest <= version {
		return fmt.Errorf("prune to version %d: version %d is held by an open export; it is pruned once the export is closed", version, oldest)
	}
	return t.tree.DeleteVersionsTo(version)
}

// Latest is the last committed version, safe to read concurrently with
// consensus writing the next one.
func (t *Tree) Latest() *Snapshot {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.latest
}

// ErrVersionMissing is returned for a version that was never saved or has
// been pruned.
var ErrVersionMissing = errors.New("state version not available")

// At is a committed version by number; 0 means the latest.
func (t *Tree) At(version int64) (*Snapshot, error) {
	latest := t.Latest()
	if version == 0 || version == latest.Version() {
		return latest, nil
	}
	if version < 0 || version > latest.Version() || !t.tree.VersionExists(version) {
		return nil, fmt.Errorf("%w: version %d (latest %d)", ErrVersionMissing, version, latest.Version())
	}
	return t.snapshot(version)
}

func (t *Tree) snapshot(version int64) (*Snapshot, error) {
	if version == 0 {
		return &Snapshot{}, nil
	}
	it, err := t.tree.GetImmutable(version)
	if err != nil {
		return nil, fmt.Errorf("load state version %d: %w", version, err)
	}
	return &Snapshot{tree: it}, nil
}

// Close closes the database.
func (t *Tree) Close() error {
	if err := t.tree.Close(); err != nil {
		return err
	}
	return t.db.Close()
}

// workingKV writes to the mutable tree.
type workingKV Tree

func (w *workingKV) Get(key []byte) []byte {
	v, err := w.tree.Get(key)
	if err != nil {
		fail("get", err)
	}
	return v
}

func (w *workingKV) Has(key []byte) bool { return w.Get(key) != nil }

func (w *workingKV) Set(key, value []byte) {
	checkValue(key, value)
	if _, err := w.tree.Set(key, value); err != nil {
		fail("set", err)
	}
}

func (w *workingKV) Delete(key []byte) {
	if _, _, err := w.tree.Remove(key); err != nil {
		fail("delete", err)
	}
}

func (w *workingKV) Iterator(start, end []byte) Iterator {
	it, err := w.tree.Iterator(start, end, true)
	if err != nil {
		fail("iterator", err)
	}
	return it
}
