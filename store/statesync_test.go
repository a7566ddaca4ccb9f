package store

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cosmos/iavl"
)

// buildTree commits versions of random writes, overwrites and deletes over
// keys spread across a few prefixes, keys keys in all, and returns the
// model of the last version and the hash of each version.
func buildTree(t testing.TB, tree *Tree, keys, versions int, seed uint64) (map[string]string, map[int64][]byte) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 7))
	model := map[string]string{}
	hashes := map[int64][]byte{}
	perVersion := keys / versions
	next := 0
	for v := 0; v < versions; v++ {
		w := tree.Working()
		for i := 0; i < perVersion; i++ {
			k := fmt.Sprintf("%s/%08d", []string{"bank", "dat", "idao", "auth"}[next%4], next)
			next++
			val := fmt.Sprintf("v%d-%d", v, r.Uint64())
			w.Set([]byte(k), []byte(val))
			model[k] = val
		}
		if v > 0 {
			// Overwrite and delete some keys of earlier versions.
			for i := 0; i < perVersion/10; i++ {
				k := fmt.Sprintf("%s/%08d", []string{"bank", "dat", "idao", "auth"}[0], 4*r.IntN(next/4))
				if _, ok := model[k]; !ok {
					continue
				}
				if i%2 == 0 {
					w.Delete([]byte(k))
					delete(model, k)
				} else {
					val := fmt.Sprintf("o%d-%d", v, r.Uint64())
					w.Set([]byte(k), []byte(val))
					model[k] = val
				}
			}
		}
		hash, version, err := tree.Commit()
		if err != nil {
			t.Fatal(err)
		}
		hashes[version] = hash
	}
	return model, hashes
}

func export(t testing.TB, tree *Tree, version int64) ([]byte, []byte) {
	t.Helper()
	var buf bytes.Buffer
	hash, err := tree.ExportSnapshot(version, &buf)
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), hash
}

// sameContents fails unless a and b hold the same keys and values.
func sameContents(t *testing.T, a, b *Snapshot) {
	t.Helper()
	ia, ib := a.Iterator(nil, nil), b.Iterator(nil, nil)
	defer ia.Close()
	defer ib.Close()
	n := 0
	for ; ia.Valid(); ia.Next() {
		if !ib.Valid() {
			t.Fatalf("imported tree ends after %d keys, the source has %q next", n, ia.Key())
		}
		if !bytes.Equal(ia.Key(), ib.Key()) || !bytes.Equal(ia.Value(), ib.Value()) {
			t.Fatalf("key %d: source %q=%q, imported %q=%q", n, ia.Key(), ia.Value(), ib.Key(), ib.Value())
		}
		ib.Next()
		n++
	}
	if ib.Valid() {
		t.Fatalf("imported tree has extra key %q after %d", ib.Key(), n)
	}
	if a.Size() != b.Size() || int64(n) != a.Size() {
		t.Fatalf("sizes: source %d, imported %d, iterated %d", a.Size(), b.Size(), n)
	}
}

