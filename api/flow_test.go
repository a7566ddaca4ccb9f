package api_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/lazchain/lazchain/blob"
	"github.com/lazchain/lazchain/client"
	"github.com/lazchain/lazchain/enclave"
	"github.com/lazchain/lazchain/internal/datasets"
	"github.com/lazchain/lazchain/node"
	"github.com/lazchain/lazchain/node/nodetest"
	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/worker"
	"github.com/lazchain/lazchain/x/bank"
	"github.com/lazchain/lazchain/x/compute"
	"github.com/lazchain/lazchain/x/flow"
)

// irisLines are every n-th line of Iris from offset: disjoint slices for
// the validation set and contributions.
func irisLines(n, offset int) []byte {
	var out [][]byte
	for i, l := range datasets.Lines(datasets.Iris) {
		if i%n == offset {
			out = append(out, l)
		}
	}
	return datasets.Join(out)
}

const irisSchema = `{"type":"object","required":["features","label"],"additionalProperties":false,
 "properties":{"features":{"type":"array","minItems":4,"maxItems":4,"items":{"type":"number","minimum":0,"maximum":10}},
 "label":{"type":"integer","minimum":0,"maximum":2}}}`

// TestFlowRoutes runs a chain with dev enclave workers, a pool and an
// anchored contribution, then reads every flow and compute route (values,
// shapes against /openapi.json, 404s and 400s), the dashboard's pool and
// worker sections, and the blob routes.
func TestFlowRoutes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ops := []*tx.PrivateKey{tx.DeterministicKey("api-flow/op1"), tx.DeterministicKey("api-flow/op2")}
	accounts := []bank.Balance{{Address: alice.Address(), Amount: "1000000000000"}, {Address: bob.Address(), Amount: "1000000000000"}}
	var opAddrs []tx.Address
	for _, op := range ops {
		opAddrs = append(opAddrs, op.Address())
		accounts = append(accounts, bank.Balance{Address: op.Address(), Amount: "100000000000"})
	}
	sections := nodetest.FlowGenesis(t, alice.Address(), "iris-pool", nodetest.ComputeIDAO{Name: "enclaves", Operators: opAddrs})
	home := t.TempDir()
	if _, err := node.Init(home, node.InitOptions{
		ChainID: chainID, Moniker: "api-flow", BlockTime: nodetest.BlockTime, Accounts: accounts,
		Sections: sections,
	}); err != nil {
		t.Fatal(err)
	}
	n := nodetest.Start(t, home, node.StartOptions{})
	base, c := n.APIURL(), n.Client
	doc := loadOpenAPI(t, base)
	blobs := blob.NewClient(base, nil)
	before, err := c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}

	var ids []uint64
	for _, op := range ops {
		e, err := enclave.NewDev()
		if err != nil {
			t.Fatal(err)
		}
		w := worker.New(worker.Config{Client: c, Blobs: blobs, Enclave: e, Operator: op, IDAO: 2, Bond: 10_000_000, Poll: 100 * time.Millisecond})
		id, err := w.Register(ctx)
		if err != nil {
			t.Fatal(err)
		}
		go w.Run(ctx)
		ids = append(ids, id)
	}
	checked, refused, err := c.CheckWorkers(ctx, 2)
	if err != nil || len(refused) != 0 || len(checked) != 2 {
		t.Fatalf("check workers: %v, refused %v, ok %d", err, refused, len(checked))
	}
	validation := irisLines(5, 0)
	poolID, err := c.CreatePoolWithValidation(ctx, alice, &flow.MsgCreatePool{
		Idao: 1, Name: "iris", Kind: "tabular", Schema: irisSchema,
		Weights: &flow.Weights{ValidityBps: 2000, UniquenessBps: 2000, ValueBps: 6000},
		KnnK:    3, QuorumK: 2, ThresholdT: 2, ProofPolicy: "tee", DeadlineBlocks: 60,
		VerifierFee: "300000", Terms: &flow.DATTerms{UsageValue: 100, SharePerPpm: 1}, ComputeIdao: 2, MaxRounds: 2,
	}, bytes.NewReader(validation), int64(len(validation)), checked, blobs, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	data := irisLines(5, 1)
	res, err := c.Contribute(ctx, bob, poolID, bytes.NewReader(data), int64(len(data)), blobs, nil, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var anchored *flow.Contribution
	for anchored == nil {
		k, err := c.Contribution(ctx, res.Contribution, 0)
		if err != nil {
			t.Fatal(err)
		}
		switch k.Status {
		case flow.StatusVerifying:
			time.Sleep(100 * time.Millisecond)
		case flow.StatusAnchored:
			anchored = k
		default:
			t.Fatalf("contribution %d is %s (%s), want anchored", k.Id, k.Status, k.Reason)
		}
	}

	notFound := func(t *testing.T, url, codespace string, code uint32, mentions ...string) {
		t.Helper()
		e := get(t, url).expectError(t, http.StatusNotFound, mentions...)
		if e.Codespace != codespace || e.Code != code {
			t.Fatalf("%s: %+v, want %s/%d", url, e, codespace, code)
		}
	}
	badRequest := func(t *testing.T, url string, mentions ...string) {
		t.Helper()
		get(t, url).expectError(t, http.StatusBadRequest, mentions...)
	}

	t.Run("pools", func(t *testing.T) {
		var l flow.QueryPoolsResponse
		getProto(t, doc, base+"/v1/flow/pools", "QueryPoolsResponse", &l)
		if len(l.Pools) != 1 {
			t.Fatalf("pools %v", &l)
		}
		p := l.Pools[0]
		if p.Id != poolID || p.Name != "iris" || p.Kind != "tabular" || p.Idao != 1 || p.Creator != alice.Address().String() ||
			p.QuorumK != 2 || p.ThresholdT != 2 || p.VerifierFee != "300000" || p.Class == 0 || p.Anchored != 1 || p.AnchoredLive != 1 ||
			p.Weights.GetValueBps() != 6000 || p.Terms.GetUsageValue() != 100 || p.ComputeIdao != 2 || len(p.Validation.GetGrants()) != 2 {
			t.Fatalf("pool %v", p)
		}
		getProto(t, doc, base+"/v1/flow/pools?after="+strconv.FormatUint(poolID, 10), "QueryPoolsResponse", &l)
		if len(l.Pools) != 0 {
			t.Fatalf("after the last pool: %v", &l)
		}
		getProto(t, doc, fmt.Sprintf("%s/v1/flow/pools?height=%d", base, before.LatestHeight), "QueryPoolsResponse", &l)
		if len(l.Pools) != 0 {
			t.Fatalf("pools before any was created: %v", &l)
		}
		badRequest(t, base+"/v1/flow/pools?limit=0", "limit")
		badRequest(t, base+"/v1/flow/pools?after=x", `"x"`)
		badRequest(t, base+"/v1/flow/pools?height=-2", "height")
	})

	t.Run("pool", func(t *testing.T) {
		var p flow.Pool
		getProto(t, doc, fmt.Sprintf("%s/v1/flow/pools/%d", base, poolID), "Pool", &p)
		want, err := c.Pool(ctx, poolID, 0)
		if err != nil {
			t.Fatal(err)
		}
		if !proto.Equal(&p, want) {
			t.Fatalf("pool from the API %v, from the SDK %v", &p, want)
		}
		notFound(t, base+"/v1/flow/pools/99", flow.Name, flow.ErrNotFound.Code, "pool 99 does not exist")
		notFound(t, fmt.Sprintf("%s/v1/flow/pools/%d?height=%d", base, poolID, before.LatestHeight), flow.Name, flow.ErrNotFound.Code)
		badRequest(t, base+"/v1/flow/pools/0", `"0"`)
		badRequest(t, base+"/v1/flow/pools/iris", `"iris"`)
	})

	t.Run("contributions of a pool", func(t *testing.T) {
		var l flow.QueryContributionsResponse
		getProto(t, doc, fmt.Sprintf("%s/v1/flow/pools/%d/contributions", base, poolID), "QueryContributionsResponse", &l)
		if len(l.Contributions) != 1 || !proto.Equal(l.Contributions[0], anchored) {
			t.Fatalf("contributions %v, want %v", &l, anchored)
		}
		getProto(t, doc, fmt.Sprintf("%s/v1/flow/pools/%d/contributions?after=%d&limit=5", base, poolID, anchored.Id), "QueryContributionsResponse", &l)
		if len(l.Contributions) != 0 {
			t.Fatalf("after the last contribution: %v", &l)
		}
		notFound(t, base+"/v1/flow/pools/99/contributions", flow.Name, flow.ErrNotFound.Code, "pool 99")
		badRequest(t, base+"/v1/flow/pools/x/contributions", `"x"`)
		badRequest(t, fmt.Sprintf("%s/v1/flow/pools/%d/contributions?limit=5000", base, poolID), "limit")
	})

	t.Run("contribution", func(t *testing.T) {
		var k flow.Contribution
		getProto(t, doc, fmt.Sprintf("%s/v1/flow/contributions/%d", base, res.Contribution), "Contribution", &k)
		if k.Status != flow.StatusAnchored || k.Pool != poolID || k.Contributor != bob.Address().String() || k.Token == 0 || k.AnchorSeq != 1 ||
			k.Data.GetCiphertextSha256() != res.CiphertextSHA256 || k.Data.GetCommitment() != res.Commitment || k.Job != res.Job ||
			len(k.Results) != 2 || len(k.Assignments) != 2 || k.ScorePpm == 0 || k.Results[0].ScorePpm != k.ScorePpm || k.Fee != "300000" {
			t.Fatalf("contribution %v (contributed %+v)", &k, res)
		}
		notFound(t, base+"/v1/flow/contributions/99", flow.Name, flow.ErrNotFound.Code, "contribution 99 does not exist")
		badRequest(t, base+"/v1/flow/contributions/0", `"0"`)
	})

	t.Run("workers", func(t *testing.T) {
		var l compute.QueryWorkersResponse
		getProto(t, doc, base+"/v1/compute/workers", "QueryWorkersResponse", &l)
		var got []uint64
		for _, w := range l.Workers {
			got = append(got, w.Id)
			if !w.Dev || w.Status != compute.StatusActive || w.Idao != 2 || w.Bond != "10000000" || w.Kind != "sev-snp" || len(w.Evidence) == 0 {
				t.Fatalf("worker %v", w)
			}
		}
		if !slices.Equal(got, ids) || !l.DevAttestation {
			t.Fatalf("workers %v, want %v with dev attestation", &l, ids)
		}
		getProto(t, doc, base+"/v1/compute/workers?idao=1", "QueryWorkersResponse", &l)
		if len(l.Workers) != 0 {
			t.Fatalf("workers of iDAO 1: %v", &l)
		}
		getProto(t, doc, base+"/v1/compute/workers?idao=2", "QueryWorkersResponse", &l)
		if len(l.Workers) != 2 {
			t.Fatalf("workers of iDAO 2: %v", &l)
		}
		badRequest(t, base+"/v1/compute/workers?idao=0", `"0"`)
		badRequest(t, base+"/v1/compute/workers?idao=x", `"x"`)
	})

	t.Run("worker", func(t *testing.T) {
		var w compute.Worker
		getProto(t, doc, fmt.Sprintf("%s/v1/compute/workers/%d", base, ids[1]), "Worker", &w)
		want, err := c.Worker(ctx, ids[1], 0)
		if err != nil {
			t.Fatal(err)
		}
		if !proto.Equal(&w, want) || w.Operator != ops[1].Address().String() {
			t.Fatalf("worker from the API %v, from the SDK %v", &w, want)
		}
		notFound(t, base+"/v1/compute/workers/99", compute.Name, compute.ErrNotFound.Code, "worker 99 does not exist")
		badRequest(t, base+"/v1/compute/workers/w1", `"w1"`)
	})

	t.Run("params", func(t *testing.T) {
		var r compute.QueryParamsResponse
		getProto(t, doc, base+"/v1/compute/params", "QueryParamsResponse", &r)
		if !proto.Equal(r.Params, enclave.DevComputeParams()) {
			t.Fatalf("params %v, want the genesis's %v", r.Params, enclave.DevComputeParams())
		}
		badRequest(t, base+"/v1/compute/params?height=x", "height")
	})

	t.Run("dashboard shows pools and dev workers", func(t *testing.T) {
		r := get(t, base+"/")
		if r.status != http.StatusOK {
			t.Fatalf("dashboard: %d %s", r.status, r.body)
		}
		page := string(r.body)
		for _, want := range []string{"<h2>Data pools</h2>", "<td>iris (iDAO", "<td>tabular</td><td>2/2</td><td>0.3 LAZ (300000 ulaz)</td>",
			fmt.Sprintf(`href="/v1/flow/pools/%d/contributions">1</a>`, poolID), "<h2>Workers</h2>",
			fmt.Sprintf(`href="/v1/compute/workers/%d"`, ids[0]), "dev_attestation</a> is on", "10 LAZ (10000000 ulaz)"} {
			if !strings.Contains(page, want) {
				t.Errorf("the dashboard lacks %q", want)
			}
		}
		// The chain-wide warning, and one badge per dev worker.
		if n := strings.Count(page, "DEV ENCLAVE — simulated, not a real TEE"); n != 1+len(ids) {
			t.Errorf("the dashboard says DEV ENCLAVE %d times, want %d", n, 1+len(ids))
		}
	})

	t.Run("blobs", func(t *testing.T) {
		url := base + "/v1/blobs/" + res.CiphertextSHA256
		r := do(t, http.MethodHead, url, "", nil)
		if r.status != http.StatusOK || r.header.Get("Content-Length") != strconv.FormatUint(res.CiphertextSize, 10) {
			t.Fatalf("HEAD %s: %d, Content-Length %q, want %d", url, r.status, r.header.Get("Content-Length"), res.CiphertextSize)
		}
		if r := get(t, url); r.status != http.StatusOK || uint64(len(r.body)) != res.CiphertextSize || bytes.Contains(r.body, []byte(`"features"`)) {
			t.Fatalf("GET %s: %d, %d bytes", url, r.status, len(r.body))
		}
		var e struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		do(t, http.MethodDelete, url, "", nil).expect(t, http.StatusForbidden, &e)
		if e.Error.Code != "forbidden" || !strings.Contains(e.Error.Message, "not revoked") {
			t.Fatalf("DELETE before revoking: %+v", e)
		}
		get(t, base+"/v1/blobs/xyz").expect(t, http.StatusBadRequest, &e)
		if e.Error.Code != "bad_hash" {
			t.Fatalf("GET a bad hash: %+v", e)
		}
		if _, err := c.SignAndBroadcast(ctx, bob, []proto.Message{&flow.MsgRevoke{From: bob.Address().String(), Contribution: res.Contribution}}, client.TxOptions{}); err != nil {
			t.Fatal(err)
		}
		if r := do(t, http.MethodDelete, url, "", nil); r.status != http.StatusNoContent {
			t.Fatalf("DELETE after revoking: %d %s", r.status, r.body)
		}
		do(t, http.MethodHead, url, "", nil).expect(t, http.StatusNotFound, nil)
		// The dashboard counts what is still anchored and not revoked.
		if page := string(get(t, base+"/").body); !strings.Contains(page, "contributions\">1</a> (0 not revoked)") {
			t.Errorf("the dashboard does not show the revocation:\n%s", page)
		}
	})
}
