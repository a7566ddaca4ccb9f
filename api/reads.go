package api

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/lazchain/lazchain/client"
	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/bank"
)

// maxBalancesLimit is the most balances a page holds (the bank query's cap).
const maxBalancesLimit = 1000

// readContext bounds one read by the configured timeout.
func (s *server) readContext(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), s.requestTimeout)
}

func (s *server) status(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.readContext(r)
	defer cancel()
	st, err := s.c.Status(ctx)
	if err != nil {
		s.nodeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// balanceResponse is one account's balance at a height.
type balanceResponse struct {
	Address tx.Address `json:"address"`
	Amount  string     `json:"amount"`
	Height  int64      `json:"height"`
}

func (s *server) balance(w http.ResponseWriter, r *http.Request) {
	addr, e := addressParam(r.PathValue("address"), "the path")
	if e != nil {
		writeError(w, http.StatusBadRequest, e)
		return
	}
	height, e := heightParam(r)
	if e != nil {
		writeError(w, http.StatusBadRequest, e)
		return
	}
	ctx, cancel := s.readContext(r)
	defer cancel()
	amount, at, err := s.c.Balance(ctx, addr, height)
	if err != nil {
		s.nodeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, balanceResponse{Address: addr, Amount: tx.FormatBaseUnits(amount), Height: at})
}

func (s *server) balances(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	after := ""
	if v := q.Get("after"); v != "" {
		a, e := addressParam(v, "?after=")
		if e != nil {
			writeError(w, http.StatusBadRequest, e)
			return
		}
		after = a.String()
	}
	limit := 100
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxBalancesLimit {
			writeError(w, http.StatusBadRequest, badRequest("limit %q: want a whole number from 1 to %d", v, maxBalancesLimit))
			return
		}
		limit = n
	}
	height, e := heightParam(r)
	if e != nil {
		writeError(w, http.StatusBadRequest, e)
		return
	}
	ctx, cancel := s.readContext(r)
	defer cancel()
	page, err := s.c.Balances(ctx, after, limit, height)
	if err != nil {
		s.nodeError(w, err)
		return
	}
	if page.Balances == nil {
		page.Balances = []bank.Balance{}
	}
	writeJSON(w, http.StatusOK, page)
}

// supplyResponse is the supply and the fees collected at a height.
type supplyResponse struct {
	*bank.SupplyResult
	Height int64 `json:"height"`
}

func (s *server) supply(w http.ResponseWriter, r *http.Request) {
	height, e := heightParam(r)
	if e != nil {
		writeError(w, http.StatusBadRequest, e)
		return
	}
	ctx, cancel := s.readContext(r)
	defer cancel()
	sup, at, err := s.c.Supply(ctx, height)
	if err != nil {
		s.nodeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, supplyResponse{SupplyResult: sup, Height: at})
}

// accountResponse is an account's committed nonce at a height and the nonce
// its next tx should carry.
type accountResponse struct {
	Address      tx.Address `json:"address"`
	Nonce        uint64     `json:"nonce"`
	PendingNonce uint64     `json:"pending_nonce"`
	Height       int64      `json:"height"`
}

func (s *server) account(w http.ResponseWriter, r *http.Request) {
	addr, e := addressParam(r.PathValue("address"), "the path")
	if e != nil {
		writeError(w, http.StatusBadRequest, e)
		return
	}
	height, e := heightParam(r)
	if e != nil {
		writeError(w, http.StatusBadRequest, e)
		return
	}
	ctx, cancel := s.readContext(r)
	defer cancel()
	acct, at, err := s.c.Account(ctx, addr, height)
	if err != nil {
		s.nodeError(w, err)
		return
	}
	pending, err := s.c.PendingNonce(ctx, addr)
	if err != nil {
		s.nodeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, accountResponse{Address: addr, Nonce: acct.Nonce, PendingNonce: pending, Height: at})
}

func (s *server) params(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.readContext(r)
	defer cancel()
	p, err := s.c.Params(ctx)
	if err != nil {
		s.nodeError(w, err)
		return
	}
	// The proto3 JSON form, as genesis and the CLI write it.
	bz, err := protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true}.Marshal(p)
	if err != nil {
		writeError(w, http.StatusInternalServerError, &apiError{Message: "the API could not encode the params: " + err.Error()})
		return
	}
	// protojson varies its spacing on purpose; the API's answers are compact.
	writeJSON(w, http.StatusOK, json.RawMessage(bz))
}

// txHashParam reads a tx hash: 64 hex digits, optionally 0x-prefixed.
func txHashParam(s string) (string, *apiError) {
	h := strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	if b, err := hex.DecodeString(h); err != nil || len(b) != 32 {
		return "", badRequest("tx hash %q: want 64 hex digits (the SHA-256 of the tx bytes)", s)
	}
	return strings.ToUpper(h), nil
}

