package store

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"math"

	"github.com/cosmos/iavl"
	iavldb "github.com/cosmos/iavl/db"
)

// State snapshots for state sync.
//
// A snapshot stream is one version of the tree as iavl exports it: every
// node, leaves and inner nodes, in depth-first post-order, each with its key,
// value (leaves only), version and height. iavl's importer rebuilds the
// identical tree from that sequence, so the stream is exactly what it needs.
//
// Stream format 1, all integers unsigned varints unless said otherwise:
//
//	header:  "lazstate" (8 bytes), format (1 byte, = 1), tree version,
//	         leaf count, root hash length (1 byte), root hash
//	blocks:  payload length (> 0), payload, CRC-32C of the payload (4 bytes,
//	         big endian); a payload is a run of whole nodes:
//	         height (1 byte), version, key length, key,
//	         and for a leaf (height 0) value length, value
//	trailer: 0 (the length of no block), node count,
//	         SHA-256 over the header and every payload (32 bytes)
//
// The stream is a plain byte sequence with no alignment, so a caller can cut
// it into chunks of any size and join them again. The CRC refuses a damaged
// block before any of its nodes reach the importer; the trailer refuses a
// truncated, reordered or spliced stream before the import is committed; and
// after the import the rebuilt root hash must equal the one in the header
// (and, for ImportTrustedSnapshot, the app hash the caller trusts), since
// iavl hashes every node from its contents as it imports it.

// SnapshotFormat is the stream format ExportSnapshot writes and
// ImportSnapshot reads.
const SnapshotFormat = 1

const (
	snapshotMagic = "lazstate"
	// snapshotBlockSize is the payload size at which the writer closes a
	// block; a node larger than that gets a block of its own.
	snapshotBlockSize = 64 << 10
	// maxSnapshotBlock bounds a block (so one key/value pair) in a stream.
	maxSnapshotBlock = 1 << 30
	// maxSnapshotHash bounds the root hash length in a header.
	maxSnapshotHash = 64
)

