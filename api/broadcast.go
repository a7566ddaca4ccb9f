package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cometbft/cometbft/mempool"

	"github.com/lazchain/lazchain/client"
)

// Broadcast modes of POST /v1/txs.
const (
	modeSync   = "sync"
	modeAsync  = "async"
	modeCommit = "commit"
)

// broadcastRequest is the JSON form of POST /v1/txs.
type broadcastRequest struct {
	// Tx is the signed tx bytes, standard base64.
	Tx   string `json:"tx"`
	Mode string `json:"mode"`
}

// broadcastResponse answers sync and async broadcasts. Code is absent in
// async mode: the node has not checked the tx yet.
type broadcastResponse struct {
	Hash string  `json:"hash"`
	Code *uint32 `json:"code,omitempty"`
}

// refusedResponse answers a tx the node refused (sync, commit) or that
// failed in its block (commit; then it also carries the block's result).
type refusedResponse struct {
	Error     string `json:"error"`
	Hash      string `json:"hash"`
	Codespace string `json:"codespace"`
	Code      uint32 `json:"code"`
	Log       string `json:"log"`
}

// failedInBlockResponse is a committed tx whose execution failed: its
// result, with the error sentence every error response has.
type failedInBlockResponse struct {
	Error string `json:"error"`
	*client.TxResult
}

func (s *server) broadcast(w http.ResponseWriter, r *http.Request) {
	raw, mode, e, status := s.readTx(w, r)
	if e != nil {
		writeError(w, status, e)
		return
	}
	timeout := DefaultCommitTimeout
	if v := r.URL.Query().Get("timeout"); v != "" {
		d, err := parseTimeout(v)
		if err != nil {
			writeError(w, http.StatusBadRequest, badRequest("timeout %q: %v", v, err))
			return
		}
		timeout = d
	}

	if mode == modeAsync {
		ctx, cancel := s.readContext(r)
		defer cancel()
		hash, err := s.c.BroadcastAsync(ctx, raw)
		if err != nil {
			s.broadcastError(w, hash, err)
			return
		}
		writeJSON(w, http.StatusAccepted, broadcastResponse{Hash: hash})
		return
	}

	ctx, cancel := s.readContext(r)
	hash, err := s.c.Broadcast(ctx, raw)
	cancel()
	if err != nil {
		s.broadcastError(w, hash, err)
		return
	}
	if mode == modeSync {
		ok := uint32(0)
		writeJSON(w, http.StatusOK, broadcastResponse{Hash: hash, Code: &ok})
		return
	}

	wctx, wcancel := context.WithTimeout(r.Context(), timeout)
	defer wcancel()
	res, err := s.c.WaitTx(wctx, hash)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			writeJSON(w, http.StatusGatewayTimeout, struct {
				Error string `json:"error"`
				Hash  string `json:"hash"`
			}{
				Error: fmt.Sprintf("tx %s passed CheckTx but was not in a block within %s; it may still be included: look it up at GET /v1/txs/%s", hash, timeout, hash),
				Hash:  hash,
			})
			return
		}
		s.nodeError(w, err)
		return
	}
	if te := res.Err(); te != nil {
		writeJSON(w, http.StatusUnprocessableEntity, failedInBlockResponse{Error: te.Error(), TxResult: res})
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// readTx reads the signed tx bytes and the mode from the request body,
// bounded by the configured size.
func (s *server) readTx(w http.ResponseWriter, r *http.Request) (raw []byte, mode string, e *apiError, status int) {
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if ct == "" || err != nil || (mt != "application/octet-stream" && mt != "application/json") {
		return nil, "", &apiError{Message: fmt.Sprintf("Content-Type %q: send application/octet-stream (the raw signed tx bytes) "+
			`or application/json ({"tx": "<base64 tx bytes>", "mode": "sync|async|commit"})`, ct)}, http.StatusUnsupportedMediaType
	}
	if r.ContentLength > s.maxBody {
		return nil, "", tooLarge(r.ContentLength, s.maxBody), http.StatusRequestEntityTooLarge
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.maxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, "", tooLarge(-1, s.maxBody), http.StatusRequestEntityTooLarge
		}
		return nil, "", badRequest("reading the request body: %v", err), http.StatusBadRequest
	}
	mode = r.URL.Query().Get("mode")
	if mt == "application/octet-stream" {
		raw = body
	} else {
		var req broadcastRequest
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			return nil, "", badRequest(`JSON body: %v; want {"tx": "<base64 tx bytes>", "mode": "sync|async|commit"}`, err), http.StatusBadRequest
		}
		if dec.More() {
			return nil, "", badRequest("JSON body: more than one JSON value; send one object"), http.StatusBadRequest
		}
		if req.Tx == "" {
			return nil, "", badRequest(`JSON body: "tx" is missing or empty; put the signed tx bytes there in base64`), http.StatusBadRequest
		}
		if raw, err = base64.StdEncoding.DecodeString(req.Tx); err != nil {
			return nil, "", badRequest(`JSON body: "tx" is not standard base64: %v`, err), http.StatusBadRequest
		}
		if req.Mode != "" {
			mode = req.Mode
		}
	}
	if len(raw) == 0 {
		return nil, "", badRequest("the request has no tx bytes: send the signed tx"), http.StatusBadRequest
	}
	switch mode {
	case "":
		mode = modeSync
	case modeSync, modeAsync, modeCommit:
	default:
		return nil, "", badRequest("mode %q: want sync (wait for CheckTx), async (do not wait) or commit (wait for the block)", mode), http.StatusBadRequest
	}
	return raw, mode, nil, 0
}

