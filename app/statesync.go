package app

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/lazchain/lazchain/store"
)

// State sync snapshots.
//
// A snapshot of height H (format 1) is the state tree's version H as a
// store snapshot stream (see store.Tree.ExportSnapshot), cut into chunks of
// SnapshotOptions.ChunkSize bytes. Its metadata is the SHA-256 of every
// chunk, concatenated; its hash is the SHA-256 of the metadata. On disk it
// is Dir/<H>/<n> for chunk n plus Dir/<H>/metadata, written in a temporary
// directory and renamed into place, so a listed snapshot is always whole.
//
// Snapshots are taken after Commit at heights divisible by Interval, in a
// background goroutine, one at a time: if the previous one is still being
// written when the next is due, the next is skipped. The goroutine reads an
// immutable version of the tree through a store.Export opened in Commit
// itself, before any later Commit can prune that version; while the export
// is open the tree refuses to delete the version (a Prune covering it fails and
// is retried by the next Commit's Prune), so Options.KeepVersions cannot
// pull the version from under the export.
//
// Restoring (a new node, empty state): OfferSnapshot accepts a format 1
// snapshot and remembers the app hash CometBFT's light client trusts for
// that height; ApplySnapshotChunk checks every chunk against the
// snapshot's metadata (a bad chunk is fetched again from another peer and
// its sender rejected), checks from the first chunk that the stream claims
// the trusted app hash, appends chunks to a temporary file (the state may
// not fit in memory), and after the last one imports the stream into the
// tree, which verifies the rebuilt root hash against the trusted app hash.
// A snapshot that does not rebuild that state is rejected and the tree is
// left empty. After a restore Info reports the snapshot's height and hash.

// SnapshotFormat is the only snapshot format this app takes and serves.
const SnapshotFormat = 1

// DefaultSnapshotChunkSize is the chunk size when SnapshotOptions.ChunkSize
// is zero.
const DefaultSnapshotChunkSize = 4 << 20

// DefaultSnapshotKeepRecent is the number of snapshots kept when
// SnapshotOptions.KeepRecent is zero.
const DefaultSnapshotKeepRecent = 2

const (
	minSnapshotChunkSize = 1 << 10
	// CometBFT refuses chunk messages over 16e6 bytes.
	maxSnapshotChunkSize = 15 << 20
	// CometBFT refuses snapshot messages over 4e6 bytes: leave room for
	// the rest of the message around the metadata.
	maxSnapshotMetadata = 3_900_000
	snapshotMetaFile    = "metadata"
	snapshotTmpPrefix   = ".tmp-"
	restoreTmpPrefix    = ".restore-"
)

// SnapshotOptions configure state sync snapshots.
type SnapshotOptions struct {
	// Dir holds the snapshots, one directory per height, and the chunks of
	// a snapshot being restored. It is created if missing.
	Dir string
	// Interval takes a snapshot after committing every height divisible by
	// it. Zero takes none: the app can still restore from peers' snapshots.
	Interval uint64
	// KeepRecent is how many of the latest snapshots are kept; older ones
	// are deleted. Zero means DefaultSnapshotKeepRecent.
	KeepRecent int
	// ChunkSize is the size in bytes of a chunk (the last one may be
	// smaller), from 1 KiB to 15 MiB. Zero means DefaultSnapshotChunkSize.
	ChunkSize int
}

// snapshotter is the snapshot state of an App: the options, the snapshot
// being taken, and the snapshot being restored.
type snapshotter struct {
	opts SnapshotOptions
	log  *slog.Logger

	mu      sync.Mutex // guards running
	running bool
	wg      sync.WaitGroup

	restoreMu sync.Mutex // guards restore
	restore   *restoring
}

// restoring is a snapshot accepted by OfferSnapshot whose chunks are
// arriving.
type restoring struct {
	height  int64
	hashes  [][]byte // of each chunk, from the metadata
	appHash []byte   // trusted, from CometBFT
	next    uint32   // index of the next chunk expected
	file    *os.File
	senders map[string]bool
}

