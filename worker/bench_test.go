package worker_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/lazchain/lazchain/client"
	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/service"
)

// Benchmarks of the service path. Each sets up a network (pool, three
// contributions, a trained model, a service), which takes several
// seconds, so run them with a fixed count:
//
//	go test ./worker -run X -bench InferCalls -benchtime 20000x
//	go test ./worker -run X -bench Settle -benchtime 40000x

// benchBlockTime matches lazchain bench transfers' default.
const benchBlockTime = 200 * time.Millisecond

// benchService is a network serving one model through one worker, with
// consumers funded and holding escrows for the service.
func benchService(b *testing.B, consumers int, settleEvery time.Duration) (*network, *servingWorker, uint64, []*tx.PrivateKey) {
	b.Helper()
	n := newNetworkWith(b, netOptions{operators: 1, more: []string{"trainers", "apps"}, blockTime: benchBlockTime})
	n.log = slog.New(slog.DiscardHandler)
	n.settleEvery = settleEvery
	sw := n.addServingWorker(0, 10_000_000, 0)
	cs := make([]*tx.PrivateKey, consumers)
	for i := range cs {
		cs[i] = key(b)
	}
	sv := n.serveModel([]*tx.PrivateKey{key(b), key(b), key(b)}, cs, sw)
	var wg sync.WaitGroup
	for _, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n.send(c, &service.MsgDeposit{From: c.Address().String(), Service: sv.service, Amount: "40000000"})
		}()
	}
	wg.Wait()
	return n, sw, sv.service, cs
}

// BenchmarkInferCalls measures paid calls served by one worker over HTTP:
// voucher checks, the model in the enclave, the enclave-signed receipt,
// its journal entry (fsync, group commit) and the answer, by the worker
// alone: its settlement waits until after the timed window (the
// validator runs in the same process and would verify the receipts on the
// same two cores). Vouchers are signed before the timed window.
func BenchmarkInferCalls(b *testing.B) {
	const consumers, clients = 32, 16
	n, sw, svc, cs := benchService(b, consumers, time.Hour)
	input := []byte(`{"features":[6.1,2.8,4.7,1.2]}`)
	headers := make([]string, b.N)
	for i := range b.N {
		c := cs[i%consumers]
		v := &service.Voucher{ChainId: chainID, Service: svc, RequestHash: service.RequestHash(input), MaxPrice: fmt.Sprint(price),
			Nonce: uint64(i/consumers + 1), Expiry: time.Now().Add(time.Hour).Unix(), Consumer: c.Address().String(), Worker: sw.w.ID()}
		sig, err := service.SignVoucher(v, c)
		if err != nil {
			b.Fatal(err)
		}
		if headers[i], err = client.EncodePayment(&client.Payment{X402Version: 1, Scheme: client.PaymentScheme, Network: chainID,
			Payload: client.PaymentPayload{Voucher: v, Signature: sig}}); err != nil {
			b.Fatal(err)
		}
	}
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	url := sw.srv.URL + client.InferPath(svc)
	var next, failed atomic.Int64
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(input))
				req.Header.Set(client.PaymentHeader, headers[i])
				resp, err := hc.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				io.Copy(io.Discard, resp.Body) // read to the end, so the connection is reused
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if f := failed.Load(); f > 0 {
		b.Fatalf("%d of %d calls failed", f, b.N)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "calls/s")
	_ = n
}

// BenchmarkSettle measures receipts settled through consensus (one
// validator, 200 ms blocks, txs broadcast over the node's HTTP RPC like
// lazchain bench transfers) in Settle txs of each batch size: receipts
// per second from the first broadcast to the last commit, gas and tx
// bytes per receipt. The receipts and their txs are made before the timed
// window.
func BenchmarkSettle(b *testing.B) {
	for _, batch := range []int{1, 10, 100, 1000, 4000} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) { benchSettle(b, batch, false) })
	}
}

// BenchmarkSettleAPI is BenchmarkSettle's largest batch with the Settle
// txs posted as raw bytes to the node's HTTP API (POST /v1/txs?mode=sync)
// instead of base64 inside CometBFT's JSON-RPC, which costs a few MiB of
// JSON per tx.
func BenchmarkSettleAPI(b *testing.B) {
	b.Run("batch=4000", func(b *testing.B) { benchSettle(b, 4000, true) })
}

