package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/lazchain/lazchain/blob"
	"github.com/lazchain/lazchain/enclave"
	"github.com/lazchain/lazchain/keyring"
	"github.com/lazchain/lazchain/node"
	"github.com/lazchain/lazchain/node/nodetest"
	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/worker"
	"github.com/lazchain/lazchain/x/bank"
	"github.com/lazchain/lazchain/x/dat"
	"github.com/lazchain/lazchain/x/flow"
	"github.com/lazchain/lazchain/x/service"
)

// startServingWorker registers a dev enclave worker of compute iDAO 2 with
// an HTTP endpoint and a receipts journal, and runs it until ctx ends.
func startServingWorker(t *testing.T, ctx context.Context, n *node.Node, blobs *blob.Client, op *tx.PrivateKey) uint64 {
	t.Helper()
	e, err := enclave.NewDev()
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var h http.Handler = http.NotFoundHandler()
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hh := h
		mu.Unlock()
		hh.ServeHTTP(rw, r)
	}))
	t.Cleanup(srv.Close)
	w := worker.New(worker.Config{Client: n.Client, Blobs: blobs, Enclave: e, Operator: op, IDAO: 2, Bond: 10 * tx.UnitsPerLAZ,
		Endpoint: srv.URL, Poll: 100 * time.Millisecond, SettleEvery: 200 * time.Millisecond})
	id, err := w.Register(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	h = w.Handler()
	mu.Unlock()
	if err := w.OpenJournal(t.TempDir()); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.Run(ctx)
	}()
	t.Cleanup(func() {
		<-done
		w.CloseJournal()
	})
	return id
}

