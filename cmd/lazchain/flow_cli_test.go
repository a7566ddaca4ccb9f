package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lazchain/lazchain/blob"
	"github.com/lazchain/lazchain/client"
	"github.com/lazchain/lazchain/enclave"
	"github.com/lazchain/lazchain/internal/datasets"
	"github.com/lazchain/lazchain/keyring"
	"github.com/lazchain/lazchain/node"
	"github.com/lazchain/lazchain/node/nodetest"
	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/worker"
	"github.com/lazchain/lazchain/x/bank"
	"github.com/lazchain/lazchain/x/compute"
	"github.com/lazchain/lazchain/x/flow"
)

const flowIrisSchema = `{"type":"object","required":["features","label"],"additionalProperties":false,
 "properties":{"features":{"type":"array","minItems":4,"maxItems":4,"items":{"type":"number","minimum":0,"maximum":10}},
 "label":{"type":"integer","minimum":0,"maximum":2}}}`

// irisFile writes every n-th line of Iris from offset to a file.
func irisFile(t *testing.T, n, offset int) (string, []byte) {
	t.Helper()
	var out [][]byte
	for i, l := range datasets.Lines(datasets.Iris) {
		if i%n == offset {
			out = append(out, l)
		}
	}
	data := datasets.Join(out)
	return writeFile(t, string(data)), data
}