// snapshotMeta is the metadata file of a snapshot on disk.
type snapshotMeta struct {
	Height  int64    `json:"height"`
	Format  uint32   `json:"format"`
	AppHash []byte   `json:"app_hash"`
	Size    int64    `json:"size"`
	Chunks  [][]byte `json:"chunk_hashes"`
}

// EnableSnapshots turns on state sync: taking snapshots (if o.Interval is
// set) and restoring from them. Call it once, after New and before the node
// starts. Without it the app neither serves nor restores snapshots.
func (a *App) EnableSnapshots(o SnapshotOptions) error {
	if a.snap != nil {
		return fmt.Errorf("snapshots are already enabled (in %s): call EnableSnapshots once", a.snap.opts.Dir)
	}
	if o.Dir == "" {
		return fmt.Errorf("snapshots: a directory is required")
	}
	if o.ChunkSize == 0 {
		o.ChunkSize = DefaultSnapshotChunkSize
	}
	if o.ChunkSize < minSnapshotChunkSize || o.ChunkSize > maxSnapshotChunkSize {
		return fmt.Errorf("snapshots: chunk size %d out of range: use %d to %d bytes", o.ChunkSize, minSnapshotChunkSize, maxSnapshotChunkSize)
	}
	if o.KeepRecent == 0 {
		o.KeepRecent = DefaultSnapshotKeepRecent
	}
	if o.KeepRecent < 0 {
		return fmt.Errorf("snapshots: keep-recent %d is negative: use 0 for the default (%d) or a positive count", o.KeepRecent, DefaultSnapshotKeepRecent)
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return fmt.Errorf("snapshots: create %s: %w", o.Dir, err)
	}
	// Remove what a crash left half-written.
	entries, err := os.ReadDir(o.Dir)
	if err != nil {
		return fmt.Errorf("snapshots: read %s: %w", o.Dir, err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), snapshotTmpPrefix) || strings.HasPrefix(e.Name(), restoreTmpPrefix) {
			if err := os.RemoveAll(filepath.Join(o.Dir, e.Name())); err != nil {
				return fmt.Errorf("snapshots: remove leftover %s: %w", e.Name(), err)
			}
		}
	}
	a.snap = &snapshotter{opts: o, log: a.log.With("module", "statesync")}
	return nil
}

// WaitSnapshots blocks until the snapshot being written, if any, is done.
// Call it before closing the state tree.
func (a *App) WaitSnapshots() {
	if a.snap != nil {
		a.snap.wg.Wait()
	}
}

// snapshotAfterCommit starts a snapshot of height if one is due. Commit
// calls it right after saving height, on the consensus connection.
func (a *App) snapshotAfterCommit(height int64) {
	s := a.snap
	if s == nil || s.opts.Interval == 0 || height <= 0 || uint64(height)%s.opts.Interval != 0 {
		return
	}
	s.mu.Lock()
	if s.running {
		s.mu.Unlock()
		s.log.Warn("skipping snapshot: the previous one is still being written", "height", height)
		return
	}
	s.running = true
	s.mu.Unlock()
	// Opened here, before the next Commit can prune the version.
	exp, err := a.tree.OpenExport(height)
	if err != nil {
		s.setIdle()
		s.log.Error("snapshot failed", "height", height, "err", err)
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer s.setIdle()
		defer exp.Close()
		if err := s.write(exp); err != nil {
			s.log.Error("snapshot failed", "height", height, "err", err)
			return
		}
		if err := s.prune(); err != nil {
			s.log.Error("deleting old snapshots failed", "err", err)
		}
	}()
}

func (s *snapshotter) setIdle() {
	s.mu.Lock()
	s.running = false
	s.mu.Unlock()
}