// postTx posts a signed tx to the node's API and waits for its CheckTx.
func postTx(ctx context.Context, apiURL string, raw []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, apiURL+"/v1/txs?mode=sync", bytes.NewReader(raw))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST /v1/txs: %s: %s", resp.Status, body)
	}
	return nil
}

func benchSettle(b *testing.B, batch int, viaAPI bool) {
	const consumers = 64
	n, sw, svc, cs := benchService(b, consumers, time.Hour)
	sw.stop(b) // the benchmark settles, not the worker's loop
	s := n.service(svc)
	rpc, err := client.Dial(n.node.RPCURL())
	if err != nil {
		b.Fatal(err)
	}
	receipts := make([]*service.Receipt, b.N)
	for i := range b.N {
		c := cs[i%consumers]
		v := &service.Voucher{ChainId: chainID, Service: svc, RequestHash: service.RequestHash(fmt.Appendf(nil, `{"i":%d}`, i)),
			MaxPrice: s.PricePerCall, Nonce: uint64(i/consumers + 1), Expiry: time.Now().Add(time.Hour).Unix(), Consumer: c.Address().String(),
			Worker: sw.w.ID()}
		sig, err := service.SignVoucher(v, c)
		if err != nil {
			b.Fatal(err)
		}
		r := &service.Receipt{Voucher: v, ConsumerSignature: sig, Worker: sw.w.ID(), OutputHash: service.RequestHash([]byte(`{"label":1}`)),
			ModelCommitment: s.ModelCommitment, Price: s.PricePerCall}
		sw.e.SignReceipt(r)
		receipts[i] = r
	}
	op := n.ops[0]
	nonce, err := rpc.PendingNonce(n.ctx, op.Address())
	if err != nil {
		b.Fatal(err)
	}
	var txs [][]byte
	var gas uint64
	var bytes int
	for lo := 0; lo < b.N; lo += batch {
		rs := receipts[lo:min(lo+batch, b.N)]
		sig, err := sw.e.SignBatch(chainID, sw.w.ID(), rs)
		if err != nil {
			b.Fatal(err)
		}
		sent := make([]*service.Receipt, len(rs))
		for i, r := range rs {
			sent[i] = proto.Clone(r).(*service.Receipt)
			sent[i].EnclaveSignature = ""
		}
		msg := &service.MsgSettle{From: op.Address().String(), Worker: sw.w.ID(), Receipts: sent, BatchSignature: sig}
		// The first (full) batch's gas is simulated; the others reuse it
		// (receipt gas is flat, a last shorter batch uses less).
		raw, err := rpc.BuildTx(n.ctx, op, []proto.Message{msg}, client.TxOptions{Nonce: &nonce, GasLimit: gas})
		if err != nil {
			b.Fatal(err)
		}
		if gas == 0 {
			d, err := tx.Decode(raw)
			if err != nil {
				b.Fatal(err)
			}
			gas = d.Body.Fee.GasLimit
		}
		txs = append(txs, raw)
		bytes += len(txs[len(txs)-1])
		nonce++
	}
	b.ResetTimer()
	start := time.Now()
	hashes := make([]string, len(txs))
	for i, raw := range txs {
		if viaAPI {
			h := tx.Hash(raw)
			hashes[i] = strings.ToUpper(hex.EncodeToString(h[:]))
			err = postTx(n.ctx, n.node.APIURL(), raw)
		} else {
			hashes[i], err = rpc.Broadcast(n.ctx, raw)
		}
		if err != nil {
			b.Fatalf("broadcast %d: %v", i, err)
		}
	}
	// The settled count is read in-process (a small query) until all are
	// in; each tx's result is fetched after the timed window.
	deadline := time.Now().Add(10 * time.Minute)
	for n.service(svc).Totals.Calls < uint64(b.N) {
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d receipts settled after 10 minutes", n.service(svc).Totals.Calls, b.N)
		}
		time.Sleep(5 * time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	ctx, cancel := context.WithTimeout(n.ctx, time.Minute)
	defer cancel()
	var used int64
	for _, h := range hashes {
		res, err := rpc.WaitTx(ctx, h)
		if err != nil {
			b.Fatal(err)
		}
		used += res.GasUsed
	}
	if got := n.service(svc).Totals.Calls; got != uint64(b.N) {
		b.Fatalf("%d receipts settled, want %d", got, b.N)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "receipts/s")
	b.ReportMetric(float64(used)/float64(b.N), "gas/receipt")
	b.ReportMetric(float64(bytes)/float64(b.N), "bytes/receipt")
}