// TestDataFlowThroughTheCLI runs a chain whose genesis has a data iDAO
// (1, alice admin), a compute iDAO (2) with two dev enclave workers
// running, and a compute iDAO (3) whose one worker is offline. Through the
// CLI: pools are created (their workers checked and the validation set
// sealed), data is contributed in JSON and text mode, followed until
// anchored, listed, queried, revoked (the ciphertext deleted) and, on a
// stalled job, refunded; a worker is retired; and every command names
// what is wrong with bad input.
func TestDataFlowThroughTheCLI(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	alice, bob := tx.DeterministicKey("cli-flow/alice"), tx.DeterministicKey("cli-flow/bob")
	ops := []*tx.PrivateKey{tx.DeterministicKey("cli-flow/op1"), tx.DeterministicKey("cli-flow/op2"), tx.DeterministicKey("cli-flow/op3")}
	sections := nodetest.FlowGenesis(t, alice.Address(), "iris-pool",
		nodetest.ComputeIDAO{Name: "enclaves", Operators: []tx.Address{ops[0].Address(), ops[1].Address()}},
		nodetest.ComputeIDAO{Name: "offline-enclaves", Operators: []tx.Address{ops[2].Address()}})
	const funds = 1000 * tx.UnitsPerLAZ
	accounts := []bank.Balance{{Address: alice.Address(), Amount: tx.FormatBaseUnits(funds)}, {Address: bob.Address(), Amount: tx.FormatBaseUnits(funds)}}
	for _, op := range ops {
		accounts = append(accounts, bank.Balance{Address: op.Address(), Amount: tx.FormatBaseUnits(funds)})
	}
	home := t.TempDir()
	if _, err := node.Init(home, node.InitOptions{
		ChainID: "cli-flow", Moniker: "cli-flow", BlockTime: nodetest.BlockTime, Accounts: accounts,
		Sections: sections,
	}); err != nil {
		t.Fatal(err)
	}
	kr := keyring.Open(home)
	for name, k := range map[string]*tx.PrivateKey{"alice": alice, "bob": bob, "op1": ops[0], "op2": ops[1], "op3": ops[2]} {
		if _, err := kr.StoreTest(name, k); err != nil {
			t.Fatal(err)
		}
	}
	n := nodetest.Start(t, home, node.StartOptions{})
	apiURL := n.APIURL()
	blobs := blob.NewClient(apiURL, nil)
	wctx, stopWorkers := context.WithCancel(ctx)
	defer stopWorkers()
	var workerIDs []uint64
	for i, op := range ops {
		e, err := enclave.NewDev()
		if err != nil {
			t.Fatal(err)
		}
		w := worker.New(worker.Config{Client: n.Client, Blobs: blobs, Enclave: e, Operator: op, IDAO: uint64(2 + i/2),
			Bond: 10 * tx.UnitsPerLAZ, Poll: 100 * time.Millisecond})
		id, err := w.Register(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if i < 2 {
			go w.Run(wctx)
		}
		workerIDs = append(workerIDs, id)
	}
	e := &cliEnv{t: t, ctx: ctx, home: home, node: n.RPCURL()}
	api := []string{"--api", apiURL}
	schema := writeFile(t, flowIrisSchema)
	validation, _ := irisFile(t, 5, 0)
	poolArgs := func(extra ...string) []string {
		return append([]string{"tx", "flow", "create-pool", "iris", "--idao", "1", "--kind", "tabular", "--schema", schema,
			"--validation", validation, "--deadline", "60", "--fee", "0.3laz", "--weights", "2000,2000,6000", "--knn", "3",
			"--usage-value", "100", "--from", "alice", "--api", apiURL}, extra...)
	}

	// --- Pools: one verified by iDAO 2's two workers, one by iDAO 3's
	// offline worker, which will stall. ---
	var created createPoolResult
	out := e.ok(append(poolArgs("--quorum", "2", "--threshold", "2", "--compute-idao", "2", "--max-rounds", "2"), "-o", "json")...)
	if err := json.Unmarshal([]byte(out), &created); err != nil {
		t.Fatalf("create-pool -o json: %v\n%s", err, out)
	}
	if created.Pool != 1 || created.Class == 0 || !slices.Equal(created.Workers, workerIDs[:2]) || !created.DevWorkers || len(created.ValidationSHA256) != 64 {
		t.Fatalf("created %+v", created)
	}
	stdout, stderr, err := e.run(poolArgs("--quorum", "1", "--threshold", "1", "--compute-idao", "3", "--deadline", "5", "--max-rounds", "1", "--fee", "1laz")...)
	if err != nil {
		t.Fatalf("create-pool (text): %v\n%s", err, stderr)
	}
	for _, want := range []string{`pool 2 "iris" created, minting into DAT class`, "sealed to workers " + strconv.FormatUint(workerIDs[2], 10),
		"quorum          1 of 1, deadline 5 blocks, fee 1 LAZ (1000000 ulaz)", "lazchain query flow pool 2"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("create-pool text output lacks %q:\n%s", want, stdout)
		}
	}
	for _, want := range []string{"WARNING", devEnclaveText, "encrypt ", "upload ", "100%"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("create-pool stderr lacks %q:\n%s", want, stderr)
		}
	}

	// --- Contributions: JSON, then text with a progress bar. ---
	file1, data1 := irisFile(t, 5, 1)
	stdout, stderr, err = e.run(append([]string{"data", "contribute", "--pool", "1", "--file", file1, "--from", "bob", "-o", "json"}, api...)...)
	if err != nil {
		t.Fatalf("contribute -o json: %v\n%s", err, stderr)
	}
	var res1 client.ContributeResult
	if err := json.Unmarshal([]byte(stdout), &res1); err != nil {
		t.Fatalf("contribute -o json: %v\n%s", err, stdout)
	}
	if res1.Contribution != 1 || res1.Pool != 1 || res1.Job == 0 || !slices.Equal(res1.Workers, workerIDs[:2]) || !res1.DevWorkers ||
		res1.Fee != "300000" || res1.PlaintextSize != int64(len(data1)) || res1.CiphertextSize <= uint64(len(data1)) || len(res1.Commitment) != 64 {
		t.Fatalf("contribute result %+v", res1)
	}
	if strings.Contains(stderr, "\r") || !strings.Contains(stderr, devEnclaveText) {
		t.Errorf("contribute -o json stderr: want the dev warning and no progress bar:\n%q", stderr)
	}
	file2, _ := irisFile(t, 5, 2)
	stdout, stderr, err = e.run(append([]string{"data", "contribute", "--pool", "1", "--file", file2, "--from", "bob", "--max-fee", "0.3laz"}, api...)...)
	if err != nil {
		t.Fatalf("contribute: %v\n%s", err, stderr)
	}
	for _, want := range []string{"contribution 2 sent to pool 1 in block", "workers     1, 2  " + devEnclaveText, "commitment  ",
		"fee         0.3 LAZ (300000 ulaz)", "follow it with: lazchain data status 2"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("contribute output lacks %q:\n%s", want, stdout)
		}
	}
	for _, want := range []string{"\rencrypt  [", "\rupload   [", "100%", "MB/s", "WARNING: your data was sealed to " + devEnclaveText} {
		if !strings.Contains(stderr, want) {
			t.Errorf("contribute stderr lacks %q:\n%q", want, stderr)
		}
	}

	// --- Status until anchored, in JSON and text. ---
	var c1, c2 flow.Contribution
	e.query(&c1, "data", "status", "1", "--wait", "60s")
	e.query(&c2, "data", "status", "2", "--wait", "60s")
	for _, c := range []*flow.Contribution{&c1, &c2} {
		if c.Status != flow.StatusAnchored || c.Token == 0 || len(c.Results) != 2 || c.ScorePpm == 0 || c.Contributor != bob.Address().String() {
			t.Fatalf("contribution %d: %v", c.Id, c)
		}
	}
	if c1.Data.CiphertextSha256 != res1.CiphertextSHA256 || c1.Job != res1.Job || c1.Fee != "300000" || c1.Pool != 1 {
		t.Fatalf("contribution 1 %v, contributed %+v", &c1, res1)
	}
	r := c1.Results[0]
	e.text([]string{"contribution 1 to pool 1 — anchored", "contributor   " + bob.Address().String(),
		"ciphertext    sha256 " + res1.CiphertextSHA256, "commitment    " + res1.Commitment, "fee           0.3 LAZ (300000 ulaz)",
		"status        anchored", "job           " + strconv.FormatUint(res1.Job, 10) + ", round 1",
		"assignments   worker ", "reported", "results       worker ",
		"accept, score " + strconv.Itoa(int(r.ScorePpm)) + " ppm (validity " + strconv.Itoa(int(r.ValidityPpm)),
		"digest " + r.Digest, "DAT token " + strconv.FormatUint(c1.Token, 10), "revoked       no"},
		"data", "status", "1")

	// --- Lists and queries. ---
	var list flow.QueryContributionsResponse
	e.query(&list, "data", "list", "--contributor", "bob")
	if len(list.Contributions) != 2 || list.Contributions[0].Id != 1 || list.Contributions[1].Id != 2 {
		t.Fatalf("bob's contributions %v", &list)
	}
	e.text([]string{"     1  pool 1    anchored  score", "more: --after 1"}, "data", "list", "--pool", "1", "--limit", "1")
	e.query(&list, "data", "list", "--pool", "1", "--after", "1")
	if len(list.Contributions) != 1 || list.Contributions[0].Id != 2 {
		t.Fatalf("pool 1 after 1: %v", &list)
	}
	e.query(&list, "query", "flow", "contributions", "--ciphertext", strings.ToUpper(res1.CiphertextSHA256))
	if len(list.Contributions) != 1 || list.Contributions[0].Id != 1 {
		t.Fatalf("contributions of ciphertext %s: %v", res1.CiphertextSHA256, &list)
	}
	e.query(&list, "query", "flow", "contributions", "--worker", "1")
	if len(list.Contributions) != 0 {
		t.Fatalf("worker 1 has reported everything, yet is still assigned %v", &list)
	}
	e.text([]string{"no contributions"}, "query", "flow", "contributions", "--worker", "1")

	var pool flow.Pool
	e.query(&pool, "query", "flow", "pool", "1")
	if pool.Id != 1 || pool.Class != created.Class || pool.QuorumK != 2 || pool.ThresholdT != 2 || pool.VerifierFee != "300000" ||
		pool.Anchored != 2 || pool.AnchoredLive != 2 || pool.KnnK != 3 || pool.MaxRounds != 2 || pool.ComputeIdao != 2 ||
		pool.Weights.GetUniquenessBps() != 2000 || pool.Terms.GetUsageValue() != 100 || pool.Terms.GetSharePerPpm() != 1 ||
		pool.Validation.GetCiphertextSha256() != created.ValidationSHA256 || pool.Schema != flowIrisSchema {
		t.Fatalf("pool 1 %v", &pool)
	}
	e.text([]string{"pool 1  iris (tabular)", "DAT class     " + strconv.FormatUint(created.Class, 10), "quorum        2 of 2 workers must agree",
		"fee           0.3 LAZ (300000 ulaz)", "workers of compute iDAO 2", "validity 2000, uniqueness 2000, value 6000 bps; KNN k 3",
		"anchored      2 contributions (2 not revoked)", "sealed to workers 1, 2"}, "query", "flow", "pool", "1")
	var pools flow.QueryPoolsResponse
	e.query(&pools, "query", "flow", "pools")
	if len(pools.Pools) != 2 || pools.Pools[1].QuorumK != 1 || pools.Pools[1].ComputeIdao != 3 || pools.Pools[1].VerifierFee != "1000000" {
		t.Fatalf("pools %v", &pools)
	}
	e.text([]string{"   1  iris", "quorum 2/2  fee 0.3 LAZ (300000 ulaz)  anchored 2", "more: --after 1"}, "query", "flow", "pools", "--limit", "1")
	var viaQuery flow.Contribution
	e.query(&viaQuery, "query", "flow", "contribution", "2")
	if viaQuery.Id != 2 || viaQuery.Status != flow.StatusAnchored || viaQuery.Token != c2.Token {
		t.Fatalf("query flow contribution 2: %v", &viaQuery)
	}

	// --- Workers: every output says they are dev enclaves. ---
	var ws compute.QueryWorkersResponse
	e.query(&ws, "query", "compute", "workers")
	if len(ws.Workers) != 3 || !ws.DevAttestation {
		t.Fatalf("workers %v", &ws)
	}
	for i, w := range ws.Workers {
		if w.Id != workerIDs[i] || !w.Dev || w.Bond != "10000000" || w.Status != compute.StatusActive || w.Operator != ops[i].Address().String() {
			t.Fatalf("worker %d: %v", i, w)
		}
	}
	e.query(&ws, "query", "compute", "workers", "--idao", "3")
	if len(ws.Workers) != 1 || ws.Workers[0].Id != workerIDs[2] {
		t.Fatalf("workers of iDAO 3: %v", &ws)
	}
	text := e.text([]string{"WARNING: this chain admits " + devEnclaveText, "iDAO 2    active   sev-snp  bond 10 LAZ (10000000 ulaz)"},
		"query", "compute", "workers")
	if got := strings.Count(text, devEnclaveText); got != 4 {
		t.Errorf("workers text names %s %d times, want 4 (the chain and 3 workers):\n%s", devEnclaveText, got, text)
	}
	var w1 compute.Worker
	e.query(&w1, "query", "compute", "worker", "1")
	if w1.Id != 1 || w1.Idao != 2 || !w1.Dev || w1.Kind != "sev-snp" || len(w1.Evidence) == 0 || w1.ExpiresHeight <= w1.RegisteredHeight {
		t.Fatalf("worker 1 %v", &w1)
	}
	e.text([]string{"worker 1 of iDAO 2 — active", devEnclaveText, "operator      " + ops[0].Address().String(),
		"attestation   sev-snp, measurement " + w1.Measurement, "hpke key      " + w1.HpkePublicKey, "bond          10 LAZ (10000000 ulaz)"},
		"query", "compute", "worker", "1")
	devParams := enclave.DevComputeParams()
	var cp compute.QueryParamsResponse
	e.query(&cp, "query", "compute", "params")
	if !cp.Params.DevAttestation || cp.Params.RegistrationBlocks != devParams.RegistrationBlocks || cp.Params.MinBond != devParams.MinBond ||
		!slices.Equal(cp.Params.Measurements, devParams.Measurements) {
		t.Fatalf("compute params %v, want %v", &cp, devParams)
	}
	e.text([]string{"dev_attestation      ON: " + devEnclaveText, "measurements         " + devParams.Measurements[0],
		"registration_blocks  " + strconv.FormatUint(devParams.RegistrationBlocks, 10)}, "query", "compute", "params")

	// --- Revoke: the grants go and the ciphertext is deleted (or kept). ---
	var rv revokeResult
	out = e.ok(append([]string{"data", "revoke", "1", "--from", "bob", "-o", "json"}, api...)...)
	if err := json.Unmarshal([]byte(out), &rv); err != nil {
		t.Fatalf("revoke -o json: %v\n%s", err, out)
	}
	if rv.Tx == nil || rv.Tx.Code != 0 || rv.Contribution != 1 || rv.CiphertextSHA256 != res1.CiphertextSHA256 || rv.Blob != "deleted" {
		t.Fatalf("revoke %+v", rv)
	}
	sum1, _ := blob.ParseSum(res1.CiphertextSHA256)
	if _, err := blobs.Stat(ctx, sum1); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("the revoked ciphertext is still stored: %v", err)
	}
	e.query(&c1, "data", "status", "1")
	if !c1.Revoked || len(c1.Data.Grants) != 0 || c1.Data.CiphertextSha256 != res1.CiphertextSHA256 {
		t.Fatalf("revoked contribution %v", &c1)
	}
	e.text([]string{"revoked       yes", "key grants    workers none"}, "data", "status", "1")
	e.text([]string{"committed in block", "contribution 2 revoked", "ciphertext " + c2.Data.CiphertextSha256 + " kept (--keep-blob)"},
		append([]string{"data", "revoke", "2", "--from", "bob", "--keep-blob"}, api...)...)
	e.text([]string{"     1  pool 1    anchored  score", "(revoked)\n     2  pool 1"}, "data", "list", "--contributor", "bob")
	sum2, _ := blob.ParseSum(c2.Data.CiphertextSha256)
	if _, err := blobs.Stat(ctx, sum2); err != nil {
		t.Fatalf("--keep-blob: the ciphertext is gone: %v", err)
	}

	// --- Refund: pool 2's only worker is offline; the job stalls. The
	// data comes from stdin, of unknown size. ---
	file3, data3 := irisFile(t, 5, 3)
	root := newRootCmd()
	var so, se bytes.Buffer
	root.SetOut(&so)
	root.SetErr(&se)
	root.SetIn(bytes.NewReader(data3))
	root.SetArgs(append([]string{"data", "contribute", "--pool", "2", "--file", "-", "--from", "bob", "--home", home, "--node", e.node}, api...))
	if err := root.ExecuteContext(ctx); err != nil {
		t.Fatalf("contribute from stdin: %v\n%s", err, se.String())
	}
	if !strings.Contains(so.String(), "contribution 3 sent to pool 2") || !strings.Contains(so.String(), "from "+strconv.Itoa(len(data3))+" bytes of data") ||
		!strings.Contains(se.String(), "\rencrypt ") || !strings.Contains(se.String(), "\rupload   [") {
		t.Fatalf("contribute from stdin: stdout %q, stderr %q", so.String(), se.String())
	}
	var c3 flow.Contribution
	e.query(&c3, "data", "status", "3", "--wait", "60s")
	if c3.Status != flow.StatusStalled || c3.Fee != "1000000" || c3.Reason == "" {
		t.Fatalf("contribution 3 %v, want stalled", &c3)
	}
	e.text([]string{"contribution 3 to pool 2 — stalled", "status        stalled: ", "worker " + strconv.FormatUint(workerIDs[2], 10)}, "data", "status", "3")
	bobBefore := e.balance("bob")
	e.tx("data", "refund", "3", "--from", "alice")
	if got := e.balance("bob") - bobBefore; got != 1_000_000 {
		t.Fatalf("bob got %d ulaz back, want the 1000000 fee", got)
	}
	e.query(&c3, "query", "flow", "contribution", "3")
	if c3.Status != flow.StatusRefunded {
		t.Fatalf("contribution 3 after the refund: %v", &c3)
	}

	// --- Retire the offline worker, which has no open job any more. ---
	e.tx("tx", "compute", "retire-worker", strconv.FormatUint(workerIDs[2], 10), "--from", "op3")
	var w3 compute.Worker
	e.query(&w3, "query", "compute", "worker", strconv.FormatUint(workerIDs[2], 10))
	if w3.Status != compute.StatusRetired {
		t.Fatalf("worker 3 after retiring: %v", &w3)
	}

	// --- Bad input: each error names the flag or argument. ---
	empty := writeFile(t, "")
	badSchema := writeFile(t, `{"type":`)
	missing := filepath.Join(t.TempDir(), "missing.jsonl")
	pool1 := func(extra ...string) []string {
		return append(poolArgs("--quorum", "2", "--threshold", "2", "--compute-idao", "2"), extra...)
	}
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"tx", "flow", "create-pool", "x", "--from", "alice"}, []string{"missing --idao, --kind, --schema, --validation, --quorum, --threshold, --deadline, --fee, --weights"}},
		{pool1("--kind", "csv"), []string{`--kind "csv"`, "tabular or text"}},
		{pool1("--weights", "2000,8000"), []string{"--weights", "VALIDITY,UNIQUENESS,VALUE"}},
		{pool1("--weights", "5000,5000,1"), []string{"--weights", "sum to 10001"}},
		{pool1("--weights", "a,b,c"), []string{"--weights", `"a"`}},
		{pool1("--threshold", "1"), []string{"--threshold 1 of --quorum 2", "majority"}},
		{pool1("--schema", missing), []string{"--schema", "no such file"}},
		{pool1("--schema", badSchema), []string{"--schema", "not valid JSON"}},
		{pool1("--validation", missing), []string{"--validation", "no such file"}},
		{pool1("--fee", "3"), []string{"--fee"}},
		{pool1("--share-per-ppm", "0"), []string{"--share-per-ppm"}},
		{pool1("--min-score", "2000000"), []string{"--min-score"}},
		{pool1("--quorum", "3", "--threshold", "2"), []string{"--quorum 3 needs at least 3 workers", "2 passed"}},
		{pool1("--from", "mallory"), []string{"--from"}},
		{pool1("--from", "bob"), []string{"flow/3", "not an admin of iDAO 1"}},
		{[]string{"data", "contribute", "--file", file1, "--from", "bob"}, []string{"--pool, --file and --from are required"}},
		{[]string{"data", "contribute", "--pool", "1", "--from", "bob"}, []string{"--file"}},
		{[]string{"data", "contribute", "--pool", "1", "--file", missing, "--from", "bob"}, []string{"--file", "no such file"}},
		{[]string{"data", "contribute", "--pool", "1", "--file", empty, "--from", "bob"}, []string{"is empty"}},
		{[]string{"data", "contribute", "--pool", "1", "--file", file1, "--from", "bob", "--max-fee", "1"}, []string{"--max-fee"}},
		{append([]string{"data", "contribute", "--pool", "1", "--file", file3, "--from", "bob", "--max-fee", "0.1laz"}, api...), []string{"--max-fee 0.1 LAZ", "pool 1 charges 0.3 LAZ"}},
		{append([]string{"data", "contribute", "--pool", "99", "--file", file1, "--from", "bob"}, api...), []string{"pool 99 does not exist"}},
		{[]string{"data", "contribute", "--pool", "1", "--file", file3, "--from", "bob", "--api", "http://127.0.0.1:1"}, []string{"contributing to pool 1", "uploading ciphertext"}},
		{[]string{"data", "status", "x"}, []string{`CONTRIBUTION "x"`}},
		{[]string{"data", "status", "99"}, []string{"contribution 99 does not exist"}},
		{[]string{"data", "status", "1", "--wait", "-1s"}, []string{"--wait"}},
		{[]string{"data", "status"}, []string{"accepts 1 arg"}},
		{[]string{"data", "revoke", "1"}, []string{"--from is required"}},
		{[]string{"data", "revoke", "0", "--from", "bob"}, []string{`CONTRIBUTION "0"`}},
		{[]string{"data", "revoke", "1", "--from", "bob", "--async"}, []string{"--async"}},
		{[]string{"data", "revoke", "99", "--from", "bob"}, []string{"contribution 99 does not exist"}},
		{[]string{"data", "revoke", "3", "--from", "alice"}, []string{"flow/3"}},
		{[]string{"data", "refund", "2", "--from", "alice"}, []string{"flow/"}},
		{[]string{"data", "refund", "x", "--from", "alice"}, []string{`CONTRIBUTION "x"`}},
		{[]string{"data", "refund", "3"}, []string{"--from is required"}},
		{[]string{"data", "list"}, []string{"exactly one of --pool ID and --contributor"}},
		{[]string{"data", "list", "--pool", "1", "--contributor", "bob"}, []string{"exactly one"}},
		{[]string{"data", "list", "--contributor", "nobody"}, []string{"--contributor"}},
		{[]string{"data", "list", "--pool", "1", "--after", "x"}, []string{"--after"}},
		{[]string{"query", "flow", "pool", "99"}, []string{"pool 99 does not exist"}},
		{[]string{"query", "flow", "pool", "one"}, []string{`POOL "one"`}},
		{[]string{"query", "flow", "pools", "--after", "-1"}, []string{"--after"}},
		{[]string{"query", "flow", "contribution", "99"}, []string{"contribution 99 does not exist"}},
		{[]string{"query", "flow", "contributions"}, []string{"exactly one of --pool ID, --contributor ADDRESS|KEY, --worker ID and --ciphertext"}},
		{[]string{"query", "flow", "contributions", "--ciphertext", "zz"}, []string{"--ciphertext"}},
		{[]string{"query", "compute", "worker", "99"}, []string{"worker 99 does not exist"}},
		{[]string{"query", "compute", "worker", "w"}, []string{`WORKER "w"`}},
		{[]string{"query", "compute", "workers", "extra"}, []string{"unknown command"}},
		{[]string{"tx", "compute", "retire-worker", "x", "--from", "op1"}, []string{`WORKER "x"`}},
		{[]string{"tx", "compute", "retire-worker", "1"}, []string{"--from is required"}},
		{[]string{"tx", "compute", "retire-worker", "1", "--from", "bob"}, []string{"compute/3"}},
	} {
		e.fails(c.want, c.args...)
	}
}