var (
	// ErrSnapshotCorrupt is returned for a snapshot stream that is
	// truncated, damaged or not a stream of this format; fetch it again
	// from another source.
	ErrSnapshotCorrupt = errors.New("state snapshot is corrupt")
	// ErrSnapshotHashMismatch is returned when the imported tree's root
	// hash is not the expected one: the snapshot is not the state it
	// claims to be, and must not be used.
	ErrSnapshotHashMismatch = errors.New("state snapshot root hash mismatch")
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// SnapshotHeader is what a snapshot stream says about itself before its
// nodes. Nothing in it is trusted until the import checked it.
type SnapshotHeader struct {
	// Format is the stream format, SnapshotFormat.
	Format uint8
	// Version is the tree version (block height) the stream holds.
	Version int64
	// Leaves is the number of keys.
	Leaves int64
	// Hash is the root hash of the version: the app hash.
	Hash []byte
}

// ReadSnapshotHeader reads the header at the start of a snapshot stream, for
// a caller that wants to refuse a snapshot (wrong version, wrong hash) before
// fetching the rest of it.
func ReadSnapshotHeader(r io.Reader) (SnapshotHeader, error) {
	h, _, err := readSnapshotHeader(bufio.NewReader(r))
	return h, err
}

// Export is an open export of one committed version. While it is open the
// tree holds that version: a Prune that would delete it fails (and the
// version is pruned by a later Prune once the export is closed); versions
// before it can still be pruned, since they share no node it can reach
// that a later version does not also keep. Close it when done.
//
// The export reads the version through its own iavl tree over the same
// database, with its own node cache: iavl's working tree rewrites cached
// nodes' child pointers as it copies them on write (Node.clone), so an
// exporter walking nodes shared with it from another goroutine would race
// with every block.
type Export struct {
	tree    *Tree
	version int64
	hash    []byte
	leaves  int64
	exp     *iavl.Exporter
	written bool
}

// OpenExport opens an export of a committed version and holds that version
// until Close. Call it from the goroutine that commits and prunes (so the
// version cannot be pruned between the look-up and the hold); the stream
// itself can then be written from any goroutine with WriteTo while
// consensus goes on committing.
func (t *Tree) OpenExport(version int64) (*Export, error) {
	if version <= 0 {
		return nil, fmt.Errorf("export state version %d: only committed versions (1 and up) can be exported", version)
	}
	t.holdMu.Lock()
	defer t.holdMu.Unlock()
	if !t.tree.VersionExists(version) {
		return nil, fmt.Errorf("export state version %d: %w", version, ErrVersionMissing)
	}
	reader := iavl.NewMutableTree(t.db, exportCacheSize, true, iavl.NewNopLogger())
	imm, err := reader.GetImmutable(version)
	if err != nil {
		return nil, fmt.Errorf("export state version %d: %w", version, err)
	}
	exp, err := imm.Export()
	if err != nil {
		return nil, fmt.Errorf("export state version %d: %w", version, err)
	}
	if t.holds == nil {
		t.holds = map[int64]int{}
	}
	t.holds[version]++
	return &Export{tree: t, version: version, hash: imm.Hash(), leaves: imm.Size(), exp: exp}, nil
}

// exportCacheSize is the node cache of an export's own tree: it walks
// each node once, so a small cache serves.
const exportCacheSize = 10_000

// Version is the exported version.
func (e *Export) Version() int64 { return e.version }

// Hash is the root hash of the exported version.
func (e *Export) Hash() []byte { return e.hash }

// Close releases the version. It is safe to call more than once.
func (e *Export) Close() {
	if e.exp != nil {
		e.exp.Close()
		e.exp = nil
		e.tree.release(e.version)
	}
}

// WriteTo writes the version as a snapshot stream to w and returns the
// number of bytes written. It can be called once per Export.
func (e *Export) WriteTo(w io.Writer) (int64, error) {
	if e.exp == nil || e.written {
		return 0, fmt.Errorf("export state version %d: already written or closed: open a new export", e.version)
	}
	e.written = true
	sw := newSnapshotWriter(w)
	if err := sw.header(SnapshotHeader{Format: SnapshotFormat, Version: e.version, Leaves: e.leaves, Hash: e.hash}); err != nil {
		return sw.cw.n, fmt.Errorf("write state snapshot: %w", err)
	}
	var nodes, leaves int64
	for {
		n, err := e.exp.Next()
		if errors.Is(err, iavl.ErrorExportDone) {
			break
		}
		if err != nil {
			return sw.cw.n, fmt.Errorf("export state version %d: %w", e.version, err)
		}
		if n.Height < 0 || n.Version <= 0 {
			return sw.cw.n, fmt.Errorf("export state version %d: iavl exported a node with height %d and version %d", e.version, n.Height, n.Version)
		}
		if n.Height == 0 {
			leaves++
		}
		nodes++
		if err := sw.node(n); err != nil {
			return sw.cw.n, fmt.Errorf("write state snapshot: %w", err)
		}
	}
	// iavl's exporter stops silently when it cannot load a node: make sure
	// the whole tree went out.
	if leaves != e.leaves || nodes != nodeCount(e.leaves) {
		return sw.cw.n, fmt.Errorf("export state version %d: exported %d nodes and %d keys, the version has %d and %d: the version was pruned or the database failed during the export",
			e.version, nodes, leaves, nodeCount(e.leaves), e.leaves)
	}
	if err := sw.finish(); err != nil {
		return sw.cw.n, fmt.Errorf("write state snapshot: %w", err)
	}
	return sw.cw.n, nil
}

// snapshotWriter encodes a stream: header, then nodes, then finish.
type snapshotWriter struct {
	cw      *countingWriter
	bw      *bufio.Writer
	sum     hash.Hash
	block   []byte
	nodes   int64
	scratch [binary.MaxVarintLen64]byte
}

func newSnapshotWriter(w io.Writer) *snapshotWriter {
	cw := &countingWriter{w: w}
	return &snapshotWriter{cw: cw, bw: bufio.NewWriterSize(cw, 1<<20), sum: sha256.New(), block: make([]byte, 0, snapshotBlockSize+1024)}
}

func (sw *snapshotWriter) header(h SnapshotHeader) error {
	if len(h.Hash) > maxSnapshotHash {
		return fmt.Errorf("root hash of %d bytes", len(h.Hash))
	}
	b := []byte(snapshotMagic)
	b = append(b, h.Format)
	b = binary.AppendUvarint(b, uint64(h.Version))
	b = binary.AppendUvarint(b, uint64(h.Leaves))
	b = append(b, byte(len(h.Hash)))
	b = append(b, h.Hash...)
	sw.sum.Write(b)
	_, err := sw.bw.Write(b)
	return err
}

func (sw *snapshotWriter) node(n *iavl.ExportNode) error {
	sw.block = append(sw.block, byte(n.Height))
	sw.block = binary.AppendUvarint(sw.block, uint64(n.Version))
	sw.block = binary.AppendUvarint(sw.block, uint64(len(n.Key)))
	sw.block = append(sw.block, n.Key...)
	if n.Height == 0 {
		sw.block = binary.AppendUvarint(sw.block, uint64(len(n.Value)))
		sw.block = append(sw.block, n.Value...)
	}
	sw.nodes++
	if len(sw.block) >= snapshotBlockSize {
		return sw.flush()
	}
	return nil
}

func (sw *snapshotWriter) flush() error {
	if len(sw.block) == 0 {
		return nil
	}
	if len(sw.block) > maxSnapshotBlock {
		return fmt.Errorf("a key/value pair of %d bytes is larger than a snapshot block may be (%d)", len(sw.block), maxSnapshotBlock)
	}
	sw.sum.Write(sw.block)
	if _, err := sw.bw.Write(binary.AppendUvarint(sw.scratch[:0], uint64(len(sw.block)))); err != nil {
		return err
	}
	if _, err := sw.bw.Write(sw.block); err != nil {
		return err
	}
	if _, err := sw.bw.Write(binary.BigEndian.AppendUint32(sw.scratch[:0], crc32.Checksum(sw.block, crcTable))); err != nil {
		return err
	}
	sw.block = sw.block[:0]
	return nil
}

// finish writes the last block and the trailer and flushes.
func (sw *snapshotWriter) finish() error {
	if err := sw.flush(); err != nil {
		return err
	}
	trailer := binary.AppendUvarint(nil, 0)
	trailer = binary.AppendUvarint(trailer, uint64(sw.nodes))
	trailer = sw.sum.Sum(trailer)
	if _, err := sw.bw.Write(trailer); err != nil {
		return err
	}
	return sw.bw.Flush()
}

// nodeCount is the number of nodes of an AVL tree with leaves keys.
func nodeCount(leaves int64) int64 {
	if leaves == 0 {
		return 0
	}
	return 2*leaves - 1
}

// ExportSnapshot writes the committed version as a snapshot stream to w and
// returns its root hash. It reads an immutable version, so consensus may
// go on committing meanwhile; see OpenExport for holding the version
// against pruning.
func (t *Tree) ExportSnapshot(version int64, w io.Writer) (hash []byte, err error) {
	e, err := t.OpenExport(version)
	if err != nil {
		return nil, err
	}
	defer e.Close()
	if _, err := e.WriteTo(w); err != nil {
		return nil, err
	}
	return e.Hash(), nil
}

// ImportSnapshot rebuilds version from a snapshot stream into this tree,
// which must be empty (no committed version; uncommitted writes are
// dropped), with iavl's importer, and checks that the rebuilt root hash is
// the one the stream declares. On success the tree is at version, as if it
// had committed it. On failure nothing is left behind and the tree is
// still empty. The stream's own hash proves only that it was not damaged:
// to trust the state, use ImportTrustedSnapshot or compare Hash with a
// trusted app hash.
func (t *Tree) ImportSnapshot(version int64, r io.Reader) error {
	return t.importSnapshot(version, r, nil)
}

// ImportTrustedSnapshot is ImportSnapshot that also requires the root hash
// to equal appHash (the app hash of version that the caller trusts, e.g.
// from CometBFT's light client). A stream declaring another hash is refused
// before anything is imported.
func (t *Tree) ImportTrustedSnapshot(version int64, r io.Reader, appHash []byte) error {
	if len(appHash) == 0 {
		return fmt.Errorf("import state snapshot: no trusted app hash given: pass the app hash of height %d", version)
	}
	return t.importSnapshot(version, r, appHash)
}

func (t *Tree) importSnapshot(version int64, r io.Reader, want []byte) error {
	if version <= 0 {
		return fmt.Errorf("import state snapshot: version %d: only versions 1 and up can be imported", version)
	}
	if v := t.Version(); v != 0 {
		return fmt.Errorf("import state snapshot: the state is already at version %d: import only into an empty state (start from an empty data directory)", v)
	}
	t.tree.Rollback()
	br := bufio.NewReaderSize(r, 1<<20)
	hdr, sum, err := readSnapshotHeader(br)
	if err != nil {
		return fmt.Errorf("import state snapshot: %w", err)
	}
	if hdr.Version != version {
		return fmt.Errorf("import state snapshot: %w: it holds version %d, not %d", ErrSnapshotCorrupt, hdr.Version, version)
	}
	if want != nil && !bytes.Equal(hdr.Hash, want) {
		return fmt.Errorf("import state snapshot: %w: it declares root hash %X, the trusted app hash is %X", ErrSnapshotHashMismatch, hdr.Hash, want)
	}

	// The database of an empty tree holds at most a little iavl metadata.
	// Remember it: a failed import is undone by deleting every other key.
	keep, err := dbKeys(t.db, maxEmptyTreeKeys)
	if err != nil {
		return fmt.Errorf("import state snapshot: %w", err)
	}
	// Import through a tree of our own on the same database, so that a
	// failed import leaves nothing in the caches of the live tree; the
	// live tree loads the version only once it is known to be right.
	staging := iavl.NewMutableTree(t.db, 10_000, true, iavl.NewNopLogger())
	defer staging.Close()
	discard := func(cause error) error {
		if err := deleteKeysExcept(t.db, keep); err != nil {
			return fmt.Errorf("%w (and removing the partial import failed: %v; remove the data directory before retrying)", cause, err)
		}
		return cause
	}
	imp, err := staging.Import(version)
	if err != nil {
		return fmt.Errorf("import state snapshot: %w", err)
	}
	if err := readSnapshotNodes(br, hdr, sum, imp.Add); err != nil {
		imp.Close()
		return discard(fmt.Errorf("import state snapshot: %w", err))
	}
	if err := imp.Commit(); err != nil {
		imp.Close()
		return discard(fmt.Errorf("import state snapshot: commit: %w", err))
	}
	got := staging.Hash()
	if !bytes.Equal(got, hdr.Hash) {
		return discard(fmt.Errorf("import state snapshot: %w: the imported tree hashes to %X, the stream declares %X", ErrSnapshotHashMismatch, got, hdr.Hash))
	}
	if _, err := t.tree.LoadVersion(version); err != nil {
		return fmt.Errorf("import state snapshot: load imported version %d: %w (remove the data directory before retrying)", version, err)
	}
	snap, err := t.snapshot(version)
	if err != nil {
		return fmt.Errorf("import state snapshot: %w", err)
	}
	t.mu.Lock()
	t.latest = snap
	t.mu.Unlock()
	return nil
}

// maxEmptyTreeKeys bounds the keys the database of a tree with no version
// may hold (iavl's metadata); more means it is not empty.
const maxEmptyTreeKeys = 64

// dbKeys lists the keys of db, refusing a database with more than max.
func dbKeys(db iavldb.DB, max int) (map[string]bool, error) {
	it, err := db.Iterator(nil, nil)
	if err != nil {
		return nil, fmt.Errorf("read the state database: %w", err)
	}
	defer it.Close()
	keys := map[string]bool{}
	for ; it.Valid(); it.Next() {
		if len(keys) == max {
			return nil, fmt.Errorf("the state database has no committed version but holds more than %d entries (a crashed import?): start from an empty data directory", max)
		}
		keys[string(it.Key())] = true
	}
	if err := it.Error(); err != nil {
		return nil, fmt.Errorf("read the state database: %w", err)
	}
	return keys, nil
}

// deleteKeysExcept deletes every key of db but those in keep, a batch at a
// time (never while an iterator is open: an in-memory database would
// deadlock).
func deleteKeysExcept(db iavldb.DB, keep map[string]bool) error {
	var from []byte
	for {
		it, err := db.Iterator(from, nil)
		if err != nil {
			return err
		}
		var del [][]byte
		for ; it.Valid() && len(del) < 50_000; it.Next() {
			if !keep[string(it.Key())] {
				del = append(del, bytes.Clone(it.Key()))
			}
		}
		err = it.Error()
		it.Close()
		if err != nil {
			return err
		}
		if len(del) == 0 {
			return nil
		}
		b := db.NewBatch()
		for _, k := range del {
			if err := b.Delete(k); err != nil {
				b.Close()
				return err
			}
		}
		err = b.Write()
		b.Close()
		if err != nil {
			return err
		}
		from = del[len(del)-1]
	}
}

// readSnapshotHeader reads and checks a stream header and returns the
// running digest with the header in it.
func readSnapshotHeader(br *bufio.Reader) (SnapshotHeader, hash.Hash, error) {
	var h SnapshotHeader
	rec := &recordingReader{r: br}
	magic := make([]byte, len(snapshotMagic)+1)
	if _, err := io.ReadFull(rec, magic); err != nil {
		return h, nil, corrupt("header", err)
	}
	if string(magic[:len(snapshotMagic)]) != snapshotMagic {
		return h, nil, fmt.Errorf("%w: not a LazChain state snapshot", ErrSnapshotCorrupt)
	}
	h.Format = magic[len(snapshotMagic)]
	if h.Format != SnapshotFormat {
		return h, nil, fmt.Errorf("%w: stream format %d, this node reads format %d", ErrSnapshotCorrupt, h.Format, SnapshotFormat)
	}
	version, err := binary.ReadUvarint(rec)
	if err != nil {
		return h, nil, corrupt("header version", err)
	}
	leaves, err := binary.ReadUvarint(rec)
	if err != nil {
		return h, nil, corrupt("header key count", err)
	}
	if version == 0 || version > math.MaxInt64 || leaves > math.MaxInt64/2 {
		return h, nil, fmt.Errorf("%w: header gives version %d and %d keys", ErrSnapshotCorrupt, version, leaves)
	}
	hl, err := rec.ReadByte()
	if err != nil {
		return h, nil, corrupt("header hash", err)
	}
	if hl == 0 || hl > maxSnapshotHash {
		return h, nil, fmt.Errorf("%w: header root hash of %d bytes", ErrSnapshotCorrupt, hl)
	}
	h.Hash = make([]byte, hl)
	if _, err := io.ReadFull(rec, h.Hash); err != nil {
		return h, nil, corrupt("header hash", err)
	}
	h.Version, h.Leaves = int64(version), int64(leaves)
	sum := sha256.New()
	sum.Write(rec.buf)
	return h, sum, nil
}

// readSnapshotNodes reads the blocks and trailer after the header, checks
// them and the tree structure, and passes every node to add in order.
func readSnapshotNodes(br *bufio.Reader, hdr SnapshotHeader, sum hash.Hash, add func(*iavl.ExportNode) error) error {
	var (
		v             = newStructureCheck(hdr.Version)
		nodes, blocks int64
		crc           [4]byte
	)
	for {
		n, err := binary.ReadUvarint(br)
		if err != nil {
			return corrupt(fmt.Sprintf("block %d length", blocks), err)
		}
		if n == 0 {
			break
		}
		if n > maxSnapshotBlock {
			return fmt.Errorf("%w: block %d claims %d bytes", ErrSnapshotCorrupt, blocks, n)
		}
		// A fresh buffer per block: the importer keeps the keys and values
		// of nodes whose parents have not arrived yet.
		payload, err := readN(br, int(n))
		if err != nil {
			return corrupt(fmt.Sprintf("block %d", blocks), err)
		}
		if _, err := io.ReadFull(br, crc[:]); err != nil {
			return corrupt(fmt.Sprintf("block %d checksum", blocks), err)
		}
		if binary.BigEndian.Uint32(crc[:]) != crc32.Checksum(payload, crcTable) {
			return fmt.Errorf("%w: block %d fails its checksum", ErrSnapshotCorrupt, blocks)
		}
		sum.Write(payload)
		for p := payload; len(p) > 0; {
			node, rest, err := decodeSnapshotNode(p)
			if err != nil {
				return fmt.Errorf("%w: block %d: %v", ErrSnapshotCorrupt, blocks, err)
			}
			p = rest
			if err := v.add(node); err != nil {
				return fmt.Errorf("%w: node %d: %v", ErrSnapshotCorrupt, nodes, err)
			}
			if err := add(node); err != nil {
				return fmt.Errorf("%w: node %d refused by the importer: %v", ErrSnapshotCorrupt, nodes, err)
			}
			nodes++
		}
		blocks++
	}
	count, err := binary.ReadUvarint(br)
	if err != nil {
		return corrupt("trailer", err)
	}
	digest := make([]byte, sha256.Size)
	if _, err := io.ReadFull(br, digest); err != nil {
		return corrupt("trailer digest", err)
	}
	if !bytes.Equal(digest, sum.Sum(nil)) {
		return fmt.Errorf("%w: the stream digest does not match its contents", ErrSnapshotCorrupt)
	}
	if count != uint64(nodes) || nodes != nodeCount(hdr.Leaves) || v.leaves != hdr.Leaves {
		return fmt.Errorf("%w: %d nodes and %d keys read, the trailer declares %d nodes and the header %d keys (a tree of %d nodes)",
			ErrSnapshotCorrupt, nodes, v.leaves, count, hdr.Leaves, nodeCount(hdr.Leaves))
	}
	return v.done()
}

// decodeSnapshotNode decodes the node at the start of p.
func decodeSnapshotNode(p []byte) (*iavl.ExportNode, []byte, error) {
	height := int8(p[0])
	p = p[1:]
	if height < 0 {
		return nil, nil, fmt.Errorf("negative node height %d", height)
	}
	version, n := binary.Uvarint(p)
	if n <= 0 || version > math.MaxInt64 {
		return nil, nil, errors.New("bad node version")
	}
	p = p[n:]
	key, p, err := decodeBytes(p)
	if err != nil {
		return nil, nil, fmt.Errorf("key: %v", err)
	}
	node := &iavl.ExportNode{Key: key, Version: int64(version), Height: height}
	if height == 0 {
		if node.Value, p, err = decodeBytes(p); err != nil {
			return nil, nil, fmt.Errorf("value: %v", err)
		}
	}
	return node, p, nil
}

func decodeBytes(p []byte) (b, rest []byte, err error) {
	l, n := binary.Uvarint(p)
	if n <= 0 || l > uint64(len(p)-n) {
		return nil, nil, errors.New("bad length")
	}
	end := n + int(l)
	return p[n:end:end], p[end:], nil
}

// structureCheck follows the post-order node sequence as the importer will
// and refuses what would not make a valid search tree: iavl hashes neither
// the keys of inner nodes nor the order of leaves beyond their hashes, and
// its importer does not check them.
type structureCheck struct {
	version int64
	leaves  int64
	stack   []subtree
}

// maxPendingSubtrees bounds the structure check's stack (and so the
// importer's).
const maxPendingSubtrees = 256

type subtree struct {
	height   int8
	min, max []byte
}

func newStructureCheck(version int64) *structureCheck {
	return &structureCheck{version: version}
}

func (c *structureCheck) add(n *iavl.ExportNode) error {
	if n.Version < 1 || n.Version > c.version {
		return fmt.Errorf("node version %d outside 1..%d", n.Version, c.version)
	}
	if n.Height == 0 {
		if n.Value == nil {
			return errors.New("leaf without a value")
		}
		// In post-order a valid tree keeps at most one pending subtree per
		// level (heights fit an int8): more is a stream of loose leaves.
		if len(c.stack) >= maxPendingSubtrees {
			return fmt.Errorf("more than %d subtrees waiting for a parent", maxPendingSubtrees)
		}
		c.leaves++
		c.stack = append(c.stack, subtree{height: 0, min: n.Key, max: n.Key})
		return nil
	}
	k := len(c.stack)
	if k < 2 {
		return fmt.Errorf("inner node of height %d without two subtrees before it", n.Height)
	}
	left, right := c.stack[k-2], c.stack[k-1]
	if left.height >= n.Height || right.height >= n.Height || n.Height != max(left.height, right.height)+1 {
		return fmt.Errorf("inner node of height %d over subtrees of heights %d and %d", n.Height, left.height, right.height)
	}
	if d := int(left.height) - int(right.height); d < -1 || d > 1 {
		return fmt.Errorf("unbalanced inner node: subtrees of heights %d and %d", left.height, right.height)
	}
	// Lookups go left for keys below the node's key and right otherwise.
	if bytes.Compare(left.max, n.Key) >= 0 || bytes.Compare(n.Key, right.min) > 0 {
		return fmt.Errorf("inner node key %x does not separate its subtrees", n.Key)
	}
	c.stack = append(c.stack[:k-2], subtree{height: n.Height, min: left.min, max: right.max})
	return nil
}

func (c *structureCheck) done() error {
	if len(c.stack) > 1 {
		return fmt.Errorf("%w: the nodes form %d trees, not one", ErrSnapshotCorrupt, len(c.stack))
	}
	return nil
}

// readN reads exactly n bytes, growing the buffer as data arrives rather
// than trusting n up front.
func readN(r io.Reader, n int) ([]byte, error) {
	if n <= 1<<20 {
		b := make([]byte, n)
		_, err := io.ReadFull(r, b)
		return b, err
	}
	var buf bytes.Buffer
	got, err := io.CopyN(&buf, r, int64(n))
	if err == io.EOF && got < int64(n) {
		err = io.ErrUnexpectedEOF
	}
	return buf.Bytes(), err
}

func corrupt(what string, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: truncated in the %s", ErrSnapshotCorrupt, what)
	}
	if errors.Is(err, ErrSnapshotCorrupt) {
		return err
	}
	// binary.ReadUvarint's overflow error, or the reader's own error.
	return fmt.Errorf("%w: read %s: %v", ErrSnapshotCorrupt, what, err)
}

// recordingReader keeps the bytes read through it (the header, for the
// digest).
type recordingReader struct {
	r   *bufio.Reader
	buf []byte
}

func (r *recordingReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.buf = append(r.buf, p[:n]...)
	return n, err
}

func (r *recordingReader) ReadByte() (byte, error) {
	b, err := r.r.ReadByte()
	if err == nil {
		r.buf = append(r.buf, b)
	}
	return b, err
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