func tooLarge(got, limit int64) *apiError {
	if got >= 0 {
		return &apiError{Message: fmt.Sprintf("request body is %d bytes; this API accepts at most %d", got, limit)}
	}
	return &apiError{Message: fmt.Sprintf("request body is larger than the %d bytes this API accepts", limit)}
}

// parseTimeout reads ?timeout=: a Go duration ("45s", "2m") or whole seconds.
func parseTimeout(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil {
		n, nerr := strconv.ParseUint(v, 10, 32)
		if nerr != nil {
			return 0, fmt.Errorf("want a duration such as 45s or 2m, or whole seconds")
		}
		d = time.Duration(n) * time.Second
	}
	if d <= 0 || d > MaxCommitTimeout {
		return 0, fmt.Errorf("want more than 0 and at most %s", MaxCommitTimeout)
	}
	return d, nil
}

// broadcastError answers a failed broadcast: the app's refusal with its code
// (422), a tx the node already has (409), a full mempool (503), or the node's
// failure.
func (s *server) broadcastError(w http.ResponseWriter, hash string, err error) {
	var te *client.TxError
	var full mempool.ErrMempoolIsFull
	var big mempool.ErrTxTooLarge
	switch {
	case errors.As(err, &te):
		writeJSON(w, http.StatusUnprocessableEntity, refusedResponse{
			Error: te.Error(), Hash: hash, Codespace: te.Codespace, Code: te.Code, Log: te.Log,
		})
	case errors.Is(err, client.ErrAlreadySeen), errors.Is(err, mempool.ErrTxInMempool),
		strings.Contains(err.Error(), mempool.ErrTxInMempool.Error()):
		writeJSON(w, http.StatusConflict, struct {
			Error string `json:"error"`
			Hash  string `json:"hash"`
		}{
			Error: fmt.Sprintf("the node already has tx %s (in its mempool or recently seen): look it up at GET /v1/txs/%s rather than sending it again", hash, hash),
			Hash:  hash,
		})
	case errors.As(err, &full):
		writeError(w, http.StatusServiceUnavailable, &apiError{Message: "the node's mempool is full: retry in a few blocks (" + full.Error() + ")"})
	case errors.As(err, &big):
		writeError(w, http.StatusRequestEntityTooLarge, &apiError{Message: fmt.Sprintf("the tx is %d bytes; the node's mempool takes at most %d", big.Actual, big.Max)})
	default:
		s.nodeError(w, err)
	}
}