// write writes exp as the snapshot of its version, unless that snapshot
// exists already.
func (s *snapshotter) write(exp *store.Export) error {
	height := exp.Version()
	final := filepath.Join(s.opts.Dir, strconv.FormatInt(height, 10))
	if _, err := readSnapshotMeta(final); err == nil {
		return nil
	}
	tmp, err := os.MkdirTemp(s.opts.Dir, snapshotTmpPrefix+strconv.FormatInt(height, 10)+"-")
	if err != nil {
		return fmt.Errorf("create snapshot directory: %w", err)
	}
	defer os.RemoveAll(tmp) // a no-op once renamed
	cw := &chunkWriter{dir: tmp, size: s.opts.ChunkSize, buf: make([]byte, 0, s.opts.ChunkSize)}
	size, err := exp.WriteTo(cw)
	if err != nil {
		return err
	}
	if err := cw.flush(); err != nil {
		return err
	}
	if len(cw.hashes)*sha256.Size > maxSnapshotMetadata {
		return fmt.Errorf("state of %d bytes makes %d chunks, more than a snapshot can list: raise the snapshot chunk size", size, len(cw.hashes))
	}
	meta, err := json.Marshal(snapshotMeta{Height: height, Format: SnapshotFormat, AppHash: exp.Hash(), Size: size, Chunks: cw.hashes})
	if err != nil {
		return fmt.Errorf("encode snapshot metadata: %w", err)
	}
	if err := writeFileSync(filepath.Join(tmp, snapshotMetaFile), meta); err != nil {
		return err
	}
	if err := os.RemoveAll(final); err != nil {
		return fmt.Errorf("remove incomplete snapshot %s: %w", final, err)
	}
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("move snapshot into place: %w", err)
	}
	if err := syncDir(s.opts.Dir); err != nil {
		return err
	}
	s.log.Info("snapshot taken", "height", height, "chunks", len(cw.hashes), "bytes", size, "app_hash", fmt.Sprintf("%X", exp.Hash()))
	return nil
}

// prune deletes all snapshots but the KeepRecent latest.
func (s *snapshotter) prune() error {
	heights, err := s.heights()
	if err != nil {
		return err
	}
	for i, h := range heights {
		if i < s.opts.KeepRecent {
			continue
		}
		if err := os.RemoveAll(filepath.Join(s.opts.Dir, strconv.FormatInt(h, 10))); err != nil {
			return fmt.Errorf("delete snapshot %d: %w", h, err)
		}
	}
	return nil
}

// heights lists the heights of the snapshot directories, latest first.
func (s *snapshotter) heights() ([]int64, error) {
	entries, err := os.ReadDir(s.opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("read snapshot directory: %w", err)
	}
	var out []int64
	for _, e := range entries {
		h, err := strconv.ParseInt(e.Name(), 10, 64)
		if err != nil || !e.IsDir() || h <= 0 || strconv.FormatInt(h, 10) != e.Name() {
			continue
		}
		out = append(out, h)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] > out[j] })
	return out, nil
}

func readSnapshotMeta(dir string) (*snapshotMeta, error) {
	bz, err := os.ReadFile(filepath.Join(dir, snapshotMetaFile))
	if err != nil {
		return nil, err
	}
	var m snapshotMeta
	if err := json.Unmarshal(bz, &m); err != nil {
		return nil, fmt.Errorf("snapshot metadata %s: %w", dir, err)
	}
	if m.Format != SnapshotFormat || len(m.Chunks) == 0 {
		return nil, fmt.Errorf("snapshot metadata %s: format %d with %d chunks", dir, m.Format, len(m.Chunks))
	}
	for i, h := range m.Chunks {
		if len(h) != sha256.Size {
			return nil, fmt.Errorf("snapshot metadata %s: chunk %d hash of %d bytes", dir, i, len(h))
		}
	}
	return &m, nil
}

// abciSnapshot is how a snapshot is announced to peers.
func (m *snapshotMeta) abciSnapshot() *abci.Snapshot {
	metadata := bytes.Join(m.Chunks, nil)
	hash := sha256.Sum256(metadata)
	return &abci.Snapshot{Height: uint64(m.Height), Format: m.Format, Chunks: uint32(len(m.Chunks)), Hash: hash[:], Metadata: metadata}
}

