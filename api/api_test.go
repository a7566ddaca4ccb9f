package api_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	ics23 "github.com/cosmos/ics23/go"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/proto"

	"github.com/lazchain/lazchain/api"
	"github.com/lazchain/lazchain/client"
	"github.com/lazchain/lazchain/node"
	"github.com/lazchain/lazchain/node/nodetest"
	"github.com/lazchain/lazchain/store"
	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/auth"
	"github.com/lazchain/lazchain/x/bank"
)

const (
	chainID      = "api-test"
	aliceFunds   = 1_000_000_000
	defaultLimit = 2 << 20
)

var (
	alice  = tx.DeterministicKey("alice")
	bob    = tx.DeterministicKey("bob")
	nobody = tx.DeterministicKey("nobody")
)

// syncBuffer is a log sink that the node's goroutines may write while the
// test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startNode runs a real one-validator node with alice funded and its API on
// a free port, and stops it when the test ends.
func startNode(t *testing.T, opts api.Options, logs io.Writer) *node.Node {
	t.Helper()
	home := t.TempDir()
	_, err := node.Init(home, node.InitOptions{
		ChainID: chainID, Moniker: "api-test", BlockTime: 100 * time.Millisecond,
		Accounts: []bank.Balance{{Address: alice.Address(), Amount: tx.FormatBaseUnits(aliceFunds)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if logs == nil {
		logs = io.Discard
	}
	n, err := node.Start(home, node.StartOptions{
		RPCAddr: nodetest.FreeAddr(t), P2PAddr: nodetest.FreeAddr(t), APIAddr: nodetest.FreeAddr(t),
		BlockTime: 100 * time.Millisecond, Metrics: false,
		Logger:     slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		APIOptions: opts,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := n.Stop(); err != nil {
			t.Errorf("stop node: %v", err)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := n.WaitForHeight(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if n.APIURL() == "" {
		t.Fatal("the node serves no API")
	}
	return n
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func do(t *testing.T, method, url, contentType string, body io.Reader) response {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	bz, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, url, err)
	}
	return response{status: res.StatusCode, header: res.Header, body: bz}
}

func get(t *testing.T, url string) response {
	t.Helper()
	return do(t, http.MethodGet, url, "", nil)
}

// expect checks the status and, for JSON answers, decodes the body into out.
func (r response) expect(t *testing.T, status int, out any) response {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body: %s", r.status, status, r.body)
	}
	if out != nil {
		if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Fatalf("Content-Type %q, want application/json; body: %s", ct, r.body)
		}
		if err := json.Unmarshal(r.body, out); err != nil {
			t.Fatalf("decode %s: %v", r.body, err)
		}
	}
	return r
}

// apiErr is the body of every error response.
type apiErr struct {
	Error     string `json:"error"`
	Codespace string `json:"codespace"`
	Code      uint32 `json:"code"`
}

// expectError checks an error response: status, JSON body with a sentence,
// and that the sentence mentions each of mentions.
func (r response) expectError(t *testing.T, status int, mentions ...string) apiErr {
	t.Helper()
	var e apiErr
	r.expect(t, status, &e)
	if e.Error == "" {
		t.Fatalf("error response without an error sentence: %s", r.body)
	}
	for _, m := range mentions {
		if !strings.Contains(e.Error, m) {
			t.Fatalf("error %q does not mention %q", e.Error, m)
		}
	}
	return e
}

// openAPIDoc is the parsed document, for shape checks.
type openAPIDoc map[string]any

func loadOpenAPI(t *testing.T, base string) openAPIDoc {
	t.Helper()
	var doc openAPIDoc
	get(t, base+"/openapi.json").expect(t, http.StatusOK, &doc)
	return doc
}

func (d openAPIDoc) schema(t *testing.T, name string) map[string]any {
	t.Helper()
	comps, _ := d["components"].(map[string]any)
	schemas, _ := comps["schemas"].(map[string]any)
	s, ok := schemas[name].(map[string]any)
	if !ok {
		t.Fatalf("openapi.json has no schema %q", name)
	}
	return s
}

// properties collects a schema's declared and required properties, through
// allOf and $ref.
func (d openAPIDoc) properties(t *testing.T, s map[string]any) (declared map[string]bool, required []string) {
	t.Helper()
	declared = map[string]bool{}
	if ref, ok := s["$ref"].(string); ok {
		return d.properties(t, d.schema(t, strings.TrimPrefix(ref, "#/components/schemas/")))
	}
	for _, part := range asSlice(s["allOf"]) {
		dp, rq := d.properties(t, part.(map[string]any))
		for k := range dp {
			declared[k] = true
		}
		required = append(required, rq...)
	}
	props, _ := s["properties"].(map[string]any)
	for k := range props {
		declared[k] = true
	}
	for _, r := range asSlice(s["required"]) {
		required = append(required, r.(string))
	}
	return declared, required
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

// checkShape checks that a JSON object answer matches the named schema at
// the top level: every required field present, no undeclared field.
func (d openAPIDoc) checkShape(t *testing.T, name string, body []byte) {
	t.Helper()
	var obj map[string]any
	if err := json.Unmarshal(body, &obj); err != nil {
		t.Fatalf("%s: answer is not a JSON object: %s", name, body)
	}
	declared, required := d.properties(t, d.schema(t, name))
	for _, r := range required {
		if _, ok := obj[r]; !ok {
			t.Errorf("%s: required field %q missing from %s", name, r, body)
		}
	}
	for k := range obj {
		if !declared[k] {
			t.Errorf("%s: field %q is not in the OpenAPI schema (answer %s)", name, k, body)
		}
	}
}

// blobRoutes are the blob store's routes (blob.Register), which the API
// mounts beside its own when Options.Blobs is set, as a node does; the
// OpenAPI document describes them too.
var blobRoutes = []api.Route{
	{Method: "PUT", Pattern: "/v1/blobs/{sha256}"},
	{Method: "GET", Pattern: "/v1/blobs/{sha256}"},
	{Method: "HEAD", Pattern: "/v1/blobs/{sha256}"},
	{Method: "DELETE", Pattern: "/v1/blobs/{sha256}"},
}

func sendMsgs(to tx.Address, amount uint64) []proto.Message {
	return []proto.Message{client.SendMsg(alice.Address(), to, amount)}
}

func hashOf(raw []byte) string {
	h := tx.Hash(raw)
	return strings.ToUpper(hex.EncodeToString(h[:]))
}

func TestAPI(t *testing.T) {
	logs := &syncBuffer{}
	reg := prometheus.NewRegistry()
	probe := prometheus.NewCounter(prometheus.CounterOpts{Name: "api_test_probe_total", Help: "A counter the test sets."})
	reg.MustRegister(probe)
	probe.Add(3)
	n := startNode(t, api.Options{
		Gatherer: reg, Devnet: true,
		TestAccounts: []api.TestAccount{{Name: "alice", Address: alice.Address()}, {Name: "bob", Address: bob.Address()}},
	}, logs)
	base := n.APIURL()
	doc := loadOpenAPI(t, base)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	t.Run("status", func(t *testing.T) {
		var st client.Status
		r := get(t, base+"/v1/status").expect(t, http.StatusOK, &st)
		doc.checkShape(t, "Status", r.body)
		if st.ChainID != chainID || st.LatestHeight < 1 || st.LatestAppHash == "" || st.ValidatorPower == 0 {
			t.Fatalf("status %+v", st)
		}
	})

	t.Run("balance", func(t *testing.T) {
		var b struct {
			Address tx.Address `json:"address"`
			Amount  string     `json:"amount"`
			Height  int64      `json:"height"`
		}
		r := get(t, base+"/v1/bank/balances/"+alice.Address().String()).expect(t, http.StatusOK, &b)
		doc.checkShape(t, "Balance", r.body)
		if b.Address != alice.Address() || b.Amount != tx.FormatBaseUnits(aliceFunds) || b.Height < 1 {
			t.Fatalf("alice's balance %+v", b)
		}
		get(t, base+"/v1/bank/balances/"+alice.Address().String()+"?height=1").expect(t, http.StatusOK, &b)
		if b.Height != 1 || b.Amount != tx.FormatBaseUnits(aliceFunds) {
			t.Fatalf("alice's balance at height 1: %+v", b)
		}
		// Lower-case input is accepted; the answer is checksummed.
		get(t, base+"/v1/bank/balances/"+strings.ToLower(bob.Address().String())).expect(t, http.StatusOK, &b)
		if b.Address != bob.Address() || b.Amount != "0" {
			t.Fatalf("bob's balance %+v", b)
		}
	})

	t.Run("balance errors", func(t *testing.T) {
		get(t, base+"/v1/bank/balances/0xnothex").expectError(t, http.StatusBadRequest, "0xnothex")
		get(t, base+"/v1/bank/balances/alice").expectError(t, http.StatusBadRequest, `"alice"`)
		get(t, base+"/v1/bank/balances/"+alice.Address().String()+"?height=-1").expectError(t, http.StatusBadRequest, "height")
		e := get(t, base+"/v1/bank/balances/"+alice.Address().String()+"?height=999999999").expectError(t, http.StatusNotFound)
		if e.Codespace != "query" || e.Code != 3 {
			t.Fatalf("future height: %+v, want query/3", e)
		}
	})

	t.Run("supply", func(t *testing.T) {
		var s struct {
			Supply        string     `json:"supply"`
			FeeCollector  tx.Address `json:"fee_collector"`
			FeesCollected string     `json:"fees_collected"`
			Height        int64      `json:"height"`
		}
		r := get(t, base+"/v1/bank/supply").expect(t, http.StatusOK, &s)
		doc.checkShape(t, "Supply", r.body)
		if s.Supply != tx.FormatBaseUnits(aliceFunds) || s.FeeCollector != bank.FeeCollector || s.Height < 1 {
			t.Fatalf("supply %+v", s)
		}
	})

	t.Run("params", func(t *testing.T) {
		var p map[string]any
		r := get(t, base+"/v1/params").expect(t, http.StatusOK, &p)
		doc.checkShape(t, "Params", r.body)
		def := auth.DefaultParams()
		if p["min_gas_price"] != def.MinGasPrice || p["max_tx_bytes"] != fmt.Sprint(def.MaxTxBytes) || p["max_msgs"] != float64(def.MaxMsgs) {
			t.Fatalf("params %v, want %v", p, def)
		}
	})

	t.Run("blocks", func(t *testing.T) {
		var latest, one client.Block
		r := get(t, base+"/v1/blocks/latest").expect(t, http.StatusOK, &latest)
		doc.checkShape(t, "Block", r.body)
		if latest.Height < 1 || latest.ChainID != chainID || latest.Hash == "" {
			t.Fatalf("latest block %+v", latest)
		}
		get(t, base+"/v1/blocks/1").expect(t, http.StatusOK, &one)
		if one.Height != 1 || one.ChainID != chainID || one.TxHashes == nil {
			t.Fatalf("block 1 %+v", one)
		}
		get(t, base+"/v1/blocks/0").expectError(t, http.StatusBadRequest, `"0"`)
		get(t, base+"/v1/blocks/tall").expectError(t, http.StatusBadRequest, `"tall"`)
		get(t, base+"/v1/blocks/999999999").expectError(t, http.StatusNotFound, "999999999", "not committed yet")
	})

	t.Run("account before txs", func(t *testing.T) {
		var a struct {
			Address      tx.Address `json:"address"`
			Nonce        uint64     `json:"nonce"`
			PendingNonce uint64     `json:"pending_nonce"`
			Height       int64      `json:"height"`
		}
		r := get(t, base+"/v1/accounts/"+alice.Address().String()).expect(t, http.StatusOK, &a)
		doc.checkShape(t, "Account", r.body)
		if a.Address != alice.Address() || a.Nonce != 0 || a.PendingNonce != 0 || a.Height < 1 {
			t.Fatalf("account %+v", a)
		}
		get(t, base+"/v1/accounts/0x0").expectError(t, http.StatusBadRequest, "0x0")
	})

	var sent []string // hashes of the txs that went through, in order
	var total uint64  // ulaz sent to bob
	build := func(t *testing.T, amount uint64) []byte {
		t.Helper()
		raw, err := n.Client.BuildTx(ctx, alice, sendMsgs(bob.Address(), amount), client.TxOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	jsonBody := func(raw []byte, mode string) io.Reader {
		m := map[string]string{"tx": base64.StdEncoding.EncodeToString(raw)}
		if mode != "" {
			m["mode"] = mode
		}
		bz, _ := json.Marshal(m)
		return bytes.NewReader(bz)
	}

	t.Run("broadcast raw sync", func(t *testing.T) {
		raw := build(t, 1000)
		var res struct {
			Hash string `json:"hash"`
			Code *int   `json:"code"`
		}
		r := do(t, http.MethodPost, base+"/v1/txs", "application/octet-stream", bytes.NewReader(raw)).expect(t, http.StatusOK, &res)
		doc.checkShape(t, "BroadcastSync", r.body)
		if res.Hash != hashOf(raw) || res.Code == nil || *res.Code != 0 {
			t.Fatalf("sync broadcast %s", r.body)
		}
		sent, total = append(sent, res.Hash), total+1000
		// The same bytes again: the node has seen them.
		var again struct {
			Error string `json:"error"`
			Hash  string `json:"hash"`
		}
		r = do(t, http.MethodPost, base+"/v1/txs", "application/octet-stream", bytes.NewReader(raw)).expect(t, http.StatusConflict, &again)
		doc.checkShape(t, "TxPending", r.body)
		if again.Hash != res.Hash || again.Error == "" {
			t.Fatalf("repeated broadcast %s", r.body)
		}
	})

	t.Run("broadcast json commit", func(t *testing.T) {
		raw := build(t, 2000)
		var res client.TxResult
		r := do(t, http.MethodPost, base+"/v1/txs", "application/json", jsonBody(raw, "commit")).expect(t, http.StatusOK, &res)
		doc.checkShape(t, "TxResult", r.body)
		if res.Hash != hashOf(raw) || res.Code != 0 || res.Height < 1 || res.Signer != alice.Address().String() || len(res.Messages) != 1 {
			t.Fatalf("commit broadcast %s", r.body)
		}
		sent, total = append(sent, res.Hash), total+2000
	})

	t.Run("broadcast json sync (default mode)", func(t *testing.T) {
		raw := build(t, 3000)
		var res struct {
			Hash string `json:"hash"`
			Code *int   `json:"code"`
		}
		do(t, http.MethodPost, base+"/v1/txs", "application/json; charset=utf-8", jsonBody(raw, "")).expect(t, http.StatusOK, &res)
		if res.Hash != hashOf(raw) || res.Code == nil || *res.Code != 0 {
			t.Fatalf("json sync broadcast %+v", res)
		}
		sent, total = append(sent, res.Hash), total+3000
	})

	t.Run("broadcast raw commit", func(t *testing.T) {
		raw := build(t, 4000)
		var res client.TxResult
		do(t, http.MethodPost, base+"/v1/txs?mode=commit&timeout=20s", "application/octet-stream", bytes.NewReader(raw)).expect(t, http.StatusOK, &res)
		if res.Hash != hashOf(raw) || res.Code != 0 || res.Height < 1 {
			t.Fatalf("raw commit broadcast %+v", res)
		}
		sent, total = append(sent, res.Hash), total+4000
	})

	t.Run("broadcast raw async", func(t *testing.T) {
		raw := build(t, 5000)
		var res map[string]any
		r := do(t, http.MethodPost, base+"/v1/txs?mode=async", "application/octet-stream", bytes.NewReader(raw)).expect(t, http.StatusAccepted, &res)
		doc.checkShape(t, "BroadcastAsync", r.body)
		if res["hash"] != hashOf(raw) {
			t.Fatalf("async broadcast %s", r.body)
		}
		sent, total = append(sent, hashOf(raw)), total+5000
	})

	t.Run("txs are found by hash", func(t *testing.T) {
		for _, h := range sent {
			var res client.TxResult
			deadline := time.Now().Add(20 * time.Second)
			for {
				r := get(t, base+"/v1/txs/"+h)
				if r.status == http.StatusOK {
					r.expect(t, http.StatusOK, &res)
					doc.checkShape(t, "TxResult", r.body)
					break
				}
				r.expectError(t, http.StatusNotFound, h)
				if time.Now().After(deadline) {
					t.Fatalf("tx %s never committed", h)
				}
				time.Sleep(100 * time.Millisecond)
			}
			if res.Hash != h || res.Code != 0 || res.Height < 1 || len(res.Events) == 0 {
				t.Fatalf("tx %s: %+v", h, res)
			}
			// 0x-prefixed, lower-case hashes are the same tx.
			get(t, base+"/v1/txs/0x"+strings.ToLower(h)).expect(t, http.StatusOK, &res)
		}
		var bal struct {
			Amount string `json:"amount"`
		}
		get(t, base+"/v1/bank/balances/"+bob.Address().String()).expect(t, http.StatusOK, &bal)
		if bal.Amount != tx.FormatBaseUnits(total) {
			t.Fatalf("bob has %s ulaz, want %d", bal.Amount, total)
		}
		var a struct {
			Nonce        uint64 `json:"nonce"`
			PendingNonce uint64 `json:"pending_nonce"`
		}
		get(t, base+"/v1/accounts/"+alice.Address().String()).expect(t, http.StatusOK, &a)
		if a.Nonce != uint64(len(sent)) || a.PendingNonce != uint64(len(sent)) {
			t.Fatalf("alice's account %+v after %d txs", a, len(sent))
		}
		get(t, base+"/v1/txs/"+strings.Repeat("ab", 32)).expectError(t, http.StatusNotFound, strings.Repeat("AB", 32))
		get(t, base+"/v1/txs/xyz").expectError(t, http.StatusBadRequest, `"xyz"`)
	})

	t.Run("balances pages", func(t *testing.T) {
		var page bank.BalancesResult
		r := get(t, base+"/v1/bank/balances").expect(t, http.StatusOK, &page)
		doc.checkShape(t, "BalancesPage", r.body)
		if len(page.Balances) < 3 { // alice, bob and the fee collector
			t.Fatalf("balances %+v", page)
		}
		var first, second bank.BalancesResult
		get(t, base+"/v1/bank/balances?limit=1").expect(t, http.StatusOK, &first)
		if len(first.Balances) != 1 || first.Next == "" {
			t.Fatalf("first page %+v", first)
		}
		get(t, base+"/v1/bank/balances?limit=1&after="+first.Next).expect(t, http.StatusOK, &second)
		if len(second.Balances) != 1 || second.Balances[0].Address == first.Balances[0].Address {
			t.Fatalf("second page %+v after %+v", second, first)
		}
		get(t, base+"/v1/bank/balances?limit=0").expectError(t, http.StatusBadRequest, "limit")
		get(t, base+"/v1/bank/balances?limit=1001").expectError(t, http.StatusBadRequest, "limit")
		get(t, base+"/v1/bank/balances?after=0x12").expectError(t, http.StatusBadRequest, "0x12")
	})

	t.Run("refused txs", func(t *testing.T) {
		zero := uint64(0)
		stale, err := n.Client.BuildTx(ctx, alice, sendMsgs(bob.Address(), 1), client.TxOptions{Nonce: &zero, GasLimit: 100_000})
		if err != nil {
			t.Fatal(err)
		}
		for _, mode := range []string{"sync", "commit"} {
			var res struct {
				apiErr
				Hash string `json:"hash"`
				Log  string `json:"log"`
			}
			r := do(t, http.MethodPost, base+"/v1/txs", "application/json", jsonBody(stale, mode)).expect(t, http.StatusUnprocessableEntity, &res)
			doc.checkShape(t, "TxRefused", r.body)
			if res.Codespace != auth.ErrNonceUsed.Codespace || res.Code != auth.ErrNonceUsed.Code || res.Hash != hashOf(stale) || res.Log == "" || res.Error == "" {
				t.Fatalf("stale nonce (%s): %s", mode, r.body)
			}
		}

		nonce, err := n.Client.PendingNonce(ctx, alice.Address())
		if err != nil {
			t.Fatal(err)
		}
		anys, err := tx.PackMsgs(sendMsgs(bob.Address(), 1)...)
		if err != nil {
			t.Fatal(err)
		}
		other, err := tx.Sign(alice, "another-chain", &tx.TxBody{Messages: anys, Nonce: nonce, Fee: &tx.Fee{Amount: "100000", GasLimit: 1_000_000}})
		if err != nil {
			t.Fatal(err)
		}
		e := do(t, http.MethodPost, base+"/v1/txs", "application/octet-stream", bytes.NewReader(other)).expectError(t, http.StatusUnprocessableEntity, "another-chain")
		if e.Codespace != tx.ErrWrongChain.Codespace || e.Code != tx.ErrWrongChain.Code {
			t.Fatalf("tx for another chain: %+v, want %s/%d", e, tx.ErrWrongChain.Codespace, tx.ErrWrongChain.Code)
		}

		// Bytes that are no tx at all are the app's to refuse, with its code.
		e = do(t, http.MethodPost, base+"/v1/txs", "application/octet-stream", strings.NewReader("not a tx")).expectError(t, http.StatusUnprocessableEntity)
		if e.Codespace != tx.ErrMalformed.Codespace || e.Code != tx.ErrMalformed.Code {
			t.Fatalf("garbage tx: %+v", e)
		}
	})

	t.Run("malformed requests", func(t *testing.T) {
		post := func(ctype, body string) response {
			return do(t, http.MethodPost, base+"/v1/txs", ctype, strings.NewReader(body))
		}
		post("application/json", `{"tx":`).expectError(t, http.StatusBadRequest, "JSON")
		post("application/json", `{"tx":"!!!"}`).expectError(t, http.StatusBadRequest, "base64")
		post("application/json", `{"tx":"AAAA","fee":1}`).expectError(t, http.StatusBadRequest, "fee")
		post("application/json", `{"tx":"AAAA"} {}`).expectError(t, http.StatusBadRequest, "one")
		post("application/json", `{"mode":"sync"}`).expectError(t, http.StatusBadRequest, `"tx"`)
		post("application/json", `{"tx":"AAAA","mode":"later"}`).expectError(t, http.StatusBadRequest, `"later"`)
		post("application/octet-stream", "").expectError(t, http.StatusBadRequest, "no tx bytes")
		post("text/plain", "AAAA").expectError(t, http.StatusUnsupportedMediaType, "application/octet-stream")
		post("", "AAAA").expectError(t, http.StatusUnsupportedMediaType, "Content-Type")
		do(t, http.MethodPost, base+"/v1/txs?mode=commit&timeout=forever", "application/octet-stream", strings.NewReader("x")).
			expectError(t, http.StatusBadRequest, "timeout")
		do(t, http.MethodPost, base+"/v1/txs?mode=commit&timeout=1h", "application/octet-stream", strings.NewReader("x")).
			expectError(t, http.StatusBadRequest, "5m")
	})

	t.Run("oversize body", func(t *testing.T) {
		big := bytes.Repeat([]byte{'A'}, defaultLimit+1)
		// With a Content-Length, refused before reading.
		do(t, http.MethodPost, base+"/v1/txs", "application/octet-stream", bytes.NewReader(big)).
			expectError(t, http.StatusRequestEntityTooLarge, fmt.Sprint(defaultLimit))
		// Chunked, refused once the limit is crossed.
		do(t, http.MethodPost, base+"/v1/txs", "application/json", io.MultiReader(bytes.NewReader(big))).
			expectError(t, http.StatusRequestEntityTooLarge, fmt.Sprint(defaultLimit))
		// Exactly the limit is read (and then refused for what it is).
		do(t, http.MethodPost, base+"/v1/txs", "application/json", io.MultiReader(bytes.NewReader(big[:defaultLimit]))).
			expectError(t, http.StatusBadRequest, "JSON")
	})

	t.Run("unknown routes and methods", func(t *testing.T) {
		get(t, base+"/v1/nothing").expectError(t, http.StatusNotFound, "/v1/nothing", "/openapi.json")
		get(t, base+"/v1/bank").expectError(t, http.StatusNotFound, "/v1/bank")
		get(t, base+"/favicon.ico").expectError(t, http.StatusNotFound)
		r := do(t, http.MethodDelete, base+"/v1/status", "", nil)
		r.expectError(t, http.StatusMethodNotAllowed, "DELETE", "GET")
		if allow := r.header.Get("Allow"); !strings.Contains(allow, "GET") {
			t.Fatalf("Allow %q", allow)
		}
		r = get(t, base+"/v1/txs")
		r.expectError(t, http.StatusMethodNotAllowed, "POST")
		if allow := r.header.Get("Allow"); allow != "POST" {
			t.Fatalf("Allow %q, want POST", allow)
		}
	})

	t.Run("state with proof", func(t *testing.T) {
		var sv struct {
			Key          string  `json:"key"`
			Kind         string  `json:"kind"`
			Value        *string `json:"value"`
			Exists       bool    `json:"exists"`
			Amount       *string `json:"amount"`
			Height       int64   `json:"height"`
			HeaderHeight int64   `json:"header_height"`
			AppHash      string  `json:"app_hash"`
			SignedPower  int64   `json:"signed_power"`
			TotalPower   int64   `json:"total_power"`
			Proof        string  `json:"proof"`
			Verified     bool    `json:"verified"`
		}
		r := get(t, base+"/v1/state/bank/balance/"+bob.Address().String()+"?prove=true").expect(t, http.StatusOK, &sv)
		doc.checkShape(t, "StateValue", r.body)
		if !sv.Verified || !sv.Exists || sv.Kind != "amount" || sv.Amount == nil || sv.HeaderHeight != sv.Height+1 ||
			sv.SignedPower == 0 || sv.SignedPower != sv.TotalPower || sv.Proof == "" {
			t.Fatalf("proven balance %s", r.body)
		}
		// The proven value is the balance the plain read gives at that height.
		var bal struct {
			Amount string `json:"amount"`
		}
		get(t, fmt.Sprintf("%s/v1/bank/balances/%s?height=%d", base, bob.Address(), sv.Height)).expect(t, http.StatusOK, &bal)
		if *sv.Amount != bal.Amount {
			t.Fatalf("proven amount %s, balance at %d is %s", *sv.Amount, sv.Height, bal.Amount)
		}
		// Check the proof here too: against the app hash of the header the
		// block API reports.
		var hdr client.Block
		get(t, fmt.Sprintf("%s/v1/blocks/%d", base, sv.HeaderHeight)).expect(t, http.StatusOK, &hdr)
		if hdr.AppHash != sv.AppHash {
			t.Fatalf("app hash %s, block %d says %s", sv.AppHash, sv.HeaderHeight, hdr.AppHash)
		}
		verifyProof(t, sv.AppHash, sv.Key, *sv.Value, sv.Proof)

		// Absence is proven too.
		r = get(t, base+"/v1/state/bank/balance/"+nobody.Address().String()+"?prove=1").expect(t, http.StatusOK, &sv)
		if !sv.Verified || sv.Exists || sv.Value != nil || !strings.Contains(string(r.body), `"value":null`) {
			t.Fatalf("absence proof %s", r.body)
		}
		// An earlier height.
		get(t, base+"/v1/state/bank/supply?prove=true&height=1").expect(t, http.StatusOK, &sv)
		if !sv.Verified || sv.Height != 1 || sv.HeaderHeight != 2 || sv.Amount == nil || *sv.Amount != tx.FormatBaseUnits(aliceFunds) {
			t.Fatalf("supply proven at height 1: %+v", sv)
		}
	})

	t.Run("state without proof", func(t *testing.T) {
		var plain, byHex map[string]any
		r := get(t, base+"/v1/state/bank/supply").expect(t, http.StatusOK, &plain)
		doc.checkShape(t, "StateValue", r.body)
		if plain["verified"] != false || plain["amount"] != tx.FormatBaseUnits(aliceFunds) || plain["proof"] != nil {
			t.Fatalf("plain supply read %s", r.body)
		}
		get(t, base+"/v1/state/hex:"+hex.EncodeToString(bank.SupplyStoreKey())).expect(t, http.StatusOK, &byHex)
		if byHex["kind"] != "raw" || byHex["value"] != plain["value"] {
			t.Fatalf("hex key read %v, plain %v", byHex, plain)
		}
		var nonce map[string]any
		get(t, base+"/v1/state/auth/nonce/"+alice.Address().String()).expect(t, http.StatusOK, &nonce)
		if nonce["kind"] != "nonce" || nonce["nonce"] != float64(len(sent)) {
			t.Fatalf("alice's nonce %v, want %d", nonce, len(sent))
		}
		get(t, base+"/v1/state/bank/nothing").expectError(t, http.StatusBadRequest, "bank/nothing")
		get(t, base+"/v1/state/bank/balance/0x99").expectError(t, http.StatusBadRequest, "0x99")
		get(t, base+"/v1/state/hex:zz").expectError(t, http.StatusBadRequest, "hex:zz")
		get(t, base+"/v1/state/bank/supply?prove=maybe").expectError(t, http.StatusBadRequest, "maybe")
		e := get(t, base+"/v1/state/bank/supply?height=999999999").expectError(t, http.StatusNotFound)
		if e.Codespace != "query" || e.Code != 3 {
			t.Fatalf("future height: %+v", e)
		}
	})

	t.Run("metrics", func(t *testing.T) {
		r := get(t, base+"/metrics")
		if r.status != http.StatusOK || !strings.Contains(string(r.body), "api_test_probe_total 3") {
			t.Fatalf("metrics: %d %s", r.status, r.body)
		}
		if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
			t.Fatalf("metrics Content-Type %q", ct)
		}
	})

	t.Run("dashboard", func(t *testing.T) {
		r := get(t, base+"/")
		if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
			t.Fatalf("dashboard: %d %s", r.status, r.header.Get("Content-Type"))
		}
		page := string(r.body)
		for _, want := range []string{chainID, "TEST-ONLY keys", alice.Address().String(), bob.Address().String(),
			`href="/openapi.json"`, `href="/metrics"`, "LAZ", "App hash"} {
			if !strings.Contains(page, want) {
				t.Errorf("dashboard lacks %q", want)
			}
		}
		// No external assets: nothing is loaded from another origin.
		if m := regexp.MustCompile(`(?i)(src|href)\s*=\s*"(https?:)?//`).FindString(page); m != "" {
			t.Errorf("dashboard loads from another origin: %s", m)
		}
		if strings.Contains(page, "<script") {
			t.Errorf("dashboard carries a script")
		}
	})

	t.Run("openapi matches the routes", func(t *testing.T) {
		if doc["openapi"] != "3.1.0" {
			t.Fatalf("openapi version %v", doc["openapi"])
		}
		paths, ok := doc["paths"].(map[string]any)
		if !ok {
			t.Fatal("openapi.json has no paths")
		}
		documented := map[string]bool{}
		for p, item := range paths {
			for method := range item.(map[string]any) {
				switch method {
				case "get", "post", "put", "patch", "delete", "head", "options", "trace":
					documented[strings.ToUpper(method)+" "+p] = true
				}
			}
		}
		served := map[string]bool{}
		for _, rt := range append(api.Routes(), blobRoutes...) {
			served[rt.Method+" "+rt.OpenAPIPath()] = true
		}
		for k := range served {
			if !documented[k] {
				t.Errorf("route %s is served but not in openapi.json", k)
			}
		}
		for k := range documented {
			if !served[k] {
				t.Errorf("openapi.json documents %s, which is not served", k)
			}
		}
		checkRefs(t, doc, doc)
	})

	t.Run("every route is served", func(t *testing.T) {
		fill := strings.NewReplacer("{address}", alice.Address().String(), "{hash}", strings.Repeat("0", 64),
			"{height}", "1", "{key...}", "bank/supply", "{$}", "", "{sha256}", strings.Repeat("0", 64))
		for _, rt := range append(api.Routes(), blobRoutes...) {
			r := do(t, rt.Method, base+fill.Replace(rt.Pattern), "application/octet-stream", nil)
			if r.status == http.StatusMethodNotAllowed || (r.status == http.StatusNotFound && strings.Contains(string(r.body), "no route")) {
				t.Errorf("%s %s is listed by Routes but not served: %d %s", rt.Method, rt.Pattern, r.status, r.body)
			}
		}
	})

	t.Run("requests are logged at debug", func(t *testing.T) {
		out := logs.String()
		if !strings.Contains(out, "level=DEBUG") || !strings.Contains(out, "api request") || !strings.Contains(out, "path=/v1/status") {
			t.Fatalf("no debug request log for /v1/status in:\n%s", tail(out, 2000))
		}
	})
}

// TestAPIWithoutMetricsOrDevnet runs a node whose API has no gatherer and
// is not a devnet.
func TestAPIWithoutMetricsOrDevnet(t *testing.T) {
	n := startNode(t, api.Options{}, nil)
	base := n.APIURL()
	get(t, base+"/metrics").expectError(t, http.StatusNotFound, "metrics are off")
	r := get(t, base+"/")
	if r.status != http.StatusOK {
		t.Fatalf("dashboard: %d %s", r.status, r.body)
	}
	page := string(r.body)
	if !strings.Contains(page, chainID) || strings.Contains(page, "TEST-ONLY") || strings.Contains(page, "DEVNET") {
		t.Fatalf("dashboard of a non-devnet node:\n%s", page)
	}
	if !strings.Contains(page, "(off)") {
		t.Fatalf("dashboard does not say metrics are off")
	}
}

// verifyProof checks an ICS23 proof from the API against an app hash, all
// in hex as the API gives them.
func verifyProof(t *testing.T, appHashHex, keyHex, valueHex, proofHex string) {
	t.Helper()
	decode := func(s string) []byte {
		b, err := hex.DecodeString(s)
		if err != nil {
			t.Fatalf("hex %q: %v", s, err)
		}
		return b
	}
	var proof ics23.CommitmentProof
	if err := proof.Unmarshal(decode(proofHex)); err != nil {
		t.Fatalf("decode proof: %v", err)
	}
	if err := store.VerifyProof(decode(appHashHex), decode(keyHex), decode(valueHex), &proof); err != nil {
		t.Fatalf("proof does not verify: %v", err)
	}
}

// checkRefs fails on any $ref in v that does not resolve in doc.
func checkRefs(t *testing.T, doc openAPIDoc, v any) {
	t.Helper()
	switch x := v.(type) {
	case map[string]any:
		if ref, ok := x["$ref"].(string); ok {
			var cur any = map[string]any(doc)
			for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
				m, ok := cur.(map[string]any)
				if !ok {
					cur = nil
					break
				}
				cur = m[part]
			}
			if cur == nil {
				t.Errorf("$ref %s does not resolve", ref)
			}
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			checkRefs(t, doc, x[k])
		}
	case []any:
		for _, e := range x {
			checkRefs(t, doc, e)
		}
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