// A version exported from a tree of 50k keys built over several versions,
// with overwrites and deletes, imports into a fresh tree (in memory or on
// disk) with the same root hash and the same keys; looked up one by one
// too, which follows the inner nodes' keys. The imported tree commits on
// in step with the source, and the on-disk one survives a reopen.
func TestSnapshotRoundTrip(t *testing.T) {
	src := NewMemTree()
	model, hashes := buildTree(t, src, 50_000, 5, 1)
	if src.Version() != 5 {
		t.Fatalf("source at version %d", src.Version())
	}
	for _, tc := range []struct {
		name    string
		version int64
		disk    bool
	}{
		{"latest in memory", 5, false},
		{"older version in memory", 3, false},
		{"latest on disk", 5, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stream, hash := export(t, src, tc.version)
			if !bytes.Equal(hash, hashes[tc.version]) {
				t.Fatalf("export returned hash %X, version %d has %X", hash, tc.version, hashes[tc.version])
			}
			hdr, err := ReadSnapshotHeader(bytes.NewReader(stream))
			if err != nil {
				t.Fatal(err)
			}
			want, _ := src.At(tc.version)
			if hdr.Version != tc.version || !bytes.Equal(hdr.Hash, hash) || hdr.Leaves != want.Size() || hdr.Format != SnapshotFormat {
				t.Fatalf("header %+v, want version %d, %d keys, hash %X", hdr, tc.version, want.Size(), hash)
			}

			var dst *Tree
			dir := t.TempDir()
			if tc.disk {
				if dst, err = OpenTree(dir, TreeOptions{CacheSize: 10_000}); err != nil {
					t.Fatal(err)
				}
			} else {
				dst = NewMemTree()
			}
			if err := dst.ImportTrustedSnapshot(tc.version, bytes.NewReader(stream), hashes[tc.version]); err != nil {
				t.Fatal(err)
			}
			if dst.Version() != tc.version || !bytes.Equal(dst.Hash(), hashes[tc.version]) {
				t.Fatalf("imported tree at version %d hash %X, want %d %X", dst.Version(), dst.Hash(), tc.version, hashes[tc.version])
			}
			sameContents(t, want, dst.Latest())
			if tc.version == src.Version() {
				for k, v := range model {
					if got := dst.Latest().Get([]byte(k)); string(got) != v {
						t.Fatalf("imported Get(%q) = %q, want %q", k, got, v)
					}
				}
			}

			if tc.disk {
				if err := dst.Close(); err != nil {
					t.Fatal(err)
				}
				if dst, err = OpenTree(dir, TreeOptions{CacheSize: 10_000}); err != nil {
					t.Fatal(err)
				}
				defer dst.Close()
				if dst.Version() != tc.version || !bytes.Equal(dst.Hash(), hashes[tc.version]) {
					t.Fatalf("reopened imported tree at version %d hash %X", dst.Version(), dst.Hash())
				}
			}
			if tc.version == src.Version() {
				// The same writes on both give the same next version.
				ref := NewMemTree()
				buildTree(t, ref, 50_000, 5, 1)
				for _, tr := range []*Tree{ref, dst} {
					w := tr.Working()
					w.Set([]byte("bank/new"), []byte("x"))
					w.Delete([]byte("dat/00000001"))
					w.Set([]byte("auth/00000003"), []byte("changed"))
				}
				h1, v1, err := ref.Commit()
				if err != nil {
					t.Fatal(err)
				}
				h2, v2, err := dst.Commit()
				if err != nil {
					t.Fatal(err)
				}
				if v1 != v2 || !bytes.Equal(h1, h2) {
					t.Fatalf("after import and one more commit: version %d hash %X, reference %d %X", v2, h2, v1, h1)
				}
			}
		})
	}
}

// A version whose keys were all deleted exports and imports as an empty
// tree at that version.
func TestSnapshotEmptyVersion(t *testing.T) {
	src := NewMemTree()
	src.Working().Set([]byte("a"), []byte("1"))
	if _, _, err := src.Commit(); err != nil {
		t.Fatal(err)
	}
	src.Working().Delete([]byte("a"))
	hash, version, err := src.Commit()
	if err != nil {
		t.Fatal(err)
	}
	stream, _ := export(t, src, version)
	dst := NewMemTree()
	if err := dst.ImportTrustedSnapshot(version, bytes.NewReader(stream), hash); err != nil {
		t.Fatal(err)
	}
	if dst.Version() != version || !bytes.Equal(dst.Hash(), hash) || dst.Latest().Size() != 0 {
		t.Fatalf("imported empty version: at %d, hash %X, %d keys; want %d %X 0", dst.Version(), dst.Hash(), dst.Latest().Size(), version, hash)
	}
}