// Every command of data, flow and compute has a Long help and Examples.
func TestFlowCommandsHaveHelp(t *testing.T) {
	root := newRootCmd()
	for _, path := range []string{"data", "data contribute", "data status", "data list", "data revoke", "data refund",
		"tx flow", "tx flow create-pool", "tx compute", "tx compute retire-worker",
		"query flow", "query flow pool", "query flow pools", "query flow contribution", "query flow contributions",
		"query compute", "query compute workers", "query compute worker", "query compute params"} {
		args := strings.Fields(path)
		cmd, _, err := root.Find(args)
		if err != nil || cmd.Name() != args[len(args)-1] {
			t.Errorf("lazchain %s: not found (%v)", path, err)
			continue
		}
		if strings.TrimSpace(cmd.Long) == "" || strings.TrimSpace(cmd.Example) == "" || cmd.Short == "" {
			t.Errorf("lazchain %s: Short %q, Long %d bytes, Example %d bytes", path, cmd.Short, len(cmd.Long), len(cmd.Example))
		}
	}
}

// The progress bar redraws one line per stage with a carriage return and
// ends each stage's line when the next begins.
func TestProgressBar(t *testing.T) {
	for _, c := range []struct {
		name         string
		done, total  int64
		elapsed      time.Duration
		wants, lacks []string
	}{
		{"half", 5_000_000, 10_000_000, time.Second, []string{"[============            ]", " 50%", "5.0 MB / 10.0 MB", "5.0 MB/s"}, nil},
		{"done", 2048, 2048, 0, []string{"[========================]", "100%", "2.0 kB / 2.0 kB", "- MB/s"}, nil},
		{"empty", 0, 0, 0, []string{"100%", "0 B / 0 B"}, nil},
		{"unknown size", 3_500_000_000, -1, 2 * time.Second, []string{"3.50 GB", "1750.0 MB/s"}, []string{"[", "%"}},
		{"over", 20, 10, time.Second, []string{"100%"}, nil},
	} {
		line := progressLine("upload", c.done, c.total, c.elapsed)
		for _, w := range c.wants {
			if !strings.Contains(line, w) {
				t.Errorf("%s: %q lacks %q", c.name, line, w)
			}
		}
		for _, l := range c.lacks {
			if strings.Contains(line, l) {
				t.Errorf("%s: %q has %q", c.name, line, l)
			}
		}
	}
	var buf bytes.Buffer
	now := time.Unix(0, 0)
	b := &progressBar{w: &buf, now: func() time.Time { return now }}
	b.update("encrypt", 0, 100)
	now = now.Add(time.Second)
	b.update("encrypt", 100, 100)
	b.update("upload", 0, 200)
	b.update("upload", 200, 200)
	b.finish()
	b.finish()
	lines := strings.Split(buf.String(), "\n")
	if len(lines) != 3 || lines[2] != "" || strings.Count(lines[0], "\r") != 2 || strings.Count(lines[1], "\r") != 2 ||
		!strings.HasPrefix(lines[0], "\rencrypt ") || !strings.HasPrefix(lines[1], "\rupload ") {
		t.Fatalf("progress output %q", buf.String())
	}
	if !strings.Contains(lines[0], "100 B / 100 B") || !strings.Contains(lines[1], "200 B / 200 B") {
		t.Fatalf("progress output %q", buf.String())
	}
	var nilBar *progressBar
	nilBar.finish()
}