// TestModelsAndServicesThroughTheCLI drives a whole network through the
// CLI: two dev enclave workers that verify, train and serve; bob's data is
// anchored; alice trains models for the trainer iDAO (3) with model train
// --wait, registers services for the app iDAO (4) and updates them; dave
// is refused a call with no payment (402, told how to pay), deposits,
// calls, buys usage value and calls with it, withdraws; the workers settle
// the receipts and the model's and the data's holders see and claim the
// revenue with query dat pending and tx dat claim-all. Every command's
// text and JSON output is checked, and about forty bad inputs each get the
// error that names what is wrong.
func TestModelsAndServicesThroughTheCLI(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	alice, bob, dave := tx.DeterministicKey("cli-svc/alice"), tx.DeterministicKey("cli-svc/bob"), tx.DeterministicKey("cli-svc/dave")
	ops := []*tx.PrivateKey{tx.DeterministicKey("cli-svc/op1"), tx.DeterministicKey("cli-svc/op2")}
	sections := nodetest.FlowGenesis(t, alice.Address(), "iris-pool",
		nodetest.ComputeIDAO{Name: "enclaves", Operators: []tx.Address{ops[0].Address(), ops[1].Address()}},
		nodetest.ComputeIDAO{Name: "trainers"}, nodetest.ComputeIDAO{Name: "apps"})
	const funds = 1000 * tx.UnitsPerLAZ
	var accounts []bank.Balance
	for _, k := range append([]*tx.PrivateKey{alice, bob, dave}, ops...) {
		accounts = append(accounts, bank.Balance{Address: k.Address(), Amount: tx.FormatBaseUnits(funds)})
	}
	home := t.TempDir()
	if _, err := node.Init(home, node.InitOptions{
		ChainID: "cli-svc", Moniker: "cli-svc", BlockTime: nodetest.BlockTime, Accounts: accounts, Sections: sections,
	}); err != nil {
		t.Fatal(err)
	}
	kr := keyring.Open(home)
	for name, k := range map[string]*tx.PrivateKey{"alice": alice, "bob": bob, "dave": dave, "op1": ops[0]} {
		if _, err := kr.StoreTest(name, k); err != nil {
			t.Fatal(err)
		}
	}
	n := nodetest.Start(t, home, node.StartOptions{CheckInvariants: true})
	blobs := blob.NewClient(n.APIURL(), nil)
	wctx, stopWorkers := context.WithCancel(ctx)
	defer stopWorkers()
	workerIDs := []uint64{startServingWorker(t, wctx, n, blobs, ops[0]), startServingWorker(t, wctx, n, blobs, ops[1])}
	c := n.Client

	// A pool of iDAO 1 verified by both workers, and bob's anchored data.
	checked, refused, err := c.CheckWorkers(ctx, 2)
	if err != nil || len(refused) != 0 || len(checked) != 2 {
		t.Fatalf("check workers: %v, refused %v", err, refused)
	}
	_, validation := irisFile(t, 5, 0)
	poolID, err := c.CreatePoolWithValidation(ctx, alice, &flow.MsgCreatePool{
		Idao: 1, Name: "iris", Kind: "tabular", Schema: flowIrisSchema,
		Weights: &flow.Weights{ValidityBps: 2000, UniquenessBps: 2000, ValueBps: 6000},
		KnnK:    3, QuorumK: 2, ThresholdT: 2, ProofPolicy: "tee", DeadlineBlocks: 60,
		VerifierFee: "300000", Terms: &flow.DATTerms{UsageValue: 100, SharePerPpm: 1}, ComputeIdao: 2, MaxRounds: 2,
	}, bytes.NewReader(validation), int64(len(validation)), checked, blobs, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, data := irisFile(t, 5, 1)
	contributed, err := c.Contribute(ctx, bob, poolID, bytes.NewReader(data), int64(len(data)), blobs, nil, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	e := &cliEnv{t: t, ctx: ctx, home: home, node: n.RPCURL()}
	var k flow.Contribution
	e.query(&k, "data", "status", strconv.FormatUint(contributed.Contribution, 10), "--wait", "60s")
	if k.Status != flow.StatusAnchored {
		t.Fatalf("bob's contribution %v", &k)
	}
	pool := strconv.FormatUint(poolID, 10)
	pl, err := c.Pool(ctx, poolID, 0)
	if err != nil {
		t.Fatal(err)
	}
	dataClass := strconv.FormatUint(pl.Class, 10)

	// --- model train --wait: progress on stderr, the model on stdout. ---
	stdout, stderr, err := e.run("model", "train", "--pool", pool, "--kind", "logistic", "--hyper", "epochs=20, lr=0.1", "--idao", "3",
		"--data-split-bps", "6000", "--from", "alice", "--wait")
	if err != nil {
		t.Fatalf("model train --wait: %v\n%s\n%s", err, stdout, stderr)
	}
	for _, want := range []string{"model 1: training, assignments reported 0 of 2", "model 1: trained, assignments reported 2 of 2"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("model train --wait stderr lacks %q:\n%s", want, stderr)
		}
	}
	var m flow.Model
	e.query(&m, "model", "show", "1")
	if m.Status != flow.ModelTrained || m.Name != "logistic on iris" || m.Fee != "300000" || m.Idao != 3 || m.Pool != poolID ||
		m.DataSplitBps != 6000 || !strings.Contains(m.Hyper, "epochs=20") || m.Class == 0 || m.Token == 0 || len(m.Results) != 2 ||
		m.Requester != alice.Address().String() || m.AccuracyPpm == 0 {
		t.Fatalf("model 1 %v", &m)
	}
	acc := accuracyText(m.AccuracyPpm)
	if !strings.HasSuffix(acc, "%") || strings.Count(acc, ".") != 1 {
		t.Fatalf("accuracy text %q", acc)
	}
	for _, want := range []string{"model 1  logistic on iris — trained", "kind          logistic", "hyper         " + m.Hyper,
		"fee           0.3 LAZ (300000 ulaz)", "accuracy      " + acc, "records       " + strconv.FormatUint(m.Records, 10),
		"model         " + m.ModelCommitment, "data          " + m.DataCommitment, "DAT class     " + strconv.FormatUint(m.Class, 10),
		"token         " + strconv.FormatUint(m.Token, 10), "assignments   worker ", "reported", "results       worker "} {
		if !strings.Contains(stdout, want) {
			t.Errorf("model train --wait output lacks %q:\n%s", want, stdout)
		}
	}
	class := strconv.FormatUint(m.Class, 10)

	// A second model in JSON, without --wait; then follow it.
	var tr trainResult
	out := e.ok("model", "train", "--pool", pool, "--kind", "knn", "--hyper", "k=3", "--idao", "3", "--fee", "0.5laz", "--name", "iris knn", "--from", "alice", "-o", "json")
	if err := json.Unmarshal([]byte(out), &tr); err != nil || tr.Model != 2 || tr.Tx == nil || tr.Tx.Code != 0 || tr.Result != nil {
		t.Fatalf("model train -o json: %v %+v\n%s", err, tr, out)
	}
	var m2 flow.Model
	for m2.Status != flow.ModelTrained {
		e.query(&m2, "query", "flow", "model", "2")
		if m2.Status == flow.ModelFailed {
			t.Fatalf("model 2 failed: %v", &m2)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if m2.Kind != "knn" || m2.Name != "iris knn" || m2.Fee != "500000" || m2.DataSplitBps != 5000 || m2.Hyper != "k=3" {
		t.Fatalf("model 2 %v", &m2)
	}
	var models flow.QueryModelsResponse
	e.query(&models, "model", "list", "--pool", pool)
	if len(models.Models) != 2 || models.Models[0].Id != 1 || models.Models[1].Id != 2 {
		t.Fatalf("models of the pool %v", &models)
	}
	e.query(&models, "query", "flow", "models", "--after", "1")
	if len(models.Models) != 1 || models.Models[0].Id != 2 {
		t.Fatalf("models after 1 %v", &models)
	}
	e.query(&models, "model", "list", "--worker", strconv.FormatUint(workerIDs[0], 10))
	if len(models.Models) != 0 {
		t.Fatalf("worker 1 still has models to train: %v", &models)
	}
	e.text([]string{"   1  logistic on iris", "trained  accuracy " + acc + ", class " + class, "more: --after 1"}, "model", "list", "--limit", "1")
	e.text([]string{"no models"}, "model", "list", "--pool", "99")

	// --- service register: JSON, then text with the default name. ---
	var reg registerResult
	out = e.ok("service", "register", "--idao", "4", "--model-class", class, "--price", "1000ulaz", "--split", "3000:2000:5000",
		"--workers", "2,1", "--name", "iris classifier", "--from", "alice", "-o", "json")
	if err := json.Unmarshal([]byte(out), &reg); err != nil || reg.Service != 1 || reg.Address != service.Address(1).String() || reg.Tx.Code != 0 {
		t.Fatalf("service register -o json: %v %+v\n%s", err, reg, out)
	}
	e.text([]string{`service 2 "logistic on iris" registered on model class ` + class, "address       " + service.Address(2).String(),
		"price         0.002 LAZ (2000 ulaz) per call", "workers       1", "see it with: lazchain service show 2"},
		"tx", "service", "register", "--idao", "4", "--model-class", class, "--price", "0.002laz", "--split", "0:5000:5000",
		"--workers", "1", "--from", "alice")
	var s service.Service
	e.query(&s, "service", "show", "1")
	if s.Name != "iris classifier" || s.Idao != 4 || s.ModelClass != m.Class || s.Model != 1 || s.PricePerCall != "1000" ||
		s.Split.GetOwnerBps() != 3000 || s.Split.GetModelBps() != 5000 || !slices.Equal(s.Workers, []uint64{1, 2}) ||
		s.Status != service.StatusActive || s.Policy != "tee" || s.Creator != alice.Address().String() || s.ModelCommitment != m.ModelCommitment {
		t.Fatalf("service 1 %v", &s)
	}
	var svcs service.QueryServicesResponse
	e.query(&svcs, "service", "list", "--idao", "4")
	if len(svcs.Services) != 2 {
		t.Fatalf("services of iDAO 4 %v", &svcs)
	}
	e.query(&svcs, "query", "service", "services", "--idao", "3")
	if len(svcs.Services) != 0 {
		t.Fatalf("services of iDAO 3 %v", &svcs)
	}
	e.text([]string{"   1  iris classifier", "iDAO 4    class " + class, "active  price 0.001 LAZ (1000 ulaz)  calls 0", "more: --after 1"},
		"service", "list", "--limit", "1")

	// --- Calls: refused without payment, then from an escrow and a token. ---
	input := `{"features":[6.1,2.8,4.7,1.2]}`
	stdout, stderr, err = e.run("service", "call", "1", "--input", input, "--from", "dave")
	if err == nil || !strings.Contains(err.Error(), "payment required") {
		t.Fatalf("a call with no payment: %v\n%s", err, stdout)
	}
	for _, want := range []string{"service 1 asks for payment", "price         0.001 LAZ (1000 ulaz) per call",
		"lazchain service deposit 1 AMOUNT --from KEY", "lazchain service buy 1 AMOUNT --from KEY"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("402 stderr lacks %q:\n%s", want, stderr)
		}
	}
	// A call right after the deposit is served: a worker reads the chain
	// again after refusing a call for lack of funds.
	e.tx("service", "deposit", "1", "0.01laz", "--from", "dave")
	var esc service.Escrow
	e.query(&esc, "service", "escrow", "1", "--consumer", "dave")
	if esc.Balance != "10000" || esc.Consumer != dave.Address().String() {
		t.Fatalf("dave's escrow %v", &esc)
	}
	stdout = e.text([]string{"cost          0.001 LAZ (1000 ulaz)", "nonce         ", "receipt verified (enclave signature of worker "},
		"service", "call", "1", "--input", input, "--from", "dave")
	firstOutput := strings.SplitN(stdout, "\n", 2)[0]
	if !json.Valid([]byte(firstOutput)) {
		t.Fatalf("the call's first line is not the output JSON: %q", firstOutput)
	}
	var call callResult
	out = e.ok("service", "call", "1", "--input", "@"+writeFile(t, input), "--worker", "2", "--from", "dave", "-o", "json")
	// Nonces come one by one from HOME/nonces, per worker: the calls
	// before went to worker 1, so this first call to worker 2 has nonce 1.
	var compact bytes.Buffer
	if err := json.Unmarshal([]byte(out), &call); err != nil || call.Price != 1000 || call.Worker != 2 || call.Nonce != 1 ||
		json.Compact(&compact, call.Output) != nil || compact.String() != firstOutput || len(call.Receipt) == 0 {
		t.Fatalf("service call -o json: %v %+v\n%s", err, call, out)
	}
	var receipt service.Receipt
	if err := protojson.Unmarshal(call.Receipt, &receipt); err != nil || receipt.Worker != 2 || receipt.Voucher.GetNonce() != 1 || receipt.Voucher.GetWorker() != 2 ||
		receipt.ModelCommitment != m.ModelCommitment || receipt.Price != "1000" || receipt.EnclaveSignature == "" {
		t.Fatalf("receipt %v: %v", &receipt, err)
	}
	var buy buyResult
	out = e.ok("service", "buy", "1", "0.005laz", "--from", "dave", "-o", "json")
	if err := json.Unmarshal([]byte(out), &buy); err != nil || buy.Token == 0 || buy.Tx.Code != 0 {
		t.Fatalf("service buy -o json: %v\n%s", err, out)
	}
	usage := strconv.FormatUint(buy.Token, 10)
	e.text([]string{"token " + usage + " holds 0.001 LAZ (1000 ulaz) of usage on service 1's model class", "--token " + usage},
		"service", "buy", "1", "1000ulaz", "--into", usage, "--from", "dave")
	e.text([]string{"cost          0.001 LAZ (1000 ulaz)", "receipt verified"}, "service", "call", "1", "--input", input, "--token", usage, "--from", "dave")

	// --- Withdraw, update, pause. ---
	e.tx("service", "withdraw", "1", "3000ulaz", "--from", "dave")
	e.query(&esc, "query", "service", "escrow", "1", "--consumer", dave.Address().String())
	if esc.Unlocking != "3000" || esc.UnlockHeight == 0 {
		t.Fatalf("dave's escrow after withdrawing %v", &esc)
	}
	e.text([]string{"unlocking     0.003 LAZ (3000 ulaz), paid out at height " + strconv.FormatInt(esc.UnlockHeight, 10)},
		"service", "escrow", "1", "--consumer", "dave")
	e.tx("service", "update", "2", "--price", "3000ulaz", "--workers", "2,1", "--status", "paused", "--from", "alice")
	e.query(&s, "query", "service", "service", "2")
	if s.PricePerCall != "3000" || s.Status != service.StatusPaused || !slices.Equal(s.Workers, []uint64{1, 2}) {
		t.Fatalf("service 2 after the update %v", &s)
	}
	e.fails([]string{"service/11", "paused"}, "service", "deposit", "2", "1laz", "--from", "dave")
	e.tx("tx", "service", "update", "2", "--status", "active", "--from", "alice")

	// --- Settlement: the workers settle the three calls' receipts. ---
	deadline := time.Now().Add(60 * time.Second)
	for {
		e.query(&s, "service", "show", "1")
		if s.Totals.GetCalls() == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("service 1 settled %d of 3 calls", s.Totals.GetCalls())
		}
		time.Sleep(200 * time.Millisecond)
	}
	if s.Totals.Paid != "3000" {
		t.Fatalf("service 1 totals %v", s.Totals)
	}
	e.text([]string{"service 1  iris classifier — active", "price         0.001 LAZ (1000 ulaz) per call",
		"split         protocol fee 200 bps (2%) first, then owner 3000, provider 2000, model 5000 bps", "workers       1, 2",
		"model class   " + class + ` "logistic on iris", accuracy ` + acc, "model         1, commitment " + m.ModelCommitment,
		"calls         3, paid 0.003 LAZ (3000 ulaz)", "owner " + ulazText(s.Totals.Owner), "model " + ulazText(s.Totals.Model)},
		"service", "show", "1")
	e.query(&esc, "service", "escrow", "1", "--consumer", "dave")
	if esc.Balance != "8000" {
		t.Fatalf("dave's escrow after two calls from it %v", &esc)
	}

	// --- Revenue up the lineage: the model's token holder (alice) and the
	// data's (bob) claim with the existing dat commands. ---
	for _, who := range []string{"alice", "bob"} {
		var pending dat.QueryPendingResponse
		e.query(&pending, "query", "dat", "pending", "--owner", who)
		if v, _ := tx.ParseBaseUnits(pending.Total); v == 0 || len(pending.Tokens) == 0 {
			t.Fatalf("%s can claim nothing after 3 paid calls: %v", who, &pending)
		}
		e.tx("tx", "dat", "claim-all", "--from", who)
		e.query(&pending, "query", "dat", "pending", "--owner", who)
		if v, _ := tx.ParseBaseUnits(pending.Total); v != 0 {
			t.Fatalf("%s still has %d to claim after claim-all", who, v)
		}
	}

	// --- Parameters and nonces. ---
	var p service.Params
	e.query(&p, "query", "service", "params")
	if p.ProtocolFeeBps != 200 || p.NonceWindow == 0 {
		t.Fatalf("service params %v", &p)
	}
	e.text([]string{"protocol_fee_bps       200 (2% of every payment to the validators)", "max_receipts"}, "query", "service", "params")
	var ns service.NonceSet
	e.query(&ns, "query", "service", "nonces", "dave", "--worker", strconv.FormatUint(workerIDs[0], 10))
	if ns.Consumer != dave.Address().String() || ns.Worker != workerIDs[0] {
		t.Fatalf("dave's nonces %v", &ns)
	}

	// --- Bad input: each error names what is wrong. ---
	train := func(extra ...string) []string {
		return append([]string{"model", "train", "--pool", pool, "--kind", "logistic", "--idao", "3", "--from", "alice"}, extra...)
	}
	register := func(extra ...string) []string {
		return append([]string{"service", "register", "--idao", "4", "--model-class", class, "--price", "1000ulaz", "--split", "3000:2000:5000",
			"--workers", "1,2", "--from", "alice"}, extra...)
	}
	missingFile := writeFile(t, "") + ".missing"
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"model", "train", "--from", "alice"}, []string{"missing --pool, --kind, --idao: required"}},
		{train("--kind", "svm"), []string{`--kind "svm": want logistic, mlp or knn`}},
		{train("--hyper", "epochs=0"), []string{`--hyper "epochs=0"`, "epochs"}},
		{train("--hyper", "k=3"), []string{`--hyper "k=3"`}},
		{train("--hyper", "epochs"), []string{`--hyper "epochs"`}},
		{train("--data-split-bps", "10001"), []string{"--data-split-bps 10001: basis points, at most 10000"}},
		{train("--fee", "1"), []string{"--fee"}},
		{train("--fee", "0laz"), []string{"--fee: must be greater than zero"}},
		{train("--name", strings.Repeat("n", 65)), []string{"--name is 65 bytes; at most 64"}},
		{train("--async"), []string{"--async: model train waits for its block"}},
		{train("--wait", "--wait-max", "0s"), []string{"--wait-max 0s"}},
		{train("--pool", "99"), []string{"pool 99 does not exist"}},
		{train("--fee", "1ulaz"), []string{"flow/", "at least the pool's verifier fee"}},
		{train("--from", "bob"), []string{"flow/", "model_trainer"}},
		{train("--from", "mallory"), []string{"--from"}},
		{[]string{"model", "show", "x"}, []string{`MODEL "x": want a positive integer id`}},
		{[]string{"model", "show", "99"}, []string{"model 99 does not exist"}},
		{[]string{"model", "list", "--pool", "1", "--worker", "1"}, []string{"give at most one of --pool ID and --worker ID"}},
		{[]string{"model", "list", "--after", "x"}, []string{"--after"}},
		{[]string{"query", "flow", "model", "0"}, []string{`MODEL "0"`}},
		{[]string{"service", "register", "--from", "alice"}, []string{"missing --idao, --model-class, --price, --split, --workers: required"}},
		{register("--price", "0ulaz"), []string{"--price: must be at least 1ulaz"}},
		{register("--price", "12"), []string{"--price"}},
		{register("--split", "3000:7000"), []string{`--split "3000:7000": want OWNER:PROVIDER:MODEL`}},
		{register("--split", "3000:2000:5001"), []string{"--split", "sum to 10001 basis points"}},
		{register("--split", "a:b:c"), []string{"--split", `"a" is not a whole number`}},
		{register("--workers", "1,x"), []string{`--workers "1,x": "x" is not a worker id`}},
		{register("--workers", "1,1"), []string{"worker 1 is listed twice"}},
		{register("--policy", "zk"), []string{`--policy "zk": only tee is supported`}},
		{register("--name", strings.Repeat("s", 65)), []string{"--name is 65 bytes; at most 64"}},
		{register("--async"), []string{"--async: service register waits for its block"}},
		{register("--model-class", "99"), []string{"--model-class 99"}},
		{register("--model-class", dataClass, "--name", "x"), []string{"service/4", "not the class of a trained model"}},
		{register("--from", "dave"), []string{"service/3", "app_developer"}},
		{register("--workers", "9"), []string{"worker 9 does not exist"}},
		{[]string{"service", "update", "1", "--from", "alice"}, []string{"nothing to update: give --price, --workers or --status"}},
		{[]string{"service", "update", "1", "--status", "off", "--from", "alice"}, []string{`--status "off": want active or paused`}},
		{[]string{"service", "update", "1", "--price", "0ulaz", "--from", "alice"}, []string{"--price: must be at least 1ulaz"}},
		{[]string{"service", "update", "1", "--price", "1laz", "--from", "dave"}, []string{"service/3"}},
		{[]string{"service", "update", "x", "--price", "1laz", "--from", "alice"}, []string{`SERVICE "x"`}},
		{[]string{"service", "deposit", "1", "0laz", "--from", "dave"}, []string{"AMOUNT: must be greater than zero"}},
		{[]string{"service", "deposit", "1", "5", "--from", "dave"}, []string{"AMOUNT"}},
		{[]string{"service", "deposit", "99", "1laz", "--from", "dave"}, []string{"service/2"}},
		{[]string{"service", "deposit", "1", "1laz"}, []string{"--from is required"}},
		{[]string{"service", "withdraw", "1", "1laz", "--from", "dave"}, []string{"service/7", "holds 8000 ulaz"}},
		{[]string{"service", "buy", "1", "1laz", "--into", strconv.FormatUint(k.Token, 10), "--from", "dave"}, []string{"service/4", "is of class " + dataClass}},
		{[]string{"service", "buy", "1", "0laz", "--from", "dave"}, []string{"AMOUNT: must be greater than zero"}},
		{[]string{"service", "buy", "0", "1laz", "--from", "dave"}, []string{`SERVICE "0"`}},
		{[]string{"service", "escrow", "1"}, []string{"--consumer is required"}},
		{[]string{"service", "escrow", "1", "--consumer", "nobody"}, []string{"--consumer", "neither an address"}},
		{[]string{"service", "escrow", "99", "--consumer", "dave"}, []string{"service 99 does not exist"}},
		{[]string{"service", "show", "99"}, []string{"service 99 does not exist"}},
		{[]string{"service", "list", "--after", "-1"}, []string{"--after"}},
		{[]string{"service", "call", "1", "--from", "dave"}, []string{"--input is required"}},
		{[]string{"service", "call", "1", "--input", "{nope", "--from", "dave"}, []string{"--input is not valid JSON"}},
		{[]string{"service", "call", "1", "--input", "@" + missingFile, "--from", "dave"}, []string{"--input", "no such file"}},
		{[]string{"service", "call", "1", "--input", input}, []string{"--from is required"}},
		{[]string{"service", "call", "1", "--input", input, "--max-price", "0laz", "--from", "dave"}, []string{"--max-price: must be greater than zero"}},
		{[]string{"service", "call", "99", "--input", input, "--from", "dave"}, []string{"calling service 99", "service 99 does not exist"}},
		{[]string{"service", "call", "1", "--input", input, "--endpoint", "http://127.0.0.1:1", "--from", "dave"}, []string{"calling service 1", "no worker of service 1 served the call"}},
		{[]string{"query", "service", "nonces", "nobody", "--worker", "1"}, []string{"neither an address"}},
		{[]string{"query", "service", "nonces", "dave"}, []string{"--worker is required"}},
	} {
		e.fails(c.want, c.args...)
	}
}

