package api

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
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

// readFunc answers one read with a value for a 200, or an error: an
// *apiError is the request's fault (400, or its own status), anything else
// came from the SDK and is classified by nodeError.
type readFunc func(ctx context.Context, r *http.Request) (any, error)

// read adapts a readFunc into a handler, bounding it by the read timeout.
func (s *server) read(fn readFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := s.readContext(r)
		defer cancel()
		v, err := fn(ctx, r)
		var e *apiError
		switch {
		case err == nil:
			writeJSON(w, http.StatusOK, v)
		case errors.As(err, &e):
			status := e.status
			if status == 0 {
				status = http.StatusBadRequest
			}
			writeError(w, status, e)
		default:
			s.nodeError(w, err)
		}
	}
}

func (s *server) status(ctx context.Context, _ *http.Request) (any, error) {
	return s.c.Status(ctx)
}

// balanceResponse is one account's balance at a height.
type balanceResponse struct {
	Address tx.Address `json:"address"`
	Amount  string     `json:"amount"`
	Height  int64      `json:"height"`
}

func (s *server) balance(ctx context.Context, r *http.Request) (any, error) {
	addr, height, err := addressAndHeight(r)
	if err != nil {
		return nil, err
	}
	amount, at, err := s.c.Balance(ctx, addr, height)
	if err != nil {
		return nil, err
	}
	return balanceResponse{Address: addr, Amount: tx.FormatBaseUnits(amount), Height: at}, nil
}

// addressAndHeight reads the {address} path value and ?height=.
func addressAndHeight(r *http.Request) (tx.Address, int64, error) {
	addr, e := addressParam(r.PathValue("address"), "the path")
	if e != nil {
		return tx.Address{}, 0, e
	}
	height, e := heightParam(r)
	if e != nil {
		return tx.Address{}, 0, e
	}
	return addr, height, nil
}

func (s *server) balances(ctx context.Context, r *http.Request) (any, error) {
	q := r.URL.Query()
	after := ""
	if v := q.Get("after"); v != "" {
		a, e := addressParam(v, "?after=")
		if e != nil {
			return nil, e
		}
		after = a.String()
	}
	limit := 100
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxBalancesLimit {
			return nil, badRequest("limit %q: want a whole number from 1 to %d", v, maxBalancesLimit)
		}
		limit = n
	}
	height, e := heightParam(r)
	if e != nil {
		return nil, e
	}
	page, err := s.c.Balances(ctx, after, limit, height)
	if err != nil {
		return nil, err
	}
	if page.Balances == nil {
		page.Balances = []bank.Balance{}
	}
	return page, nil
}

// supplyResponse is the supply and the fees collected at a height.
type supplyResponse struct {
	*bank.SupplyResult
	Height int64 `json:"height"`
}

func (s *server) supply(ctx context.Context, r *http.Request) (any, error) {
	height, e := heightParam(r)
	if e != nil {
		return nil, e
	}
	sup, at, err := s.c.Supply(ctx, height)
	if err != nil {
		return nil, err
	}
	return supplyResponse{SupplyResult: sup, Height: at}, nil
}

// accountResponse is an account's committed nonce at a height and the nonce
// its next tx should carry.
type accountResponse struct {
	Address      tx.Address `json:"address"`
	Nonce        uint64     `json:"nonce"`
	PendingNonce uint64     `json:"pending_nonce"`
	Height       int64      `json:"height"`
}

func (s *server) account(ctx context.Context, r *http.Request) (any, error) {
	addr, height, err := addressAndHeight(r)
	if err != nil {
		return nil, err
	}
	acct, at, err := s.c.Account(ctx, addr, height)
	if err != nil {
		return nil, err
	}
	pending, err := s.c.PendingNonce(ctx, addr)
	if err != nil {
		return nil, err
	}
	return accountResponse{Address: addr, Nonce: acct.Nonce, PendingNonce: pending, Height: at}, nil
}

func (s *server) params(ctx context.Context, _ *http.Request) (any, error) {
	p, err := s.c.Params(ctx)
	if err != nil {
		return nil, err
	}
	// The proto3 JSON form, as genesis and the CLI write it.
	bz, err := protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true}.Marshal(p)
	if err != nil {
		return nil, &apiError{Message: "the API could not encode the params: " + err.Error(), status: http.StatusInternalServerError}
	}
	// protojson varies its spacing on purpose; the API's answers are compact.
	return json.RawMessage(bz), nil
}

// txHashParam reads a tx hash: 64 hex digits, optionally 0x-prefixed.
func txHashParam(s string) (string, *apiError) {
	h := strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	if b, err := hex.DecodeString(h); err != nil || len(b) != 32 {
		return "", badRequest("tx hash %q: want 64 hex digits (the SHA-256 of the tx bytes)", s)
	}
	return strings.ToUpper(h), nil
}

func (s *server) tx(ctx context.Context, r *http.Request) (any, error) {
	hash, e := txHashParam(r.PathValue("hash"))
	if e != nil {
		return nil, e
	}
	res, err := s.c.Tx(ctx, hash)
	if errors.Is(err, client.ErrTxNotFound) {
		return nil, notFound("no committed block holds tx %s: a tx shows up here once its block is committed; a tx refused by the node never does", hash)
	}
	if err != nil {
		return nil, err
	}
	return res, nil
}

func (s *server) latestBlock(ctx context.Context, _ *http.Request) (any, error) {
	return s.c.Block(ctx, 0)
}

func (s *server) block(ctx context.Context, r *http.Request) (any, error) {
	v := r.PathValue("height")
	height, err := strconv.ParseInt(v, 10, 64)
	if err != nil || height <= 0 {
		return nil, badRequest("block height %q: want a whole number ≥ 1, or \"latest\"", v)
	}
	b, err := s.c.Block(ctx, height)
	if err == nil {
		return b, nil
	}
	// CometBFT says "no such block" only in prose; the status says which
	// heights exist.
	if st, serr := s.c.Status(ctx); serr == nil {
		switch {
		case height > st.LatestHeight:
			return nil, notFound("block %d is not committed yet: the latest block is %d", height, st.LatestHeight)
		case height < st.EarliestHeight:
			return nil, notFound("block %d was pruned: the earliest block this node keeps is %d", height, st.EarliestHeight)
		}
	}
	return nil, err
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

func (s *server) state(ctx context.Context, r *http.Request) (any, error) {
	path := r.PathValue("key")
	key, err := client.ParseStateKey(path)
	if err != nil {
		return nil, badRequest("%v", err)
	}
	height, e := heightParam(r)
	if e != nil {
		return nil, e
	}
	prove := false
	if v := r.URL.Query().Get("prove"); v != "" {
		if prove, err = strconv.ParseBool(v); err != nil {
			return nil, badRequest("prove %q: want true or false", v)
		}
	}
	out := stateResponse{Path: path, Key: hex.EncodeToString(key.Key), Kind: key.Kind}
	var value []byte
	if prove {
		pv, err := s.c.Prove(ctx, key.Key, height)
		if err != nil {
			return nil, err
		}
		value, out.Height, out.Verified = pv.Value, pv.Height, true
		out.HeaderHeight, out.AppHash = pv.HeaderHeight, strings.ToUpper(hex.EncodeToString(pv.AppHash))
		out.SignedPower, out.TotalPower, out.Proof = pv.SignedPower, pv.TotalPower, hex.EncodeToString(pv.Proof)
	} else if value, out.Height, err = s.c.StateValue(ctx, key.Key, height); err != nil {
		return nil, err
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
	return out, nil
}
