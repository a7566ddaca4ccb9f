package worker

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/lazchain/lazchain/client"
	"github.com/lazchain/lazchain/x/service"
)

func encodeB64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// SettleResult is what one Settle did.
type SettleResult struct {
	Receipts int
	Settled  int
	Rejected []service.Rejected
	Height   int64
	GasUsed  int64
}

// Settle sends one Settle tx with up to max unsettled receipts from the
// journal (max 0: the chain's max_receipts), oldest first. Receipts the
// chain settled or rejected are marked done in the journal; if the tx
// fails, they stay and are sent again later. A worker killed after the tx
// landed but before marking them sends them again after restart, and the
// chain rejects them as replayed: each receipt settles once.
func (w *Worker) Settle(ctx context.Context, max int) (*SettleResult, error) {
	w.srv.mu.Lock()
	j, p := w.srv.journal, w.srv.params
	w.srv.mu.Unlock()
	if j == nil {
		return nil, fmt.Errorf("worker %d has no receipts journal open", w.id)
	}
	limit := int(p.GetMaxReceipts())
	if max > 0 && (limit == 0 || max < limit) {
		limit = max
	}
	if w.chainID == "" {
		var err error
		if w.chainID, err = w.cfg.Client.ChainID(ctx); err != nil {
			return nil, err
		}
	}
	entries := j.Pending(limit)
	if len(entries) == 0 {
		return &SettleResult{}, nil
	}
	// One Settle carries one worker's receipts: this worker's, or those an
	// earlier worker of the operator (an earlier process, whose enclave
	// keys are gone) left in the journal.
	msg := &service.MsgSettle{From: w.cfg.Operator.Address().String()}
	var seqs []uint64
	for _, e := range entries {
		r := &service.Receipt{}
		if err := json.Unmarshal(e.Data, r); err != nil {
			return nil, fmt.Errorf("receipts journal entry %d: %w", e.Seq, err)
		}
		if msg.Worker == 0 {
			msg.Worker = r.Worker
		}
		if r.Worker == msg.Worker {
			msg.Receipts = append(msg.Receipts, r)
			seqs = append(seqs, e.Seq)
		}
	}
	if msg.Worker == w.id {
		// This enclave vouches for the batch with one signature; the
		// receipts' own are left out of the tx.
		sig, err := w.cfg.Enclave.SignBatch(w.chainID, w.id, msg.Receipts)
		if err != nil {
			return nil, err
		}
		msg.BatchSignature = sig
		for _, r := range msg.Receipts { // decoded for this tx alone
			r.EnclaveSignature = ""
		}
	}
	res, err := w.send(ctx, []proto.Message{msg})
	if err != nil {
		return nil, fmt.Errorf("settling %d receipts of worker %d: %w", len(msg.Receipts), msg.Worker, err)
	}
	out := &SettleResult{Receipts: len(msg.Receipts), Height: res.Height, GasUsed: res.GasUsed}
	for _, ev := range res.Events {
		if ev.Type != "service_receipt_rejected" {
			continue
		}
		rj := service.Rejected{Index: -1}
		for _, a := range ev.Attributes {
			switch a.Key {
			case "index":
				rj.Index, _ = strconv.Atoi(a.Value)
			case "reason":
				rj.Reason = a.Value
			case "message":
				rj.Message = a.Value
			}
		}
		out.Rejected = append(out.Rejected, rj)
	}
	out.Settled = len(msg.Receipts) - len(out.Rejected)
	if err := j.Done(seqs...); err != nil {
		return out, fmt.Errorf("marking %d settled receipts done: %w", len(seqs), err)
	}
	w.cfg.Enclave.ForgetReceipts(msg.Receipts)
	w.srv.mu.Lock()
	for _, r := range msg.Receipts {
		w.srv.release(r, mustPrice(r))
	}
	w.srv.invalidate()
	w.srv.mu.Unlock()
	for _, rj := range out.Rejected {
		w.log.Warn("receipt rejected at settlement", "worker", w.id, "index", rj.Index, "reason", rj.Reason, "message", rj.Message)
	}
	w.log.Info("receipts settled", "worker", w.id, "receipts", out.Receipts, "settled", out.Settled,
		"rejected", len(out.Rejected), "height", out.Height)
	return out, nil
}

// Unsettled is the number of receipts waiting in the journal.
func (w *Worker) Unsettled() int {
	w.srv.mu.Lock()
	defer w.srv.mu.Unlock()
	if w.srv.journal == nil {
		return 0
	}
	return w.srv.journal.Len()
}

// send signs msgs into one tx from the operator and waits for its block:
// through the node's API as raw bytes when Config.API is set, else through
// CometBFT's RPC. One tx at a time, so each takes the next nonce.
func (w *Worker) send(ctx context.Context, msgs []proto.Message) (*client.TxResult, error) {
	w.txMu.Lock()
	defer w.txMu.Unlock()
	if w.cfg.API == "" {
		return w.cfg.Client.SignAndBroadcast(ctx, w.cfg.Operator, msgs, client.TxOptions{})
	}
	raw, err := w.cfg.Client.BuildTx(ctx, w.cfg.Operator, msgs, client.TxOptions{})
	if err != nil {
		return nil, err
	}
	url := strings.TrimRight(w.cfg.API, "/") + "/v1/txs?mode=commit&timeout=60s"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("posting the tx to %s: %w", w.cfg.API, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, err
	}
	var out struct {
		Error string `json:"error"`
		*client.TxResult
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, fmt.Errorf("POST /v1/txs: %s: %.200s", resp.Status, body)
	}
	if resp.StatusCode != http.StatusOK || out.TxResult == nil || out.Code != 0 {
		return nil, fmt.Errorf("POST /v1/txs: %s: %s", resp.Status, cmp.Or(out.Error, string(body)))
	}
	return out.TxResult, nil
}