// Every model and service command has a Long help and Examples.
func TestModelAndServiceCommandsHaveHelp(t *testing.T) {
	root := newRootCmd()
	for _, path := range []string{"model", "model train", "model list", "model show",
		"service", "service register", "service update", "service list", "service show", "service deposit", "service withdraw",
		"service buy", "service escrow", "service call", "tx flow train", "tx service", "tx service register", "tx service update",
		"tx service deposit", "tx service withdraw", "tx service buy", "query flow model", "query flow models", "query service",
		"query service service", "query service services", "query service escrow", "query service params", "query service nonces"} {
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

// TestServiceFlagParsers checks the split, workers and input parsers
// without a chain.
func TestServiceFlagParsers(t *testing.T) {
	var ids []string
	for i := 1; i <= 33; i++ {
		ids = append(ids, strconv.Itoa(i))
	}
	thirtyThree := strings.Join(ids, ",")
	for _, c := range []struct {
		in   string
		want []uint32
		err  string
	}{
		{"3000:2000:5000", []uint32{3000, 2000, 5000}, ""},
		{" 0 : 0 : 10000 ", []uint32{0, 0, 10000}, ""},
		{"10000:0:0", []uint32{10000, 0, 0}, ""},
		{"5000:5000", nil, "want OWNER:PROVIDER:MODEL"},
		{"5000:5000:1", nil, "sum to 10001"},
		{"-1:5000:5001", nil, `"-1" is not a whole number`},
		{"4294967296:0:0", nil, "is not a whole number"},
	} {
		sp, err := parseSplit(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("parseSplit(%q): %v, want an error with %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || sp.OwnerBps != c.want[0] || sp.ProviderBps != c.want[1] || sp.ModelBps != c.want[2] {
			t.Errorf("parseSplit(%q) = %v, %v; want %v", c.in, sp, err, c.want)
		}
	}
	for _, c := range []struct {
		in   string
		want []uint64
		err  string
	}{
		{"1,2", []uint64{1, 2}, ""},
		{"3, 1", []uint64{3, 1}, ""},
		{"0", nil, `"0" is not a worker id`},
		{"1,,2", nil, `"" is not a worker id`},
		{"2,2", nil, "listed twice"},
		{thirtyThree, nil, "33 workers, at most 32"},
	} {
		ws, err := parseWorkerIDs(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("parseWorkerIDs(%q): %v, want an error with %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || !slices.Equal(ws, c.want) {
			t.Errorf("parseWorkerIDs(%q) = %v, %v; want %v", c.in, ws, err, c.want)
		}
	}
	for _, c := range []struct {
		ppm  uint32
		want string
	}{{0, "0.00%"}, {1_000_000, "100.00%"}, {933_333, "93.33%"}, {5, "0.00%"}, {125_000, "12.50%"}} {
		if got := accuracyText(c.ppm); got != c.want {
			t.Errorf("accuracyText(%d) = %q, want %q", c.ppm, got, c.want)
		}
	}
	if got := bpsText(250); got != "2.5%" {
		t.Errorf("bpsText(250) = %q", got)
	}
}