// ListSnapshots lists the snapshots on disk, latest first.
func (a *App) ListSnapshots(context.Context, *abci.ListSnapshotsRequest) (*abci.ListSnapshotsResponse, error) {
	s := a.snap
	if s == nil {
		return &abci.ListSnapshotsResponse{}, nil
	}
	heights, err := s.heights()
	if err != nil {
		return nil, err
	}
	res := &abci.ListSnapshotsResponse{}
	for _, h := range heights {
		m, err := readSnapshotMeta(filepath.Join(s.opts.Dir, strconv.FormatInt(h, 10)))
		if err != nil {
			if !errors.Is(err, os.ErrNotExist) { // else deleted meanwhile
				s.log.Warn("skipping unreadable snapshot", "height", h, "err", err)
			}
			continue
		}
		res.Snapshots = append(res.Snapshots, m.abciSnapshot())
	}
	return res, nil
}

// LoadSnapshotChunk reads a chunk of a snapshot on disk. A snapshot or chunk
// that is not there (or no longer: old snapshots are deleted) gives an
// empty chunk, which CometBFT reports to the peer as missing; so does a
// chunk that no longer matches its hash.
func (a *App) LoadSnapshotChunk(_ context.Context, req *abci.LoadSnapshotChunkRequest) (*abci.LoadSnapshotChunkResponse, error) {
	s := a.snap
	if s == nil || req.Format != SnapshotFormat || req.Height == 0 || req.Height > math.MaxInt64 {
		return &abci.LoadSnapshotChunkResponse{}, nil
	}
	dir := filepath.Join(s.opts.Dir, strconv.FormatUint(req.Height, 10))
	m, err := readSnapshotMeta(dir)
	if err != nil || req.Chunk >= uint32(len(m.Chunks)) {
		return &abci.LoadSnapshotChunkResponse{}, nil
	}
	chunk, err := os.ReadFile(filepath.Join(dir, strconv.FormatUint(uint64(req.Chunk), 10)))
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			s.log.Error("reading snapshot chunk failed", "height", req.Height, "chunk", req.Chunk, "err", err)
		}
		return &abci.LoadSnapshotChunkResponse{}, nil
	}
	if h := sha256.Sum256(chunk); !bytes.Equal(h[:], m.Chunks[req.Chunk]) {
		s.log.Error("snapshot chunk on disk is damaged: not serving it", "height", req.Height, "chunk", req.Chunk)
		return &abci.LoadSnapshotChunkResponse{}, nil
	}
	return &abci.LoadSnapshotChunkResponse{Chunk: chunk}, nil
}