// decodeStream returns the header and nodes of a valid stream.
func decodeStream(t *testing.T, stream []byte) (SnapshotHeader, []*iavl.ExportNode) {
	t.Helper()
	br := bufio.NewReader(bytes.NewReader(stream))
	hdr, sum, err := readSnapshotHeader(br)
	if err != nil {
		t.Fatal(err)
	}
	var nodes []*iavl.ExportNode
	if err := readSnapshotNodes(br, hdr, sum, func(n *iavl.ExportNode) error {
		nodes = append(nodes, n)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return hdr, nodes
}

// encodeStream writes a well-formed stream (good checksums and digest) of
// whatever header and nodes it is given.
func encodeStream(t *testing.T, hdr SnapshotHeader, nodes []*iavl.ExportNode) []byte {
	t.Helper()
	var buf bytes.Buffer
	sw := newSnapshotWriter(&buf)
	if err := sw.header(hdr); err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		if err := sw.node(n); err != nil {
			t.Fatal(err)
		}
	}
	if err := sw.finish(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func cloneNodes(nodes []*iavl.ExportNode) []*iavl.ExportNode {
	out := make([]*iavl.ExportNode, len(nodes))
	for i, n := range nodes {
		c := *n
		c.Key = bytes.Clone(n.Key)
		if n.Value != nil {
			c.Value = bytes.Clone(n.Value)
		}
		out[i] = &c
	}
	return out
}

// Damaged streams (flipped bytes, truncations) and well-formed streams of
// the wrong tree are refused with an error, never imported as a wrong tree;
// after every refusal the tree is still empty and a good stream imports
// into it.
func TestSnapshotRefusesBadStreams(t *testing.T) {
	src := NewMemTree()
	_, hashes := buildTree(t, src, 5_000, 3, 2)
	const version = 3
	good, hash := export(t, src, version)
	hdr, nodes := decodeStream(t, good)
	if len(nodes) != 2*int(hdr.Leaves)-1 || len(good) < 3*snapshotBlockSize {
		t.Fatalf("test stream too small: %d nodes, %d bytes", len(nodes), len(good))
	}
	firstInner, firstLeaf := -1, -1
	for i, n := range nodes {
		if n.Height > 0 && firstInner < 0 {
			firstInner = i
		}
		if n.Height == 0 && firstLeaf < 0 {
			firstLeaf = i
		}
	}
	headerLen := len(snapshotMagic) + 1 + 1 + 2 + 1 + 32 // version 3 and ~5k leaves as varints
	flip := func(at int) []byte {
		b := bytes.Clone(good)
		b[at] ^= 0x40
		return b
	}
	tamper := func(edit func(h *SnapshotHeader, ns []*iavl.ExportNode) []*iavl.ExportNode) []byte {
		h := hdr
		h.Hash = bytes.Clone(hdr.Hash)
		return encodeStream(t, h, edit(&h, cloneNodes(nodes)))
	}

	cases := []struct {
		name    string
		stream  []byte
		version int64
		trusted []byte
		want    error
	}{
		{"flipped magic", flip(0), version, nil, ErrSnapshotCorrupt},
		{"flipped format", flip(len(snapshotMagic)), version, nil, ErrSnapshotCorrupt},
		{"flipped header hash", flip(headerLen - 1), version, nil, ErrSnapshotCorrupt},
		{"flipped header hash, trusted", flip(headerLen - 1), version, hash, ErrSnapshotHashMismatch},
		{"flipped byte in first block", flip(headerLen + 100), version, nil, ErrSnapshotCorrupt},
		{"flipped byte in a middle block", flip(len(good) / 2), version, nil, ErrSnapshotCorrupt},
		{"flipped byte in last block", flip(len(good) - 60), version, nil, ErrSnapshotCorrupt},
		{"flipped trailer digest", flip(len(good) - 1), version, nil, ErrSnapshotCorrupt},
		{"empty", nil, version, nil, ErrSnapshotCorrupt},
		{"truncated in header", good[:20], version, nil, ErrSnapshotCorrupt},
		{"truncated after header", good[:headerLen], version, nil, ErrSnapshotCorrupt},
		{"truncated in a block", good[:len(good)/2], version, nil, ErrSnapshotCorrupt},
		{"truncated before trailer", good[:len(good)-34], version, nil, ErrSnapshotCorrupt},
		{"last byte missing", good[:len(good)-1], version, nil, ErrSnapshotCorrupt},
		{"wrong version asked", good, version - 1, nil, ErrSnapshotCorrupt},
		{"untrusted hash", good, version, hashes[2], ErrSnapshotHashMismatch},
		{"leaf value changed", tamper(func(_ *SnapshotHeader, ns []*iavl.ExportNode) []*iavl.ExportNode {
			ns[firstLeaf].Value = []byte("forged")
			return ns
		}), version, nil, ErrSnapshotHashMismatch},
		{"leaf value changed, trusted", tamper(func(_ *SnapshotHeader, ns []*iavl.ExportNode) []*iavl.ExportNode {
			for i := len(ns) / 2; ; i++ {
				if ns[i].Height == 0 {
					ns[i].Value = append(ns[i].Value, '!')
					return ns
				}
			}
		}), version, hash, ErrSnapshotHashMismatch},
		{"node version changed", tamper(func(_ *SnapshotHeader, ns []*iavl.ExportNode) []*iavl.ExportNode {
			if ns[firstLeaf].Version == 1 {
				ns[firstLeaf].Version = 2
			} else {
				ns[firstLeaf].Version = 1
			}
			return ns
		}), version, nil, ErrSnapshotHashMismatch},
		{"node version beyond the import", tamper(func(_ *SnapshotHeader, ns []*iavl.ExportNode) []*iavl.ExportNode {
			ns[firstLeaf].Version = version + 1
			return ns
		}), version, nil, ErrSnapshotCorrupt},
		{"inner key not separating (hash unchanged)", tamper(func(_ *SnapshotHeader, ns []*iavl.ExportNode) []*iavl.ExportNode {
			ns[firstInner].Key = []byte{0}
			return ns
		}), version, nil, ErrSnapshotCorrupt},
		{"leaves swapped", tamper(func(_ *SnapshotHeader, ns []*iavl.ExportNode) []*iavl.ExportNode {
			ns[0], ns[1] = ns[1], ns[0]
			return ns
		}), version, nil, ErrSnapshotCorrupt},
		{"node dropped", tamper(func(_ *SnapshotHeader, ns []*iavl.ExportNode) []*iavl.ExportNode {
			return append(ns[:10:10], ns[11:]...)
		}), version, nil, ErrSnapshotCorrupt},
		{"root dropped", tamper(func(_ *SnapshotHeader, ns []*iavl.ExportNode) []*iavl.ExportNode {
			return ns[:len(ns)-1]
		}), version, nil, ErrSnapshotCorrupt},
		{"loose leaves", tamper(func(h *SnapshotHeader, ns []*iavl.ExportNode) []*iavl.ExportNode {
			var leaves []*iavl.ExportNode
			for _, n := range ns {
				if n.Height == 0 {
					leaves = append(leaves, n)
				}
			}
			return leaves
		}), version, nil, ErrSnapshotCorrupt},
		{"negative height", tamper(func(_ *SnapshotHeader, ns []*iavl.ExportNode) []*iavl.ExportNode {
			ns[firstInner].Height = -1
			return ns
		}), version, nil, ErrSnapshotCorrupt},
		{"other tree's hash declared", tamper(func(h *SnapshotHeader, ns []*iavl.ExportNode) []*iavl.ExportNode {
			h.Hash = hashes[2]
			return ns
		}), version, nil, ErrSnapshotHashMismatch},
	}
	dst := NewMemTree()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.trusted != nil {
				err = dst.ImportTrustedSnapshot(tc.version, bytes.NewReader(tc.stream), tc.trusted)
			} else {
				err = dst.ImportSnapshot(tc.version, bytes.NewReader(tc.stream))
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("import: got %v, want %v", err, tc.want)
			}
			t.Log(err)
			if dst.Version() != 0 || dst.Hash() != nil {
				t.Fatalf("after a refused import the tree is at version %d", dst.Version())
			}
		})
	}
	if err := dst.ImportTrustedSnapshot(version, bytes.NewReader(good), hash); err != nil {
		t.Fatalf("a good stream after the refused ones: %v", err)
	}
	want, _ := src.At(version)
	sameContents(t, want, dst.Latest())
	// And once imported, the tree takes no second import.
	if err := dst.ImportSnapshot(version, bytes.NewReader(good)); err == nil {
		t.Fatal("imported into a tree that is not empty")
	}
}