// TestCreatePoolFlags checks the pool message built from create-pool's
// flags without a chain.
func TestCreatePoolFlags(t *testing.T) {
	schema := filepath.Join(t.TempDir(), "schema.json")
	if err := os.WriteFile(schema, []byte(flowIrisSchema), 0o600); err != nil {
		t.Fatal(err)
	}
	f := poolFlags{idao: 1, kind: "tabular", schema: schema, validation: "v.jsonl", fee: "0.25laz", weights: "1000, 2000,7000", from: "alice",
		quorum: 5, threshold: 3, knn: 7, minScore: 10, dupThreshold: 900000, max: 4, deadline: 30, usageValue: 9, sharePerPPM: 2,
		expireBlocks: 1000, computeIDAO: 2}
	m, _, err := f.message("pool-a")
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "pool-a" || m.Idao != 1 || m.Kind != "tabular" || m.Schema != flowIrisSchema || m.VerifierFee != "250000" ||
		m.Weights.ValidityBps != 1000 || m.Weights.UniquenessBps != 2000 || m.Weights.ValueBps != 7000 || m.QuorumK != 5 || m.ThresholdT != 3 ||
		m.KnnK != 7 || m.MinScorePpm != 10 || m.DupThresholdPpm != 900000 || m.MaxRounds != 4 || m.DeadlineBlocks != 30 ||
		m.Terms.UsageValue != 9 || m.Terms.SharePerPpm != 2 || m.Terms.ExpireBlocks != 1000 || m.ComputeIdao != 2 || m.ProofPolicy != "tee" {
		t.Fatalf("message %v", m)
	}
	f.kind = "text"
	if _, _, err := f.message("pool-a"); err == nil || !strings.Contains(err.Error(), "--schema") {
		t.Fatalf("a tabular schema for a text pool: %v", err)
	}
}