// OfferSnapshot accepts a format 1 snapshot for an app with no state yet,
// and remembers the app hash CometBFT trusts for its height.
func (a *App) OfferSnapshot(_ context.Context, req *abci.OfferSnapshotRequest) (*abci.OfferSnapshotResponse, error) {
	reply := func(r abci.OfferSnapshotResult) (*abci.OfferSnapshotResponse, error) {
		return &abci.OfferSnapshotResponse{Result: r}, nil
	}
	s := a.snap
	if s == nil {
		a.log.Error("state sync offered a snapshot but snapshots are not enabled: enable them (a snapshot directory) to restore")
		return reply(abci.OFFER_SNAPSHOT_RESULT_ABORT)
	}
	snap := req.Snapshot
	if snap == nil {
		return reply(abci.OFFER_SNAPSHOT_RESULT_REJECT)
	}
	if snap.Format != SnapshotFormat {
		return reply(abci.OFFER_SNAPSHOT_RESULT_REJECT_FORMAT)
	}
	if v := a.tree.Version(); v != 0 {
		s.log.Error("state sync offered a snapshot but the state is not empty: start state sync from an empty data directory", "state_height", v)
		return reply(abci.OFFER_SNAPSHOT_RESULT_ABORT)
	}
	sum := sha256.Sum256(snap.Metadata)
	if snap.Height == 0 || snap.Height > math.MaxInt64 || snap.Chunks == 0 ||
		uint64(len(snap.Metadata)) != uint64(snap.Chunks)*sha256.Size || !bytes.Equal(sum[:], snap.Hash) || len(req.AppHash) == 0 {
		s.log.Info("rejecting malformed snapshot", "height", snap.Height, "chunks", snap.Chunks, "metadata_bytes", len(snap.Metadata))
		return reply(abci.OFFER_SNAPSHOT_RESULT_REJECT)
	}
	file, err := os.CreateTemp(s.opts.Dir, restoreTmpPrefix)
	if err != nil {
		return nil, fmt.Errorf("offer snapshot: create a file for its chunks in %s: %w", s.opts.Dir, err)
	}
	r := &restoring{
		height:  int64(snap.Height),
		appHash: bytes.Clone(req.AppHash),
		file:    file,
		senders: map[string]bool{},
	}
	for i := 0; i < len(snap.Metadata); i += sha256.Size {
		r.hashes = append(r.hashes, bytes.Clone(snap.Metadata[i:i+sha256.Size]))
	}
	s.restoreMu.Lock()
	s.discardRestore()
	s.restore = r
	s.restoreMu.Unlock()
	s.log.Info("restoring snapshot", "height", snap.Height, "chunks", snap.Chunks, "trusted_app_hash", fmt.Sprintf("%X", req.AppHash))
	return reply(abci.OFFER_SNAPSHOT_RESULT_ACCEPT)
}

// discardRestore drops the snapshot being restored, if any. The caller
// holds restoreMu.
func (s *snapshotter) discardRestore() {
	if s.restore == nil {
		return
	}
	s.restore.file.Close()
	os.Remove(s.restore.file.Name())
	s.restore = nil
}

