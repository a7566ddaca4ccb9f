package worker_test

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/lazchain/lazchain/client"
	"github.com/lazchain/lazchain/enclave"
	"github.com/lazchain/lazchain/node/nodetest"
	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/worker"
	"github.com/lazchain/lazchain/x/bank"
	"github.com/lazchain/lazchain/x/dat"
	"github.com/lazchain/lazchain/x/flow"
	"github.com/lazchain/lazchain/x/idao"
	"github.com/lazchain/lazchain/x/service"
)

// servingWorker is a running worker with an HTTP endpoint and a receipts
// journal.
type servingWorker struct {
	w       *worker.Worker
	e       *enclave.Enclave
	srv     *httptest.Server
	journal string
	cancel  context.CancelFunc
	done    chan struct{}
}

// addServingWorker registers operator i's dev enclave with an endpoint
// and a journal, and runs it.
func (n *network) addServingWorker(i int, bond uint64, settleBatch int) *servingWorker {
	n.t.Helper()
	e, err := enclave.NewDev()
	if err != nil {
		n.t.Fatal(err)
	}
	sw := &servingWorker{e: e, journal: n.t.TempDir()}
	var h http.Handler = http.NotFoundHandler()
	var mu sync.Mutex
	sw.srv = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hh := h
		mu.Unlock()
		hh.ServeHTTP(rw, r)
	}))
	n.t.Cleanup(sw.srv.Close)
	sw.w = worker.New(worker.Config{
		Client: n.c, Blobs: n.blobs, Enclave: e, Operator: n.ops[i], IDAO: 2, Bond: bond, Endpoint: sw.srv.URL, API: n.node.APIURL(),
		Poll: 100 * time.Millisecond, SettleEvery: cmp.Or(n.settleEvery, 300*time.Millisecond), SettleBatch: settleBatch, Log: n.log,
	})
	if _, err := sw.w.Register(n.ctx); err != nil {
		n.t.Fatal(err)
	}
	mu.Lock()
	h = sw.w.Handler()
	mu.Unlock()
	sw.start(n)
	n.workers = append(n.workers, sw.w)
	return sw
}

