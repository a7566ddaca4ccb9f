package app_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"strconv"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	"google.golang.org/protobuf/proto"

	"github.com/lazchain/lazchain/app"
	"github.com/lazchain/lazchain/app/apptest"
	"github.com/lazchain/lazchain/store"
	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/dat"
	"github.com/lazchain/lazchain/x/idao"
)

var ssCtx = context.Background()

// ssNet is a chain with snapshots on, driven through ABCI, that remembers
// the app hash of every height (what a light client would trust).
type ssNet struct {
	*apptest.Harness
	t                 *testing.T
	alice, bob, carol *tx.PrivateKey
	hashes            map[int64][]byte
	dir               string
	interval          int64
}

// newSSNet starts a chain that keeps only 2 state versions (so pruning
// runs while snapshots are written) and snapshots every interval blocks.
func newSSNet(t *testing.T, interval uint64) *ssNet {
	n := &ssNet{t: t, alice: tx.DeterministicKey("ss/alice"), bob: tx.DeterministicKey("ss/bob"),
		carol: tx.DeterministicKey("ss/carol"), hashes: map[int64][]byte{}, dir: t.TempDir(), interval: int64(interval)}
	a, err := app.New(store.NewMemTree(), app.Options{ChainID: apptest.ChainID, CheckInvariants: true, KeepVersions: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.EnableSnapshots(app.SnapshotOptions{Dir: n.dir, Interval: interval, KeepRecent: 2, ChunkSize: 1024}); err != nil {
		t.Fatal(err)
	}
	genesis := apptest.Genesis(t, map[tx.Address]uint64{
		n.alice.Address(): 1_000_000_000, n.bob.Address(): 1_000_000_000, n.carol.Address(): 1_000_000_000,
	})
	if _, err := a.InitChain(ssCtx, &abci.InitChainRequest{ChainId: apptest.ChainID, Time: apptest.GenesisTime,
		InitialHeight: 1, AppStateBytes: genesis}); err != nil {
		t.Fatal(err)
	}
	n.Harness = &apptest.Harness{T: t, App: a, Time: apptest.GenesisTime}
	return n
}

// sign signs msgs as k with its next committed nonce.
func (n *ssNet) sign(k *tx.PrivateKey, msgs ...proto.Message) []byte {
	return apptest.Sign(n.t, k, apptest.TxSpec{Nonce: n.Nonce(k.Address()), Fee: apptest.ExecGas / 100,
		GasLimit: apptest.ExecGas, Msgs: msgs})
}

// block runs a block on the chain and on every follower, which must all
// reach the same app hash, and returns the chain's tx results.
func (n *ssNet) block(followers []*apptest.Harness, txs ...[]byte) []*abci.ExecTxResult {
	n.t.Helper()
	if (n.Height+1)%n.interval == 0 {
		// The snapshot of the last due height was written while the
		// blocks since went on; let it finish, so the next is not skipped.
		n.App.WaitSnapshots()
	}
	res, hash := n.Block(txs...)
	n.hashes[n.Height] = hash
	for _, f := range followers {
		fres, fhash := f.Block(txs...)
		if f.Height != n.Height || !bytes.Equal(fhash, hash) {
			n.t.Fatalf("height %d: follower at %d has app hash %X, the chain %X", n.Height, f.Height, fhash, hash)
		}
		for i := range res {
			if fres[i].Code != res[i].Code {
				n.t.Fatalf("height %d tx %d: follower code %d, chain %d", n.Height, i, fres[i].Code, res[i].Code)
			}
		}
	}
	return res
}

// ok runs msgs as k in a block and returns the value of event attribute
// typ.key if asked, failing unless the tx succeeded.
func (n *ssNet) ok(followers []*apptest.Harness, k *tx.PrivateKey, typ, key string, msgs ...proto.Message) uint64 {
	n.t.Helper()
	r := n.block(followers, n.sign(k, msgs...))[0]
	if r.Code != 0 {
		n.t.Fatalf("height %d: %T failed: %d (%s) %s", n.Height, msgs[0], r.Code, r.Codespace, r.Log)
	}
	if typ == "" {
		return 0
	}
	for _, e := range r.Events {
		if e.Type != typ {
			continue
		}
		for _, a := range e.Attributes {
			if a.Key == key {
				v, err := strconv.ParseUint(a.Value, 10, 64)
				if err != nil {
					n.t.Fatal(err)
				}
				return v
			}
		}
	}
	n.t.Fatalf("no %s.%s event in %v", typ, key, r.Events)
	return 0
}

// activity runs transfers to fresh accounts and an iDAO with DAT classes,
// mints and revenue, one tx a block.
func (n *ssNet) activity(followers []*apptest.Harness, tag string) {
	A, B, C := n.alice.Address().String(), n.bob.Address().String(), n.carol.Address().String()
	for i := 0; i < 6; i++ {
		var sends []proto.Message
		for j := 0; j < 8; j++ {
			sends = append(sends, apptest.Send(n.bob.Address(), tx.DeterministicKey(fmt.Sprintf("ss/%s/%d/%d", tag, i, j)).Address(), uint64(1000+j)))
		}
		n.ok(followers, n.bob, "", "", sends...)
	}
	pool := n.ok(followers, n.alice, "idao_create", "idao", &idao.MsgCreate{From: A, Name: "pool-" + tag, Description: "a data pool"})
	n.ok(followers, n.carol, "", "", apptest.Send(n.carol.Address(), idao.TreasuryAddress(pool), 5000))
	hash := fmt.Sprintf("%x", sha256.Sum256([]byte(tag)))
	raw := n.ok(followers, n.alice, "dat_class", "class", &dat.MsgCreateClass{From: A, Idao: pool, Name: "raw " + tag, IntegrityHash: hash})
	derived := n.ok(followers, n.alice, "dat_class", "class", &dat.MsgCreateClass{From: A, Idao: pool, Name: "clean " + tag,
		IntegrityHash: hash, Parents: []*dat.Parent{{Class: raw, SplitBps: 2500}}})
	for i, to := range []string{B, C, A, B} {
		n.ok(followers, n.alice, "dat_mint", "token", &dat.MsgMint{From: A, Class: []uint64{raw, derived}[i%2], To: to, Value: 100, ShareRatio: uint64(i + 1)})
	}
	n.ok(followers, n.carol, "", "", &dat.MsgSettleRevenue{From: C, Class: derived, Amount: "1000"})
	n.ok(followers, n.bob, "", "", &dat.MsgClaimAll{From: B})
}

// restore runs state sync as CometBFT does: the best snapshot of from is
// offered to to with the trusted app hash, then every chunk is loaded from
// from and applied to to, in order. edit may replace a chunk on its way;
// it returns the chunk and the peer that sent it. restore returns the
// offer's result and the result of the last chunk applied.
func restore(t *testing.T, from, to *app.App, snap *abci.Snapshot, trusted []byte,
	edit func(i uint32, chunk []byte) ([]byte, string)) (abci.OfferSnapshotResult, *abci.ApplySnapshotChunkResponse) {
	t.Helper()
	offer, err := to.OfferSnapshot(ssCtx, &abci.OfferSnapshotRequest{Snapshot: snap, AppHash: trusted})
	if err != nil {
		t.Fatal(err)
	}
	if offer.Result != abci.OFFER_SNAPSHOT_RESULT_ACCEPT {
		return offer.Result, nil
	}
	var last *abci.ApplySnapshotChunkResponse
	for i := uint32(0); i < snap.Chunks; i++ {
		load, err := from.LoadSnapshotChunk(ssCtx, &abci.LoadSnapshotChunkRequest{Height: snap.Height, Format: snap.Format, Chunk: i})
		if err != nil {
			t.Fatal(err)
		}
		if len(load.Chunk) == 0 {
			t.Fatalf("chunk %d of snapshot %d missing", i, snap.Height)
		}
		chunk, sender := load.Chunk, "peer-good"
		if edit != nil {
			chunk, sender = edit(i, chunk)
		}
		last, err = to.ApplySnapshotChunk(ssCtx, &abci.ApplySnapshotChunkRequest{Index: i, Chunk: chunk, Sender: sender})
		if err != nil {
			t.Fatal(err)
		}
		if last.Result != abci.APPLY_SNAPSHOT_CHUNK_RESULT_ACCEPT {
			return offer.Result, last
		}
	}
	return offer.Result, last
}

func listSnapshots(t *testing.T, a *app.App) []*abci.Snapshot {
	t.Helper()
	res, err := a.ListSnapshots(ssCtx, &abci.ListSnapshotsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	return res.Snapshots
}

func info(t *testing.T, a *app.App) *abci.InfoResponse {
	t.Helper()
	res, err := a.Info(ssCtx, &abci.InfoRequest{})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// freshApp is a new node's app: no state, snapshots enabled for restoring.
func freshApp(t *testing.T) *app.App {
	t.Helper()
	a, err := app.New(store.NewMemTree(), app.Options{ChainID: apptest.ChainID, CheckInvariants: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.EnableSnapshots(app.SnapshotOptions{Dir: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	return a
}

// sameState fails unless a and b hold the same keys and values.
func sameState(t *testing.T, a, b *store.Snapshot) {
	t.Helper()
	var ka, kb []string
	store.Each(a, nil, nil, func(k, v []byte) bool { ka = append(ka, string(k)+"="+string(v)); return true })
	store.Each(b, nil, nil, func(k, v []byte) bool { kb = append(kb, string(k)+"="+string(v)); return true })
	if len(ka) != len(kb) {
		t.Fatalf("states have %d and %d keys", len(ka), len(kb))
	}
	for i := range ka {
		if ka[i] != kb[i] {
			t.Fatalf("states differ at key %d: %q vs %q", i, ka[i], kb[i])
		}
	}
}

// A chain with transfers and iDAO/DAT activity takes snapshots every 5
// blocks in the background while it goes on (pruning old versions); a fresh
// app restores the latest through the ABCI calls CometBFT makes, reports
// its height and hash in Info, and then runs the next blocks (more DAT
// activity, CheckTx) to the same app hashes as the chain. A tampered chunk
// on the way is refused and fetched again from another peer.
func TestStateSyncRestore(t *testing.T) {
	n := newSSNet(t, 5)
	n.activity(nil, "a")
	n.activity(nil, "b")
	for n.Height%5 != 0 {
		n.block(nil)
	}
	top := n.Height
	n.App.WaitSnapshots()
	snaps := listSnapshots(t, n.App)
	if len(snaps) != 2 || snaps[0].Height != uint64(top) || snaps[1].Height != uint64(top-5) {
		var hs []uint64
		for _, s := range snaps {
			hs = append(hs, s.Height)
		}
		t.Fatalf("snapshots at %v, want the 2 latest of every 5 up to %d", hs, top)
	}
	entries, err := os.ReadDir(n.dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 {
		t.Fatalf("snapshot directory holds %d entries, want the 2 kept snapshots", len(entries))
	}
	best := snaps[0]
	if sum := sha256.Sum256(best.Metadata); best.Format != app.SnapshotFormat || best.Chunks < 3 ||
		len(best.Metadata) != 32*int(best.Chunks) || !bytes.Equal(best.Hash, sum[:]) {
		t.Fatalf("snapshot %d: format %d, %d chunks, %d metadata bytes, hash %X", best.Height, best.Format, best.Chunks, len(best.Metadata), best.Hash)
	}

	fresh := freshApp(t)
	if got := info(t, fresh); got.LastBlockHeight != 0 {
		t.Fatalf("fresh app at height %d", got.LastBlockHeight)
	}
	tampered := 0
	offer, last := restore(t, n.App, fresh, best, n.hashes[top], func(i uint32, chunk []byte) ([]byte, string) {
		if i != 1 {
			return chunk, "peer-good"
		}
		// A bad peer's chunk 1 is refused: fetch again and drop the peer.
		bad := bytes.Clone(chunk)
		bad[len(bad)/2] ^= 1
		res, err := fresh.ApplySnapshotChunk(ssCtx, &abci.ApplySnapshotChunkRequest{Index: 1, Chunk: bad, Sender: "peer-bad"})
		if err != nil {
			t.Fatal(err)
		}
		if res.Result != abci.APPLY_SNAPSHOT_CHUNK_RESULT_RETRY || len(res.RefetchChunks) != 1 || res.RefetchChunks[0] != 1 ||
			len(res.RejectSenders) != 1 || res.RejectSenders[0] != "peer-bad" {
			t.Fatalf("tampered chunk: %v", res)
		}
		tampered++
		return chunk, "peer-other"
	})
	if offer != abci.OFFER_SNAPSHOT_RESULT_ACCEPT || last.Result != abci.APPLY_SNAPSHOT_CHUNK_RESULT_ACCEPT || tampered != 1 {
		t.Fatalf("restore: offer %v, last chunk %v, tampered chunks %d", offer, last, tampered)
	}
	got := info(t, fresh)
	if got.LastBlockHeight != top || !bytes.Equal(got.LastBlockAppHash, n.hashes[top]) {
		t.Fatalf("restored app reports height %d hash %X, want %d %X", got.LastBlockHeight, got.LastBlockAppHash, top, n.hashes[top])
	}
	sameState(t, n.App.Tree().Latest(), fresh.Tree().Latest())
	// No second restore into a state that is no longer empty.
	if res, err := fresh.OfferSnapshot(ssCtx, &abci.OfferSnapshotRequest{Snapshot: best, AppHash: n.hashes[top]}); err != nil ||
		res.Result != abci.OFFER_SNAPSHOT_RESULT_ABORT {
		t.Fatalf("offer to a restored app: %v %v", res, err)
	}

	// The restored app follows the chain: the mempool takes a tx, and the
	// next blocks give the same app hashes.
	follower := &apptest.Harness{T: t, App: fresh, Height: n.Height, Time: n.Time}
	raw := n.sign(n.carol, apptest.Send(n.carol.Address(), n.alice.Address(), 77))
	if res := follower.Check(raw); res.Code != 0 {
		t.Fatalf("CheckTx on the restored app: %d %s", res.Code, res.Log)
	}
	n.block([]*apptest.Harness{follower}, raw)
	n.activity([]*apptest.Harness{follower}, "c")
	if n.Balance(n.alice.Address()) != follower.Balance(n.alice.Address()) {
		t.Fatal("balances differ after the same blocks")
	}
	n.App.WaitSnapshots()
}

// A snapshot that is not the state the light client trusts is rejected, and
// the new app stays empty: one whose stream claims another state (seen at
// the first chunk), and one forged to claim the trusted state whose body is
// another (seen once imported). Malformed and foreign offers are refused.
// After all that, the genuine snapshot still restores.
func TestStateSyncRejects(t *testing.T) {
	n := newSSNet(t, 5)
	n.activity(nil, "a")
	for n.Height%5 != 0 {
		n.block(nil)
	}
	n.App.WaitSnapshots()
	snaps := listSnapshots(t, n.App)
	if len(snaps) != 2 {
		t.Fatalf("%d snapshots", len(snaps))
	}
	best, older := snaps[0], snaps[1]
	top := int64(best.Height)
	fresh := freshApp(t)
	empty := func(when string) {
		t.Helper()
		if got := info(t, fresh); got.LastBlockHeight != 0 || got.LastBlockAppHash != nil || fresh.Tree().Version() != 0 {
			t.Fatalf("%s: app at height %d hash %X, want empty", when, got.LastBlockHeight, got.LastBlockAppHash)
		}
	}

	// The genuine snapshot offered with another trusted hash: refused at
	// chunk 0, before the rest is fetched.
	offer, last := restore(t, n.App, fresh, best, n.hashes[top-1], nil)
	if offer != abci.OFFER_SNAPSHOT_RESULT_ACCEPT || last.Result != abci.APPLY_SNAPSHOT_CHUNK_RESULT_REJECT_SNAPSHOT ||
		len(last.RejectSenders) != 1 || last.RejectSenders[0] != "peer-good" {
		t.Fatalf("snapshot under a wrong trusted hash: offer %v, last %v", offer, last)
	}
	empty("after a snapshot of another state")

	// A forged snapshot: the older snapshot's chunks with a header patched
	// to claim height top and the trusted hash, under metadata that
	// matches the forged chunks.
	var chunks [][]byte
	for i := uint32(0); i < older.Chunks; i++ {
		res, err := n.App.LoadSnapshotChunk(ssCtx, &abci.LoadSnapshotChunkRequest{Height: older.Height, Format: older.Format, Chunk: i})
		if err != nil || len(res.Chunk) == 0 {
			t.Fatalf("load chunk %d: %v", i, err)
		}
		chunks = append(chunks, bytes.Clone(res.Chunk))
	}
	hdr, err := store.ReadSnapshotHeader(bytes.NewReader(chunks[0]))
	if err != nil {
		t.Fatal(err)
	}
	at := bytes.Index(chunks[0], hdr.Hash)
	vat := len("lazstate") + 1
	if at < 0 || hdr.Version != top-5 || chunks[0][vat] != byte(top-5) || top >= 128 {
		t.Fatalf("unexpected stream header %+v", hdr)
	}
	copy(chunks[0][at:], n.hashes[top])
	chunks[0][vat] = byte(top)
	var metadata []byte
	for _, c := range chunks {
		h := sha256.Sum256(c)
		metadata = append(metadata, h[:]...)
	}
	mh := sha256.Sum256(metadata)
	forged := &abci.Snapshot{Height: uint64(top), Format: app.SnapshotFormat, Chunks: older.Chunks, Hash: mh[:], Metadata: metadata}
	if patched, err := store.ReadSnapshotHeader(bytes.NewReader(chunks[0])); err != nil || patched.Version != top || !bytes.Equal(patched.Hash, n.hashes[top]) {
		t.Fatalf("forging failed: %+v %v", patched, err)
	}
	offer, last = restore(t, n.App, fresh, forged, n.hashes[top], func(i uint32, _ []byte) ([]byte, string) {
		return chunks[i], "peer-forger-" + strconv.Itoa(int(i%2))
	})
	if offer != abci.OFFER_SNAPSHOT_RESULT_ACCEPT || last.Result != abci.APPLY_SNAPSHOT_CHUNK_RESULT_REJECT_SNAPSHOT ||
		len(last.RejectSenders) != 2 {
		t.Fatalf("forged snapshot: offer %v, last %v", offer, last)
	}
	empty("after a forged snapshot")

	// Offers that are refused outright.
	badHash := *best
	badHash.Hash = bytes.Repeat([]byte{1}, 32)
	badMeta := *best
	badMeta.Metadata = best.Metadata[:len(best.Metadata)-1]
	otherFormat := *best
	otherFormat.Format = 2
	for _, tc := range []struct {
		name    string
		to      *app.App
		snap    *abci.Snapshot
		trusted []byte
		want    abci.OfferSnapshotResult
	}{
		{"hash not over the metadata", fresh, &badHash, n.hashes[top], abci.OFFER_SNAPSHOT_RESULT_REJECT},
		{"metadata not a hash per chunk", fresh, &badMeta, n.hashes[top], abci.OFFER_SNAPSHOT_RESULT_REJECT},
		{"no trusted app hash", fresh, best, nil, abci.OFFER_SNAPSHOT_RESULT_REJECT},
		{"no snapshot", fresh, nil, n.hashes[top], abci.OFFER_SNAPSHOT_RESULT_REJECT},
		{"other format", fresh, &otherFormat, n.hashes[top], abci.OFFER_SNAPSHOT_RESULT_REJECT_FORMAT},
		{"app with state", n.App, best, n.hashes[top], abci.OFFER_SNAPSHOT_RESULT_ABORT},
	} {
		res, err := tc.to.OfferSnapshot(ssCtx, &abci.OfferSnapshotRequest{Snapshot: tc.snap, AppHash: tc.trusted})
		if err != nil || res.Result != tc.want {
			t.Fatalf("%s: offer gave %v %v, want %v", tc.name, res, err, tc.want)
		}
	}
	// An app without snapshots enabled refuses state sync altogether.
	plain, err := app.New(store.NewMemTree(), app.Options{ChainID: apptest.ChainID})
	if err != nil {
		t.Fatal(err)
	}
	if res, _ := plain.OfferSnapshot(ssCtx, &abci.OfferSnapshotRequest{Snapshot: best, AppHash: n.hashes[top]}); res.Result != abci.OFFER_SNAPSHOT_RESULT_ABORT {
		t.Fatalf("offer to an app without snapshots: %v", res)
	}
	if res, _ := plain.ListSnapshots(ssCtx, &abci.ListSnapshotsRequest{}); len(res.Snapshots) != 0 {
		t.Fatal("an app without snapshots lists some")
	}
	// Chunks that are not there are empty.
	for _, req := range []*abci.LoadSnapshotChunkRequest{
		{Height: uint64(top) + 5, Format: 1, Chunk: 0},
		{Height: uint64(top), Format: 2, Chunk: 0},
		{Height: uint64(top), Format: 1, Chunk: best.Chunks},
	} {
		if res, err := n.App.LoadSnapshotChunk(ssCtx, req); err != nil || len(res.Chunk) != 0 {
			t.Fatalf("load %v: %d bytes, %v", req, len(res.Chunk), err)
		}
	}
	empty("after the refused offers")

	offer, last = restore(t, n.App, fresh, best, n.hashes[top], nil)
	if offer != abci.OFFER_SNAPSHOT_RESULT_ACCEPT || last.Result != abci.APPLY_SNAPSHOT_CHUNK_RESULT_ACCEPT {
		t.Fatalf("genuine snapshot after the refusals: offer %v, last %v", offer, last)
	}
	if got := info(t, fresh); got.LastBlockHeight != top || !bytes.Equal(got.LastBlockAppHash, n.hashes[top]) {
		t.Fatalf("restored app at %d %X", got.LastBlockHeight, got.LastBlockAppHash)
	}
}