// An open export holds its version: pruning it fails until the export is
// closed, while older versions can still be pruned; and the export still
// writes the version while the tree commits on.
func TestExportHoldsVersion(t *testing.T) {
	tree := NewMemTree()
	_, hashes := buildTree(t, tree, 2_000, 4, 3)
	e, err := tree.OpenExport(2)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if err := tree.Prune(1); err != nil {
		t.Fatalf("pruning the version before the held one: %v", err)
	}
	if err := tree.Prune(3); err == nil {
		t.Fatal("pruned a version held by an open export")
	}
	tree.Working().Set([]byte("later"), []byte("x"))
	if _, _, err := tree.Commit(); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := e.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	if _, err := e.WriteTo(&buf); err == nil {
		t.Fatal("an export wrote twice")
	}
	e.Close()
	if err := tree.Prune(3); err != nil {
		t.Fatalf("pruning after the export closed: %v", err)
	}
	if _, err := tree.OpenExport(2); !errors.Is(err, ErrVersionMissing) {
		t.Fatalf("export of a pruned version: %v", err)
	}
	dst := NewMemTree()
	if err := dst.ImportTrustedSnapshot(2, &buf, hashes[2]); err != nil {
		t.Fatal(err)
	}
	if _, err := tree.ExportSnapshot(0, &buf); err == nil {
		t.Fatal("exported version 0")
	}
	if _, err := tree.ExportSnapshot(9, &buf); !errors.Is(err, ErrVersionMissing) {
		t.Fatalf("export of a future version: %v", err)
	}
}