func (sw *servingWorker) start(n *network) {
	n.t.Helper()
	if err := sw.w.OpenJournal(sw.journal); err != nil {
		n.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(n.ctx)
	sw.cancel, sw.done = cancel, make(chan struct{})
	go func() {
		defer close(sw.done)
		sw.w.Run(ctx)
	}()
}

// stop stops the worker's loop (its HTTP endpoint stays up, with no
// journal it answers 503) and closes its journal.
func (sw *servingWorker) stop(t testing.TB) {
	t.Helper()
	sw.cancel()
	<-sw.done
	if err := sw.w.CloseJournal(); err != nil {
		t.Fatal(err)
	}
}

func (n *network) contributeAs(k *tx.PrivateKey, pool uint64, data []byte) *flow.Contribution {
	n.t.Helper()
	res, err := n.c.Contribute(n.ctx, k, pool, bytes.NewReader(data), int64(len(data)), n.blobs, nil, n.t.TempDir(), nil)
	if err != nil {
		n.t.Fatalf("contribute: %v", err)
	}
	c := n.waitStatus(res.Contribution, 30*time.Second)
	if c.Status != flow.StatusAnchored {
		n.t.Fatalf("contribution %d: %s (%s), want anchored", c.Id, c.Status, c.Reason)
	}
	return c
}

func (n *network) send(k *tx.PrivateKey, msgs ...proto.Message) *client.TxResult {
	n.t.Helper()
	res, err := n.c.SignAndBroadcast(n.ctx, k, msgs, client.TxOptions{})
	if err != nil {
		n.t.Fatalf("%T: %v", msgs[0], err)
	}
	return res
}

func (n *network) waitModel(id uint64, timeout time.Duration) *flow.Model {
	n.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		m := &flow.Model{}
		if _, err := n.c.Query(n.ctx, "/flow/model", flow.ModelQuery{ID: id}, m, 0); err != nil {
			n.t.Fatal(err)
		}
		if m.Status != flow.ModelTraining {
			return m
		}
		if time.Now().After(deadline) {
			n.t.Fatalf("model %d still training after %v: %+v\nlogs:\n%s", id, timeout, m, tail(n.logs.String(), 4000))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (n *network) service(id uint64) *service.Service {
	n.t.Helper()
	s := &service.Service{}
	if _, err := n.c.Query(n.ctx, "/service/service", service.ServiceQuery{ID: id}, s, 0); err != nil {
		n.t.Fatal(err)
	}
	return s
}

// waitServing waits until each worker serves the service (its model is
// loaded).
func waitServing(t testing.TB, svc uint64, ws ...*servingWorker) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for _, sw := range ws {
		for {
			resp, err := http.Post(sw.srv.URL+client.InferPath(svc), "application/json", strings.NewReader(`{}`))
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusPaymentRequired {
					break
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("worker %d does not serve service %d: %v %v", sw.w.ID(), svc, resp, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// pendingOf sums what an owner can claim.
func (n *network) pendingOf(owner tx.Address) uint64 {
	n.t.Helper()
	var res dat.QueryPendingResponse
	if _, err := n.c.Query(n.ctx, "/dat/pending", dat.PendingQuery{Owner: owner.String()}, &res, 0); err != nil {
		n.t.Fatal(err)
	}
	v, err := tx.ParseBaseUnits(res.Total)
	if err != nil {
		n.t.Fatal(err)
	}
	return v
}

// The iDAOs newNetwork(t, ops, "trainers", "apps") makes after the data
// and compute iDAOs.
const trainers, apps = 3, 4

const (
	price       = 1000
	ownerBps    = 3000
	providerBps = 2000
	modelBps    = 5000
	dataSplit   = 6000
)

// TestServiceLifecycle closes the loop in-process: three contributors'
// data is anchored, the pool's two workers train a model (bit-identical
// weights, so their results agree), an app iDAO registers a service on it,
// a consumer pays for 1,000 calls from an escrow and with bought usage
// value, the workers settle the receipts in batches, and every data holder
// claims exactly what the scores and the splits say, computed here
// independently of the chain's accumulators. Then bad receipts are
// refused one by one in a batch whose good receipt settles, and a worker's
// unsettled receipts survive a restart and settle once.
func TestServiceLifecycle(t *testing.T) {
	n := newNetwork(t, 2, "trainers", "apps")
	sw0 := n.addServingWorker(0, 10_000_000, 150)
	sw1 := n.addServingWorker(1, 10_000_000, 150)
	contributors := []*tx.PrivateKey{key(t), key(t), key(t)}
	dave, erin := key(t), key(t)
	sv := n.serveModel(contributors, []*tx.PrivateKey{dave, erin}, sw0, sw1)
	pool, m, svcID, scores, tokens := sv.pool, sv.model, sv.service, sv.scores, sv.tokens
	t.Logf("contribution scores (ppm): %v", scores)
	if len(m.Results) != 2 || m.Results[0].ModelCommitment != m.Results[1].ModelCommitment || m.Results[0].Worker == m.Results[1].Worker {
		t.Fatalf("the two workers' results differ: %+v", m.Results)
	}
	class, err := n.c.DATClass(n.ctx, m.Class, 0)
	if err != nil {
		t.Fatal(err)
	}
	cl := class.Class
	if cl.Idao != trainers || cl.Minter != flow.ModelMinter || cl.PerformancePpm != m.AccuracyPpm || cl.PerformanceMetric != "accuracy" ||
		len(cl.Parents) != 1 || cl.Parents[0].Class != pool.Class || cl.Parents[0].SplitBps != dataSplit || cl.IntegrityHash != m.ModelCommitment || cl.Proofs != 2 {
		t.Fatalf("model class: %+v", cl)
	}
	if m.AccuracyPpm < 700_000 {
		t.Fatalf("model accuracy %d ppm on iris: want at least 70%%", m.AccuracyPpm)
	}
	t.Logf("model %d: %d records, accuracy %d ppm, class %d", m.Id, m.Records, m.AccuracyPpm, m.Class)

	// No payment: 402 with what to pay.
	input := []byte(`{"features":[6.1,2.8,4.7,1.2]}`)
	_, err = n.c.CallService(n.ctx, erin, client.CallOptions{Service: svcID, Input: input, Nonce: 1})
	var pr *client.PaymentRequiredError
	if !errorsAs(err, &pr) || pr.Body.Accepts[0].MaxAmountRequired != fmt.Sprint(price) || pr.Body.X402Version != 1 ||
		!strings.Contains(pr.Body.Accepts[0].Extra.Escrow, "service deposit") {
		t.Fatalf("a call with no escrow: %v (%+v)", err, pr)
	}
	// A voucher for less than the price: 402 too.
	if _, err := n.c.CallService(n.ctx, erin, client.CallOptions{Service: svcID, Input: input, Nonce: 1, MaxPrice: price - 1}); !errorsAs(err, &pr) {
		t.Fatalf("a voucher below the price: %v", err)
	}

	// dave pays 600 calls from an escrow and 400 with bought usage value.
	const escrowCalls, tokenCalls = 600, 400
	n.send(dave, &service.MsgDeposit{From: dave.Address().String(), Service: svcID, Amount: fmt.Sprint(escrowCalls * price)})
	res := n.send(dave, &service.MsgBuyUsage{From: dave.Address().String(), Service: svcID, Amount: fmt.Sprint((tokenCalls + 100) * price)})
	usage := newID(t, res, "service_buy", "token")

	const calls = escrowCalls + tokenCalls
	outputs := make([]string, calls)
	var wg sync.WaitGroup
	errs := make(chan error, calls)
	sem := make(chan struct{}, 8)
	for i := range calls {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			o := client.CallOptions{Service: svcID, Input: input, Nonce: uint64(i + 1), Worker: []uint64{sw0.w.ID(), sw1.w.ID()}[i%2]}
			if i >= escrowCalls {
				o.Token = usage
			}
			r, err := n.c.CallService(n.ctx, dave, o)
			if err != nil {
				errs <- fmt.Errorf("call %d: %w", i, err)
				return
			}
			if r.Price != price {
				errs <- fmt.Errorf("call %d cost %d", i, r.Price)
			}
			outputs[i] = string(r.Output)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for i := range outputs {
		if outputs[i] != outputs[0] {
			t.Fatalf("the same input gave %s and %s", outputs[0], outputs[i])
		}
	}
	t.Logf("output: %s", outputs[0])

	// Settlement in batches of at most 150.
	deadline := time.Now().Add(60 * time.Second)
	for n.service(svcID).Totals.Calls < calls || sw0.w.Unsettled()+sw1.w.Unsettled() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("settled %d of %d calls; unsettled %d+%d\n%s", n.service(svcID).Totals.Calls, calls, sw0.w.Unsettled(), sw1.w.Unsettled(), tail(n.logs.String(), 3000))
		}
		time.Sleep(200 * time.Millisecond)
	}
	settles := strings.Count(n.logs.String(), "receipts settled")
	if settles < calls/150 {
		t.Fatalf("%d Settle txs for %d receipts in batches of at most 150", settles, calls)
	}
	s := n.service(svcID)
	per := expectSplit(price)
	want := service.Totals{Calls: calls, Paid: fmt.Sprint(calls * price), Protocol: fmt.Sprint(calls * per.protocol),
		Providers: fmt.Sprint(calls * per.provider), Owner: fmt.Sprint(calls * per.owner), Model: fmt.Sprint(calls * per.model)}
	if !proto.Equal(s.Totals, &want) {
		t.Fatalf("service totals %+v, want %+v", s.Totals, &want)
	}
	if e := n.escrowOf(dave, svcID); e != 0 {
		t.Fatalf("dave's escrow holds %d after %d calls, want 0", e, escrowCalls)
	}
	if tok, _ := n.c.DATToken(n.ctx, usage, 0); tok.Token.Value != 100*price {
		t.Fatalf("dave's usage token has %d left, want %d", tok.Token.Value, 100*price)
	}
	if got, _, _ := n.c.Balance(n.ctx, idaoTreasury(apps), 0); got != calls*per.owner {
		t.Fatalf("service owner treasury %d, want %d", got, calls*per.owner)
	}
	if got, _, _ := n.c.Balance(n.ctx, idaoTreasury(2), 0); got != calls*per.provider {
		t.Fatalf("compute provider treasury %d, want %d", got, calls*per.provider)
	}

	// Revenue up the lineage: the data class gets dataSplit of the model
	// class's share, and its holders share it by score.
	toData := calls * per.model * dataSplit / 10000
	var sumShares uint64
	for _, sc := range scores {
		sumShares += sc
	}
	acc := new(big.Int).Div(new(big.Int).Mul(big.NewInt(int64(toData)), scale), new(big.Int).SetUint64(sumShares))
	var claimedData uint64
	for i, k := range contributors {
		exp := new(big.Int).Div(new(big.Int).Mul(new(big.Int).SetUint64(scores[i]), acc), scale).Uint64()
		if got := n.pendingOf(k.Address()); got != exp {
			t.Fatalf("contributor %d can claim %d, want %d (score %d of %d, %d to the data class)", i, got, exp, scores[i], sumShares, toData)
		}
		n.send(k, &dat.MsgClaimAll{From: k.Address().String()})
		tok, _ := n.c.DATToken(n.ctx, tokens[i], 0)
		if tok.Token.Claimed != fmt.Sprint(exp) || n.pendingOf(k.Address()) != 0 {
			t.Fatalf("contributor %d claimed %s, want %d", i, tok.Token.Claimed, exp)
		}
		claimedData += exp
		t.Logf("contributor %d: score %d ppm, claimed %d ulaz", i, scores[i], exp)
	}
	toModel := calls*per.model - toData
	if got := n.pendingOf(n.alice.Address()); got != toModel {
		t.Fatalf("the model token's holder can claim %d, want %d", got, toModel)
	}
	n.send(n.alice, &dat.MsgClaimAll{From: n.alice.Address().String()})
	carried := toData - claimedData
	if carried >= uint64(len(contributors)) {
		t.Fatalf("%d ulaz carried in the data class's remainder; at most %d can be", carried, len(contributors)-1)
	}
	// Conservation: what dave paid is exactly what everyone got.
	if paid := uint64(calls * price); paid != calls*per.protocol+calls*per.provider+calls*per.owner+claimedData+toModel+carried {
		t.Fatalf("paid %d != protocol + providers + owners + claimed + carried", paid)
	}

	n.checkBadReceipts(sw0, svcID, dave, erin, usage)

	// Nonce windows are per consumer and worker: a far nonce settled by
	// worker 1 moves dave's window there and leaves the one at worker 0.
	before0 := n.nonceBase(dave, sw0.w.ID())
	far := n.receipt(sw1, svcID, dave, 1_000_000, nil)
	if res := n.send(n.ops[1], &service.MsgSettle{From: n.ops[1].Address().String(), Worker: sw1.w.ID(), Receipts: []*service.Receipt{far}}); res.Code != 0 {
		t.Fatalf("settling a far nonce: %+v", res)
	}
	if b1, b0 := n.nonceBase(dave, sw1.w.ID()), n.nonceBase(dave, sw0.w.ID()); b1 < 1_000_000-4096 || b0 != before0 {
		t.Fatalf("after a far nonce at worker 1: base %d there, %d at worker 0 (was %d)", b1, b0, before0)
	}
	n.checkRestart(sw0, svcID, dave)

	// A worker taken off the service gets no new calls, but the vouchers
	// consumers signed for it still settle.
	n.send(n.alice, &service.MsgUpdateService{From: n.alice.Address().String(), Service: svcID, Workers: []uint64{sw1.w.ID()}})
	if s := n.service(svcID); len(s.Workers) != 1 || len(s.FormerWorkers) != 1 || s.FormerWorkers[0] != sw0.w.ID() {
		t.Fatalf("after the update: workers %v, former %v", s.Workers, s.FormerWorkers)
	}
	n.send(dave, &service.MsgDeposit{From: dave.Address().String(), Service: svcID, Amount: fmt.Sprint(price)})
	settled := n.service(svcID).Totals.Calls
	late := n.receipt(sw0, svcID, dave, 7000, nil)
	n.send(n.ops[0], &service.MsgSettle{From: n.ops[0].Address().String(), Worker: sw0.w.ID(), Receipts: []*service.Receipt{late}})
	if got := n.service(svcID).Totals.Calls; got != settled+1 {
		t.Fatalf("a former worker's receipt: %d calls settled, want %d", got, settled+1)
	}
}

var scale = new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)

type parts struct{ protocol, owner, provider, model uint64 }

// expectSplit computes one call's split from the parameters, without the
// module's code: protocol fee 200 bps, then owner and provider shares of
// the rest rounded down, and the model class the remainder.
func expectSplit(p uint64) parts {
	protocol := p * 200 / 10000
	rest := p - protocol
	owner, provider := rest*ownerBps/10000, rest*providerBps/10000
	return parts{protocol, owner, provider, rest - owner - provider}
}

func newID(t testing.TB, res *client.TxResult, typ, key string) uint64 {
	t.Helper()
	id, err := res.NewID(typ, key)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func errorsAs(err error, target any) bool { return err != nil && errors.As(err, target) }

func idaoTreasury(id uint64) tx.Address { return idao.TreasuryAddress(id) }

func (n *network) escrowOf(k *tx.PrivateKey, svc uint64) uint64 {
	n.t.Helper()
	e := &service.Escrow{}
	if _, err := n.c.Query(n.ctx, "/service/escrow", service.EscrowQuery{Consumer: k.Address().String(), Service: svc}, e, 0); err != nil {
		n.t.Fatal(err)
	}
	v, _ := tx.ParseBaseUnits(e.Balance)
	return v
}

// receipt makes a receipt of worker sw for a call of consumer on svc,
// signed by both, with edit applied to the voucher before the consumer
// signs it.
func (n *network) receipt(sw *servingWorker, svc uint64, consumer *tx.PrivateKey, nonce uint64, edit func(v *service.Voucher)) *service.Receipt {
	n.t.Helper()
	s := n.service(svc)
	v := &service.Voucher{
		ChainId: chainID, Service: svc, RequestHash: service.RequestHash([]byte(`{"features":[1,2,3,4]}`)), MaxPrice: s.PricePerCall,
		Nonce: nonce, Expiry: time.Now().Add(10 * time.Minute).Unix(), Consumer: consumer.Address().String(), Worker: sw.w.ID(),
	}
	if edit != nil {
		edit(v)
	}
	sig, err := service.SignVoucher(v, consumer)
	if err != nil {
		n.t.Fatal(err)
	}
	r := &service.Receipt{
		Voucher: v, ConsumerSignature: sig, Worker: sw.w.ID(), OutputHash: service.RequestHash([]byte(`{"label":1}`)),
		ModelCommitment: s.ModelCommitment, Price: s.PricePerCall,
	}
	sw.e.SignReceipt(r)
	return r
}

// checkBadReceipts settles one batch of a good receipt and one of each
// kind of bad one: the good one settles, each bad one is reported by
// index and reason, and nothing else changes.
func (n *network) checkBadReceipts(sw *servingWorker, svc uint64, dave, erin *tx.PrivateKey, usage uint64) {
	t := n.t
	n.send(dave, &service.MsgDeposit{From: dave.Address().String(), Service: svc, Amount: "5000"})
	before := n.service(svc).Totals
	forger, err := enclave.NewDev()
	if err != nil {
		t.Fatal(err)
	}
	good := n.receipt(sw, svc, dave, 5001, nil)
	overMax := n.receipt(sw, svc, dave, 5002, func(v *service.Voucher) { v.MaxPrice = "999" })
	replayed := n.receipt(sw, svc, dave, 1, nil)
	expired := n.receipt(sw, svc, dave, 5003, func(v *service.Voucher) { v.Expiry = time.Now().Add(-time.Minute).Unix() })
	otherChain := n.receipt(sw, svc, dave, 5004, func(v *service.Voucher) { v.ChainId = "other-chain-1" })
	forged := n.receipt(sw, svc, dave, 5005, nil)
	forger.SignReceipt(forged)
	otherService := n.receipt(sw, svc, dave, 5006, func(v *service.Voucher) { v.Service = 999 })
	noQuota := n.receipt(sw, svc, erin, 7, func(v *service.Voucher) { v.Token = usage }) // dave's token, erin's call
	otherWorker := n.receipt(sw, svc, dave, 5009, func(v *service.Voucher) { v.Worker++ })
	badConsumer := n.receipt(sw, svc, dave, 5007, nil)
	badConsumer.ConsumerSignature = n.receipt(sw, svc, erin, 5007, nil).ConsumerSignature
	sw.e.SignReceipt(badConsumer)
	noEscrow := n.receipt(sw, svc, erin, 8, nil)
	dupInBatch := proto.Clone(good).(*service.Receipt)
	tampered := n.receipt(sw, svc, dave, 5008, nil)
	tampered.Price = "1" // changed after the enclave signed

	batch := []*service.Receipt{good, overMax, replayed, expired, otherChain, forged, otherService, noQuota, badConsumer, noEscrow, dupInBatch, tampered, otherWorker}
	want := map[int]string{
		1: service.ReasonAboveMax, 2: service.ReasonNonceClosed, 3: service.ReasonExpired, 4: service.ReasonWrongChain,
		5: service.ReasonEnclaveSig, 6: service.ReasonUnknownService, 7: service.ReasonNoQuota, 8: service.ReasonConsumerSig,
		9: service.ReasonInsufficientEsc, 10: service.ReasonReplayed, 11: service.ReasonEnclaveSig, 12: service.ReasonMalformed,
	}
	daveEscrow := n.escrowOf(dave, svc)
	tok, _ := n.c.DATToken(n.ctx, usage, 0)
	res := n.send(n.ops[0], &service.MsgSettle{From: n.ops[0].Address().String(), Worker: sw.w.ID(), Receipts: batch})
	got := map[int]string{}
	for _, e := range res.Events {
		if e.Type != "service_receipt_rejected" {
			continue
		}
		var idx int
		var reason, msg string
		for _, a := range e.Attributes {
			switch a.Key {
			case "index":
				idx, _ = strconv.Atoi(a.Value)
			case "reason":
				reason = a.Value
			case "message":
				msg = a.Value
			}
		}
		if msg == "" {
			t.Errorf("receipt %d rejected (%s) without a message", idx, reason)
		}
		got[idx] = reason
		t.Logf("receipt %d rejected: %s: %s", idx, reason, msg)
	}
	for i := range batch {
		if got[i] != want[i] {
			t.Errorf("receipt %d: rejected as %q, want %q", i, got[i], want[i])
		}
	}
	after := n.service(svc).Totals
	if after.Calls != before.Calls+1 || n.escrowOf(dave, svc) != daveEscrow-price {
		t.Fatalf("after the bad batch: %d calls (was %d), dave's escrow %d (was %d)", after.Calls, before.Calls, n.escrowOf(dave, svc), daveEscrow)
	}
	if tok2, _ := n.c.DATToken(n.ctx, usage, 0); tok2.Token.Value != tok.Token.Value {
		t.Fatalf("a rejected receipt used token %d's value: %d -> %d", usage, tok.Token.Value, tok2.Token.Value)
	}
	// The batch path: an enclave vouches only for receipts it issued, and
	// a batch signature that is not the worker's enclave's fails the tx.
	alien := n.receipt(&servingWorker{w: sw.w, e: forger}, svc, dave, 5010, nil) // issued by the forger's enclave
	if _, err := sw.e.SignBatch(chainID, sw.w.ID(), []*service.Receipt{good, alien}); err == nil {
		t.Fatal("the enclave signed a batch holding a receipt it never issued")
	}
	batchSig, err := forger.SignBatch(chainID, sw.w.ID(), []*service.Receipt{alien})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.c.SignAndBroadcast(n.ctx, n.ops[0], []proto.Message{&service.MsgSettle{From: n.ops[0].Address().String(), Worker: sw.w.ID(), Receipts: []*service.Receipt{alien}, BatchSignature: batchSig}}, client.TxOptions{}); err == nil || !strings.Contains(err.Error(), "batch signature") {
		t.Fatalf("a batch signed by another enclave: %v", err)
	}
	// A batch of one worker signed by another operator, and an empty batch.
	if _, err := n.c.SignAndBroadcast(n.ctx, n.ops[1], []proto.Message{&service.MsgSettle{From: n.ops[1].Address().String(), Worker: sw.w.ID(), Receipts: batch[:1]}}, client.TxOptions{}); err == nil || !strings.Contains(err.Error(), "does not operate worker") {
		t.Fatalf("settling another operator's worker: %v", err)
	}
	if _, err := n.c.SignAndBroadcast(n.ctx, n.ops[0], []proto.Message{&service.MsgSettle{From: n.ops[0].Address().String(), Worker: sw.w.ID()}}, client.TxOptions{}); err == nil || !strings.Contains(err.Error(), "0 receipts") {
		t.Fatalf("an empty batch: %v", err)
	}
}

// checkRestart serves calls on a worker that then stops before settling
// (its journal is all that is left), restarts it, and checks the receipts
// settle once: a copy of the journal taken before settlement, as if the
// worker died after its Settle landed, settles nothing more.
func (n *network) checkRestart(sw *servingWorker, svc uint64, dave *tx.PrivateKey) {
	t := n.t
	const calls = 40
	n.send(dave, &service.MsgDeposit{From: dave.Address().String(), Service: svc, Amount: fmt.Sprint(calls * price)})
	sw.stop(t)
	// A worker object on the same enclave and journal that serves but does
	// not run its settle loop: the calls' receipts stay in the journal.
	mk := func(dir string) *worker.Worker {
		w := worker.New(worker.Config{Client: n.c, Blobs: n.blobs, Enclave: sw.e, Operator: n.ops[0], IDAO: 2, Log: n.log})
		w.Use(sw.w.ID())
		if err := w.OpenJournal(dir); err != nil {
			t.Fatal(err)
		}
		if err := w.Step(n.ctx); err != nil {
			t.Fatal(err)
		}
		return w
	}
	w := mk(sw.journal)
	srv := httptest.NewServer(w.Handler())
	defer srv.Close()
	before := n.service(svc).Totals.Calls
	for i := range calls {
		if _, err := n.c.CallService(n.ctx, dave, client.CallOptions{Service: svc, Input: []byte(`{"features":[5.0,3.4,1.5,0.2]}`), Nonce: uint64(6000 + i), Worker: sw.w.ID(), Endpoint: srv.URL}); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if w.Unsettled() != calls {
		t.Fatalf("%d unsettled receipts, want %d", w.Unsettled(), calls)
	}
	// A nonce a window away from the unsettled ones would close them when
	// it settled: the worker refuses it.
	_, err := n.c.CallService(n.ctx, dave, client.CallOptions{Service: svc, Input: []byte(`{"features":[5.0,3.4,1.5,0.2]}`), Nonce: 6000 + 4096, Worker: sw.w.ID(), Endpoint: srv.URL})
	var pr *client.PaymentRequiredError
	if !errorsAs(err, &pr) || !strings.Contains(pr.Body.Error, "has not settled yet") {
		t.Fatalf("a nonce a window away from unsettled ones: %v", err)
	}
	// The worker dies: its journal closes without a Settle.
	if err := w.CloseJournal(); err != nil {
		t.Fatal(err)
	}
	snapshot := filepath.Join(t.TempDir(), "before-settle")
	copyDir(t, sw.journal, snapshot)

	w = mk(sw.journal)
	if w.Unsettled() != calls {
		t.Fatalf("after restart %d unsettled receipts, want %d", w.Unsettled(), calls)
	}
	res, err := w.Settle(n.ctx, 0)
	if err != nil || res.Settled != calls || w.Unsettled() != 0 {
		t.Fatalf("settle after restart: %+v %v, %d left", res, err, w.Unsettled())
	}
	if got := n.service(svc).Totals.Calls; got != before+calls {
		t.Fatalf("%d calls settled, want %d", got-before, calls)
	}
	w.CloseJournal()

	// The journal as it was before the Settle landed, opened by a new
	// process of the operator with a new enclave (a new worker id): the old
	// worker's receipts go in a Settle of their own, checked receipt by
	// receipt against the old enclave's key, and every one is refused as
	// settled before.
	fresh, err := enclave.NewDev()
	if err != nil {
		t.Fatal(err)
	}
	w = worker.New(worker.Config{Client: n.c, Blobs: n.blobs, Enclave: fresh, Operator: n.ops[0], IDAO: 2, Bond: 1_000_000, Log: n.log})
	if _, err := w.Register(n.ctx); err != nil {
		t.Fatal(err)
	}
	if err := w.OpenJournal(snapshot); err != nil {
		t.Fatal(err)
	}
	res, err = w.Settle(n.ctx, 0)
	if err != nil || res.Settled != 0 || len(res.Rejected) != calls || w.Unsettled() != 0 {
		t.Fatalf("resettling: %+v %v", res, err)
	}
	for _, rj := range res.Rejected {
		if rj.Reason != service.ReasonReplayed && rj.Reason != service.ReasonNonceClosed {
			t.Fatalf("resent receipt %d: %s", rj.Index, rj.Reason)
		}
	}
	if got := n.service(svc).Totals.Calls; got != before+calls {
		t.Fatalf("after resending, %d calls settled, want %d", got-before, calls)
	}
	w.CloseJournal()
}

func copyDir(t testing.TB, from, to string) {
	t.Helper()
	if err := os.MkdirAll(to, 0o700); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if e.IsDir() || strings.HasSuffix(e.Name(), ".lock") || e.Name() == "LOCK" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// served is a service on a model trained on a pool of three iris slices.
type served struct {
	pool    *flow.Pool
	model   *flow.Model
	service uint64
	scores  []uint64
	tokens  []uint64
}

// serveModel funds the contributors and the others, creates a pool
// sealed to the workers, anchors one slice of iris per contributor,
// trains a logistic model for the trainers iDAO, registers a service on it
// for the apps iDAO and waits until every worker serves it.
func (n *network) serveModel(contributors, others []*tx.PrivateKey, ws ...*servingWorker) *served {
	t := n.t
	t.Helper()
	var ids []uint64
	for _, sw := range ws {
		ids = append(ids, sw.w.ID())
	}
	out := &served{pool: n.createPool(poolMsg(uint32(len(ws)), uint32(len(ws)), 60, 2), irisSplit(func(i int) bool { return i%5 == 0 }), n.checked(ids...))}
	var fund []proto.Message
	for _, k := range append(slices.Clone(contributors), others...) {
		fund = append(fund, &bank.MsgSend{From: n.alice.Address().String(), To: k.Address().String(), Amount: "50000000"})
	}
	for len(fund) > 0 { // a tx carries at most 64 messages
		k := min(len(fund), 60)
		n.send(n.alice, fund[:k]...)
		fund = fund[k:]
	}
	for i, k := range contributors {
		c := n.contributeAs(k, out.pool.Id, irisSplit(func(j int) bool { return j%5 != 0 && j%len(contributors) == i }))
		out.scores = append(out.scores, uint64(c.ScorePpm))
		out.tokens = append(out.tokens, c.Token)
	}
	out.model = n.trainModel(out.pool.Id)
	svc, err := n.registerService(apps, out.model.Class, ids)
	if err != nil {
		t.Fatal(err)
	}
	out.service = svc
	waitServing(t, out.service, ws...)
	return out
}

// trainModel trains a logistic model on a pool for the trainers iDAO.
func (n *network) trainModel(pool uint64) *flow.Model {
	t := n.t
	t.Helper()
	res := n.send(n.alice, &flow.MsgTrain{
		From: n.alice.Address().String(), Idao: trainers, Pool: pool, Name: "iris logistic", Kind: "logistic",
		Fee: "400000", DataSplitBps: dataSplit,
	})
	m := n.waitModel(newID(t, res, "flow_train", "model"), 60*time.Second)
	if m.Status != flow.ModelTrained || m.Records == 0 {
		t.Fatalf("model: %+v", m)
	}
	return m
}

// registerService registers a service on a model class for an iDAO
// alice administers.
func (n *network) registerService(idaoID, class uint64, workers []uint64) (uint64, error) {
	res, err := n.c.SignAndBroadcast(n.ctx, n.alice, []proto.Message{&service.MsgRegisterService{
		From: n.alice.Address().String(), Idao: idaoID, Name: "iris classifier", ModelClass: class,
		PricePerCall: fmt.Sprint(price), Split: &service.Split{OwnerBps: ownerBps, ProviderBps: providerBps, ModelBps: modelBps},
		Workers: workers, Policy: "tee",
	}}, client.TxOptions{})
	if err != nil {
		return 0, err
	}
	return res.NewID("service_register", "service")
}

// TestRestrictedDataIsServedOnlyUnderItsTerms checks the terms of the
// classes a service uses, up the model's lineage: a model trained on a
// restricted pool can be served by the pool's own iDAO or by a service the
// pool's terms name, and by no other iDAO.
func TestRestrictedDataIsServedOnlyUnderItsTerms(t *testing.T) {
	n := newNetworkWith(t, netOptions{operators: 1, more: []string{"trainers", "apps"}, invariants: true, blockTime: nodetest.BlockTime, withdrawDelay: 5})
	sw := n.addServingWorker(0, 10_000_000, 0)
	ids := []uint64{sw.w.ID()}
	contributor := key(t)
	n.send(n.alice, &bank.MsgSend{From: n.alice.Address().String(), To: contributor.Address().String(), Amount: "50000000"})
	restrictedPool := func(allowed ...string) *flow.Pool {
		msg := poolMsg(1, 1, 60, 2)
		msg.Terms.Restricted, msg.Terms.AllowedServices = true, allowed
		p := n.createPool(msg, irisSplit(func(i int) bool { return i%5 == 0 }), n.checked(ids...))
		n.contributeAs(contributor, p.Id, irisSplit(func(i int) bool { return i%5 == 1 }))
		return p
	}

	p1 := restrictedPool()
	m1 := n.trainModel(p1.Id)
	_, err := n.registerService(apps, m1.Class, ids)
	if !errors.Is(err, service.ErrPolicy) || !strings.Contains(err.Error(), fmt.Sprintf("class %d", p1.Class)) || !strings.Contains(err.Error(), "is restricted to iDAO 1") {
		t.Fatalf("another iDAO serving a model of restricted data: %v", err)
	}
	// The pool's own iDAO may serve it.
	first, err := n.registerService(1, m1.Class, ids)
	if err != nil {
		t.Fatalf("the data's own iDAO serving it: %v", err)
	}
	// A pool whose terms allow the next service by address.
	p2 := restrictedPool(service.Address(first + 1).String())
	m2 := n.trainModel(p2.Id)
	if _, err := n.registerService(apps, m1.Class, ids); !errors.Is(err, service.ErrPolicy) {
		t.Fatalf("the first model again: %v", err)
	}
	// A refused registration changes nothing, its id included: the next
	// service is first+1, the one p2's terms allow.
	if second, err := n.registerService(apps, m2.Class, ids); err != nil || second != first+1 {
		t.Fatalf("a service the pool's terms allow: id %d, %v", second, err)
	}

	// An escrow withdrawn: paid out withdraw_delay_blocks (5) later.
	n.send(contributor, &service.MsgDeposit{From: contributor.Address().String(), Service: first, Amount: "5000"})
	if _, err := n.c.SignAndBroadcast(n.ctx, contributor, []proto.Message{&service.MsgWithdraw{From: contributor.Address().String(), Service: first, Amount: "5001"}}, client.TxOptions{}); !errors.Is(err, service.ErrInsufficient) {
		t.Fatalf("withdrawing more than the escrow: %v", err)
	}
	before, _, _ := n.c.Balance(n.ctx, contributor.Address(), 0)
	res := n.send(contributor, &service.MsgWithdraw{From: contributor.Address().String(), Service: first, Amount: "3000"})
	e, _ := n.c.Escrow(n.ctx, contributor.Address(), first, 0)
	if e.Unlocking != "3000" || e.UnlockHeight != res.Height+5 || e.Balance != "5000" {
		t.Fatalf("escrow while withdrawing: %v", e)
	}
	if err := n.node.WaitForHeight(n.ctx, e.UnlockHeight+1); err != nil {
		t.Fatal(err)
	}
	after, _, _ := n.c.Balance(n.ctx, contributor.Address(), 0)
	if e, _ = n.c.Escrow(n.ctx, contributor.Address(), first, 0); e.Balance != "2000" || e.Unlocking != "0" || after-before != 3000-fee(res) {
		t.Fatalf("escrow after the unlock: %v; the balance moved by %d", e, after-before)
	}
}

// fee is what a tx paid.
func fee(res *client.TxResult) uint64 {
	v, _ := tx.ParseBaseUnits(res.Fee)
	return v
}

func (n *network) nonceBase(k *tx.PrivateKey, worker uint64) uint64 {
	n.t.Helper()
	ns, err := n.c.Nonces(n.ctx, k.Address(), worker, 0)
	if err != nil {
		n.t.Fatal(err)
	}
	return ns.Base
}