// ApplySnapshotChunk checks a chunk of the accepted snapshot and stores it;
// after the last one it imports the snapshot and checks its app hash.
func (a *App) ApplySnapshotChunk(_ context.Context, req *abci.ApplySnapshotChunkRequest) (*abci.ApplySnapshotChunkResponse, error) {
	s := a.snap
	if s == nil {
		return &abci.ApplySnapshotChunkResponse{Result: abci.APPLY_SNAPSHOT_CHUNK_RESULT_ABORT}, nil
	}
	s.restoreMu.Lock()
	defer s.restoreMu.Unlock()
	r := s.restore
	if r == nil {
		s.log.Error("snapshot chunk applied with no snapshot accepted")
		return &abci.ApplySnapshotChunkResponse{Result: abci.APPLY_SNAPSHOT_CHUNK_RESULT_ABORT}, nil
	}
	rejectSenders := func() []string {
		var out []string
		for p := range r.senders {
			out = append(out, p)
		}
		if req.Sender != "" && !r.senders[req.Sender] {
			out = append(out, req.Sender)
		}
		sort.Strings(out)
		return out
	}
	switch {
	case req.Index < r.next:
		return &abci.ApplySnapshotChunkResponse{Result: abci.APPLY_SNAPSHOT_CHUNK_RESULT_ACCEPT}, nil // had it already
	case req.Index > r.next:
		s.log.Error("snapshot chunk out of order: restarting the snapshot", "got", req.Index, "want", r.next)
		return &abci.ApplySnapshotChunkResponse{Result: abci.APPLY_SNAPSHOT_CHUNK_RESULT_RETRY_SNAPSHOT}, nil
	}
	if h := sha256.Sum256(req.Chunk); !bytes.Equal(h[:], r.hashes[req.Index]) {
		s.log.Warn("snapshot chunk does not match the snapshot's metadata: fetching it again from another peer",
			"height", r.height, "chunk", req.Index, "sender", req.Sender)
		res := &abci.ApplySnapshotChunkResponse{Result: abci.APPLY_SNAPSHOT_CHUNK_RESULT_RETRY, RefetchChunks: []uint32{req.Index}}
		if req.Sender != "" {
			res.RejectSenders = []string{req.Sender}
		}
		return res, nil
	}
	if req.Index == 0 {
		// The stream says which version and hash it holds: refuse a
		// snapshot of another state before fetching all of it.
		hdr, err := store.ReadSnapshotHeader(bytes.NewReader(req.Chunk))
		if err != nil || hdr.Version != r.height || !bytes.Equal(hdr.Hash, r.appHash) {
			s.log.Warn("rejecting snapshot: it is not the trusted state", "height", r.height, "header_version", hdr.Version,
				"header_hash", fmt.Sprintf("%X", hdr.Hash), "trusted_app_hash", fmt.Sprintf("%X", r.appHash), "err", err)
			senders := rejectSenders()
			s.discardRestore()
			return &abci.ApplySnapshotChunkResponse{Result: abci.APPLY_SNAPSHOT_CHUNK_RESULT_REJECT_SNAPSHOT, RejectSenders: senders}, nil
		}
	}
	if _, err := r.file.Write(req.Chunk); err != nil {
		s.discardRestore()
		return nil, fmt.Errorf("apply snapshot chunk %d: store it in %s: %w (free disk space and restart state sync)", req.Index, s.opts.Dir, err)
	}
	if req.Sender != "" {
		r.senders[req.Sender] = true
	}
	r.next++
	if int(r.next) < len(r.hashes) {
		return &abci.ApplySnapshotChunkResponse{Result: abci.APPLY_SNAPSHOT_CHUNK_RESULT_ACCEPT}, nil
	}

	// The last chunk: import.
	defer s.discardRestore()
	if _, err := r.file.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("apply snapshot: rewind %s: %w", r.file.Name(), err)
	}
	err := a.tree.ImportTrustedSnapshot(r.height, bufio.NewReaderSize(r.file, 1<<20), r.appHash)
	if errors.Is(err, store.ErrSnapshotCorrupt) || errors.Is(err, store.ErrSnapshotHashMismatch) {
		s.log.Warn("rejecting snapshot: it does not rebuild the trusted state", "height", r.height, "err", err)
		return &abci.ApplySnapshotChunkResponse{Result: abci.APPLY_SNAPSHOT_CHUNK_RESULT_REJECT_SNAPSHOT, RejectSenders: rejectSenders()}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("apply snapshot of height %d: %w", r.height, err)
	}
	// As after Commit of that height: nothing pending, CheckTx and queries
	// on the restored state. The last block's time is not part of the
	// state; as after a restart, it is known again from the next block.
	a.pendingHeight = 0
	a.resetCheckState()
	s.log.Info("snapshot restored", "height", r.height, "app_hash", fmt.Sprintf("%X", a.tree.Hash()))
	return &abci.ApplySnapshotChunkResponse{Result: abci.APPLY_SNAPSHOT_CHUNK_RESULT_ACCEPT}, nil
}

// chunkWriter cuts a byte stream into chunk files 0, 1, … in dir and
// records the SHA-256 of each.
type chunkWriter struct {
	dir    string
	size   int
	buf    []byte
	hashes [][]byte
}

func (c *chunkWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		room := c.size - len(c.buf)
		take := min(room, len(p))
		c.buf = append(c.buf, p[:take]...)
		p = p[take:]
		n += take
		if len(c.buf) == c.size {
			if err := c.flush(); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// flush writes the buffered bytes as the next chunk.
func (c *chunkWriter) flush() error {
	if len(c.buf) == 0 {
		return nil
	}
	name := filepath.Join(c.dir, strconv.Itoa(len(c.hashes)))
	if err := writeFileSync(name, c.buf); err != nil {
		return err
	}
	h := sha256.Sum256(c.buf)
	c.hashes = append(c.hashes, h[:])
	c.buf = c.buf[:0]
	return nil
}

func writeFileSync(name string, data []byte) error {
	f, err := os.Create(name)
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync %s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", name, err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
