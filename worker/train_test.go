package worker_test

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/lazchain/lazchain/blob"
	"github.com/lazchain/lazchain/client"
	"github.com/lazchain/lazchain/x/bank"
	"github.com/lazchain/lazchain/x/compute"
	"github.com/lazchain/lazchain/x/flow"
)

// TestTrainingRequestsAndResults sends bad training requests and bad
// training results, each refused with its code and a sentence that names
// the problem, then a good result that makes the model, and a job whose
// worker never answers: at its deadline the worker is slashed and the fee
// refunded.
func TestTrainingRequestsAndResults(t *testing.T) {
	n := newNetwork(t, 1, "trainers", "apps")
	sw := n.addServingWorker(0, 10_000_000, 0)
	contributor, erin := key(t), key(t)
	for _, k := range []string{contributor.Address().String(), erin.Address().String()} {
		n.send(n.alice, &bank.MsgSend{From: n.alice.Address().String(), To: k, Amount: "50000000"})
	}
	pool := n.createPool(poolMsg(1, 1, 8, 1), irisSplit(func(i int) bool { return i%5 == 0 }), n.checked(sw.w.ID()))
	empty := n.createPool(poolMsg(1, 1, 8, 1), irisSplit(func(i int) bool { return i%5 == 0 }), n.checked(sw.w.ID()))
	n.contributeAs(contributor, pool.Id, irisSplit(func(i int) bool { return i%5 == 1 }))
	// Once the worker's enclave has taken the anchored contribution into
	// the pool's state, the worker stops: the jobs wait for results this
	// test makes with its enclave.
	for deadline := time.Now().Add(30 * time.Second); sw.e.AnchoredSeq(pool.Id) < 1; {
		if time.Now().After(deadline) {
			t.Fatal("the worker never absorbed the anchored contribution")
		}
		time.Sleep(20 * time.Millisecond)
	}
	sw.stop(t)

	train := func(edit func(*flow.MsgTrain)) *flow.MsgTrain {
		m := &flow.MsgTrain{From: n.alice.Address().String(), Idao: trainers, Pool: pool.Id, Name: "m", Kind: "logistic", Fee: "300000", DataSplitBps: 5000}
		if edit != nil {
			edit(m)
		}
		return m
	}
	for _, c := range []struct {
		name   string
		signer bool // erin signs instead of alice
		msg    *flow.MsgTrain
		err    error
		says   string
	}{
		{"unknown pool", false, train(func(m *flow.MsgTrain) { m.Pool = 99 }), flow.ErrNotFound, "pool 99 does not exist"},
		{"unknown kind", false, train(func(m *flow.MsgTrain) { m.Kind = "forest" }), flow.ErrInvalidModel, "forest"},
		{"bad hyper", false, train(func(m *flow.MsgTrain) { m.Hyper = "epochs=0" }), flow.ErrInvalidModel, "epochs"},
		{"unknown hyper", false, train(func(m *flow.MsgTrain) { m.Hyper = "depth=3" }), flow.ErrInvalidModel, "depth"},
		{"split above 100%", false, train(func(m *flow.MsgTrain) { m.DataSplitBps = 10001 }), flow.ErrInvalidModel, "data_split_bps 10001"},
		{"fee below the pool's", false, train(func(m *flow.MsgTrain) { m.Fee = "1" }), flow.ErrInvalidModel, "at least the pool's verifier fee"},
		{"no name", false, train(func(m *flow.MsgTrain) { m.Name = "" }), flow.ErrInvalidModel, "name is 0 bytes"},
		{"empty pool", false, train(func(m *flow.MsgTrain) { m.Pool = empty.Id }), flow.ErrInvalidModel, "nothing to train on"},
		{"not a trainer", true, train(func(m *flow.MsgTrain) { m.From = erin.Address().String() }), flow.ErrUnauthorized, "needs the model_trainer or admin role"},
	} {
		signer := n.alice
		if c.signer {
			signer = erin
		}
		_, err := n.c.SignAndBroadcast(n.ctx, signer, []proto.Message{c.msg}, client.TxOptions{})
		if !errors.Is(err, c.err) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: %v, want %v saying %q", c.name, err, c.err, c.says)
		}
	}

	// A job, and results for it.
	res := n.send(n.alice, train(nil))
	id := newID(t, res, "flow_train", "model")
	m := n.model(id)
	if m.Status != flow.ModelTraining || len(m.Assignments) != 1 || m.Assignments[0].Worker != sw.w.ID() {
		t.Fatalf("job: %+v", m)
	}
	recipients, _ := n.c.Workers(n.ctx, 2, 0)
	good, ciphertext, err := sw.e.Train(chainID, m, sw.w.ID(), recipients.Workers)
	if err != nil {
		t.Fatal(err)
	}
	good.From = n.ops[0].Address().String()
	_, forger, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	// Results edited after the enclave signed: the chain checks what they
	// say before the signature, so each names its own problem.
	result := func(edit func(*flow.MsgTrainResult)) *flow.MsgTrainResult {
		r := proto.Clone(good).(*flow.MsgTrainResult)
		edit(r)
		return r
	}
	for _, c := range []struct {
		name string
		msg  *flow.MsgTrainResult
		err  error
		says string
	}{
		{"another pool", result(func(r *flow.MsgTrainResult) { r.Pool = empty.Id }), flow.ErrWrongJob, "trains on pool"},
		{"unassigned worker", result(func(r *flow.MsgTrainResult) { r.Worker = 99 }), flow.ErrNotAssigned, "worker 99 has no pending assignment"},
		{"accuracy above 100%", result(func(r *flow.MsgTrainResult) { r.AccuracyPpm = 1_000_001 }), flow.ErrInvalidResult, "above 1000000"},
		{"bad commitment", result(func(r *flow.MsgTrainResult) { r.ModelCommitment = "xyz" }), flow.ErrInvalidResult, "model_commitment"},
		{"no records", result(func(r *flow.MsgTrainResult) { r.Records = 0 }), flow.ErrInvalidResult, "no records"},
		{"no grants", result(func(r *flow.MsgTrainResult) { r.Weights.Grants = nil }), flow.ErrInvalidSealed, "no grants"},
		{"another key's signature", result(func(r *flow.MsgTrainResult) { flow.SignTrainResult(chainID, r, forger) }), flow.ErrBadSignature, "not signed by worker"},
		{"grants swapped after signing", result(func(r *flow.MsgTrainResult) { r.Weights.Grants[0].Wrapped = "00" + r.Weights.Grants[0].Wrapped[2:] }), flow.ErrBadSignature, "not signed by worker"},
		{"accuracy changed after signing", result(func(r *flow.MsgTrainResult) { r.AccuracyPpm = 1_000_000 }), flow.ErrBadSignature, "not signed by worker"},
	} {
		_, err := n.c.SignAndBroadcast(n.ctx, n.ops[0], []proto.Message{c.msg}, client.TxOptions{})
		if !errors.Is(err, c.err) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: %v, want %v saying %q", c.name, err, c.err, c.says)
		}
	}
	if _, err := n.c.SignAndBroadcast(n.ctx, n.alice, []proto.Message{result(func(r *flow.MsgTrainResult) { r.From = n.alice.Address().String() })}, client.TxOptions{}); !errors.Is(err, flow.ErrUnauthorized) {
		t.Errorf("a result sent by someone else than the operator: %v", err)
	}
	if m := n.model(id); m.Status != flow.ModelTraining || len(m.Results) != 0 {
		t.Fatalf("after refused results the job is %s with %d results", m.Status, len(m.Results))
	}
	n.putBlob(good.Weights.CiphertextSha256, ciphertext)
	n.send(n.ops[0], good)
	if m := n.model(id); m.Status != flow.ModelTrained || m.Class == 0 || m.AccuracyPpm != good.AccuracyPpm {
		t.Fatalf("after the good result: %+v", m)
	}
	if _, err := n.c.SignAndBroadcast(n.ctx, n.ops[0], []proto.Message{good}, client.TxOptions{}); !errors.Is(err, flow.ErrClosed) {
		t.Errorf("a result after the model was made: %v", err)
	}

	// A job nobody answers: at its deadline (8 blocks) the worker is
	// slashed, the job fails and the fee goes back.
	before, _ := n.c.Worker(n.ctx, sw.w.ID(), 0)
	aliceBefore, _, _ := n.c.Balance(n.ctx, n.alice.Address(), 0)
	res = n.send(n.alice, train(nil))
	id = newID(t, res, "flow_train", "model")
	deadline := time.Now().Add(30 * time.Second)
	for n.model(id).Status == flow.ModelTraining {
		if time.Now().After(deadline) {
			t.Fatal("the unanswered job never failed")
		}
		time.Sleep(100 * time.Millisecond)
	}
	m = n.model(id)
	after, _ := n.c.Worker(n.ctx, sw.w.ID(), 0)
	aliceAfter, _, _ := n.c.Balance(n.ctx, n.alice.Address(), 0)
	if m.Status != flow.ModelFailed || !strings.Contains(m.Reason, "fee was refunded") || m.Assignments[0].Status != flow.AssignMissed {
		t.Fatalf("the unanswered job: %+v", m)
	}
	if compute.Bond(after) != compute.Bond(before)-compute.Bond(before)*500/10000 {
		t.Fatalf("the worker's bond went from %s to %s, want a 5%% slash", before.Bond, after.Bond)
	}
	if spent := aliceBefore - aliceAfter; spent > 100_000 { // the tx fee only: the 300000 fee came back
		t.Fatalf("alice spent %d ulaz on a job that failed", spent)
	}
}

func (n *network) model(id uint64) *flow.Model {
	n.t.Helper()
	m, err := n.c.Model(n.ctx, id, 0)
	if err != nil {
		n.t.Fatal(err)
	}
	return m
}

func (n *network) putBlob(sumHex string, b []byte) {
	n.t.Helper()
	sum, err := blob.ParseSum(sumHex)
	if err != nil {
		n.t.Fatal(err)
	}
	if err := n.blobs.Put(n.ctx, sum, bytes.NewReader(b), int64(len(b))); err != nil {
		n.t.Fatal(err)
	}
}