// BenchmarkStateSync1M exports a version of 1,000,000 keys with small
// values from an on-disk tree and imports it into another, reporting the
// seconds each takes and the stream size. Run with
// go test ./store -run '^$' -bench StateSync1M -benchtime 1x.
func BenchmarkStateSync1M(b *testing.B) {
	const keys = 1_000_000
	src, err := OpenTree(b.TempDir(), TreeOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	for v := 0; v < 10; v++ {
		w := src.Working()
		for i := v; i < keys; i += 10 {
			w.Set([]byte(fmt.Sprintf("bank/b/%016x", uint64(i)*0x9e3779b97f4a7c15)), []byte(fmt.Sprintf("%d", i)))
		}
		if _, _, err := src.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	var exportS, importS, size float64
	for i := 0; i < b.N; i++ {
		dir := b.TempDir()
		file := filepath.Join(dir, "snap")
		start := time.Now()
		f, err := os.Create(file)
		if err != nil {
			b.Fatal(err)
		}
		hash, err := src.ExportSnapshot(src.Version(), f)
		if err != nil {
			b.Fatal(err)
		}
		st, _ := f.Stat()
		size = float64(st.Size())
		if _, err := f.Seek(0, 0); err != nil {
			b.Fatal(err)
		}
		exportS += time.Since(start).Seconds()
		start = time.Now()
		dst, err := OpenTree(dir, TreeOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if err := dst.ImportTrustedSnapshot(src.Version(), f, hash); err != nil {
			b.Fatal(err)
		}
		importS += time.Since(start).Seconds()
		f.Close()
		if dst.Latest().Size() != keys {
			b.Fatalf("imported %d keys", dst.Latest().Size())
		}
		dst.Close()
	}
	b.ReportMetric(exportS/float64(b.N), "export-s")
	b.ReportMetric(importS/float64(b.N), "import-s")
	b.ReportMetric(size/(1<<20), "stream-MiB")
}