func (s *server) tx(w http.ResponseWriter, r *http.Request) {
	hash, e := txHashParam(r.PathValue("hash"))
	if e != nil {
		writeError(w, http.StatusBadRequest, e)
		return
	}
	ctx, cancel := s.readContext(r)
	defer cancel()
	res, err := s.c.Tx(ctx, hash)
	if errors.Is(err, client.ErrTxNotFound) {
		writeError(w, http.StatusNotFound, &apiError{Message: fmt.Sprintf(
			"no committed block holds tx %s: a tx shows up here once its block is committed; a tx refused by the node never does", hash)})
		return
	}
	if err != nil {
		s.nodeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (s *server) latestBlock(w http.ResponseWriter, r *http.Request) {
	s.writeBlock(w, r, 0)
}

func (s *server) block(w http.ResponseWriter, r *http.Request) {
	v := r.PathValue("height")
	h, err := strconv.ParseInt(v, 10, 64)
	if err != nil || h <= 0 {
		writeError(w, http.StatusBadRequest, badRequest("block height %q: want a whole number ≥ 1, or \"latest\"", v))
		return
	}
	s.writeBlock(w, r, h)
}

func (s *server) writeBlock(w http.ResponseWriter, r *http.Request, height int64) {
	ctx, cancel := s.readContext(r)
	defer cancel()
	b, err := s.c.Block(ctx, height)
	if err == nil {
		writeJSON(w, http.StatusOK, b)
		return
	}
	// CometBFT says "no such block" only in prose; the status says which
	// heights exist.
	if height > 0 {
		if st, serr := s.c.Status(ctx); serr == nil {
			switch {
			case height > st.LatestHeight:
				writeError(w, http.StatusNotFound, badRequest("block %d is not committed yet: the latest block is %d", height, st.LatestHeight))
				return
			case height < st.EarliestHeight:
				writeError(w, http.StatusNotFound, badRequest("block %d was pruned: the earliest block this node keeps is %d", height, st.EarliestHeight))
				return
			}
		}
	}
	s.nodeError(w, err)
}

// stateResponse is one state key's value, with its proof when one was asked
// for.
type stateResponse struct {
	Path string `json:"path"`
	Key  string `json:"key"`
	Kind string `json:"kind"`
	// Value is hex, or null when the key is absent.
	Value     *string `json:"value"`
	ValueText string  `json:"value_text"`
	Exists    bool    `json:"exists"`
	Amount    *string `json:"amount,omitempty"`
	Nonce     *uint64 `json:"nonce,omitempty"`
	Height    int64   `json:"height"`
	Verified  bool    `json:"verified"`

	HeaderHeight int64  `json:"header_height,omitempty"`
	AppHash      string `json:"app_hash,omitempty"`
	SignedPower  int64  `json:"signed_power,omitempty"`
	TotalPower   int64  `json:"total_power,omitempty"`
	Proof        string `json:"proof,omitempty"`
}

func (s *server) state(w http.ResponseWriter, r *http.Request) {
	path := r.PathValue("key")
	key, err := client.ParseStateKey(path)
	if err != nil {
		writeError(w, http.StatusBadRequest, badRequest("%v", err))
		return
	}
	height, e := heightParam(r)
	if e != nil {
		writeError(w, http.StatusBadRequest, e)
		return
	}
	prove := false
	if v := r.URL.Query().Get("prove"); v != "" {
		if prove, err = strconv.ParseBool(v); err != nil {
			writeError(w, http.StatusBadRequest, badRequest("prove %q: want true or false", v))
			return
		}
	}
	ctx, cancel := s.readContext(r)
	defer cancel()
	out := stateResponse{Path: path, Key: hex.EncodeToString(key.Key), Kind: key.Kind}
	var value []byte
	if prove {
		pv, err := s.c.Prove(ctx, key.Key, height)
		if err != nil {
			s.nodeError(w, err)
			return
		}
		value, out.Height, out.Verified = pv.Value, pv.Height, true
		out.HeaderHeight, out.AppHash = pv.HeaderHeight, strings.ToUpper(hex.EncodeToString(pv.AppHash))
		out.SignedPower, out.TotalPower, out.Proof = pv.SignedPower, pv.TotalPower, hex.EncodeToString(pv.Proof)
	} else {
		if value, out.Height, err = s.c.StateValue(ctx, key.Key, height); err != nil {
			s.nodeError(w, err)
			return
		}
	}
	out.ValueText, out.Exists = key.DescribeValue(value), value != nil
	if value != nil {
		v := hex.EncodeToString(value)
		out.Value = &v
		if len(value) == 8 {
			n := binary.BigEndian.Uint64(value)
			switch key.Kind {
			case "amount":
				a := tx.FormatBaseUnits(n)
				out.Amount = &a
			case "nonce":
				out.Nonce = &n
			}
		}
	}
	writeJSON(w, http.StatusOK, out)
}
