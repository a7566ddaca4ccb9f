package client

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/mempool"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/lazchain/lazchain/app"
	"github.com/lazchain/lazchain/codes"
	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/auth"
	"github.com/lazchain/lazchain/x/bank"
)

// TxOptions tune how a tx is built. The zero value estimates gas by
// simulation, pays the minimum fee and signs with the pending nonce.
type TxOptions struct {
	// GasLimit, when non-zero, is used instead of a simulated estimate.
	GasLimit uint64
	// GasAdjustment multiplies the simulated gas, in percent (default 130).
	GasAdjustment uint64
	// Fee, when non-nil, is paid instead of the minimum for the gas limit.
	Fee *uint64
	// Nonce, when non-nil, is used instead of the pending nonce.
	Nonce *uint64
	Memo  string
	// TimeoutHeight, when non-zero, is the last height the tx may enter.
	TimeoutHeight int64
}

// TxError is a tx the node refused (CheckTx) or that failed in its block.
type TxError struct {
	Hash      string
	Height    int64 // 0 when refused before a block
	Codespace string
	Code      uint32
	Log       string
}

func (e *TxError) Error() string {
	if e.Hash == "" {
		return fmt.Sprintf("tx would fail (%s/%d): %s", e.Codespace, e.Code, e.Log)
	}
	where := "refused by the node"
	if e.Height > 0 {
		where = fmt.Sprintf("failed in block %d", e.Height)
	}
	return fmt.Sprintf("tx %s %s (%s/%d): %s", shortHash(e.Hash), where, e.Codespace, e.Code, e.Log)
}

// Is lets errors.Is match a TxError against a registered code.
func (e *TxError) Is(target error) bool {
	t, ok := target.(*codes.Error)
	return ok && t.Codespace == e.Codespace && t.Code == e.Code
}

func shortHash(h string) string {
	if len(h) > 12 {
		return h[:12] + "…"
	}
	return h
}

// BuildTx makes and signs a tx carrying msgs.
func (c *Client) BuildTx(ctx context.Context, signer tx.Signer, msgs []proto.Message, opts TxOptions) ([]byte, error) {
	chainID, err := c.ChainID(ctx)
	if err != nil {
		return nil, err
	}
	anys, err := tx.PackMsgs(msgs...)
	if err != nil {
		return nil, err
	}
	body := &tx.TxBody{Messages: anys, Memo: opts.Memo, TimeoutHeight: opts.TimeoutHeight}
	if opts.Nonce != nil {
		body.Nonce = *opts.Nonce
	} else if body.Nonce, err = c.PendingNonce(ctx, signer.Address()); err != nil {
		return nil, fmt.Errorf("nonce of %s: %w", signer.Address(), err)
	}
	gas := opts.GasLimit
	if gas == 0 {
		used, err := c.Simulate(ctx, chainID, signer.Address(), body)
		if err != nil {
			return nil, err
		}
		adj := opts.GasAdjustment
		if adj == 0 {
			adj = 130
		}
		gas = used * adj / 100
	}
	fee := uint64(0)
	if opts.Fee != nil {
		fee = *opts.Fee
	} else {
		params, err := c.Params(ctx)
		if err != nil {
			return nil, err
		}
		price, err := auth.ParseGasPrice(params.MinGasPrice)
		if err != nil {
			return nil, err
		}
		var ok bool
		if fee, ok = auth.RequiredFee(gas, price); !ok {
			return nil, fmt.Errorf("gas limit %d is too large to pay for", gas)
		}
	}
	body.Fee = &tx.Fee{Amount: tx.FormatBaseUnits(fee), GasLimit: gas}
	return tx.Sign(signer, chainID, body)
}

// Simulate runs the body (unsigned) against the node's mempool state and
// returns the gas it used. A failure is returned as a *TxError.
func (c *Client) Simulate(ctx context.Context, chainID string, signer tx.Address, body *tx.TxBody) (uint64, error) {
	sim := proto.Clone(body).(*tx.TxBody)
	sim.ChainId, sim.Signer = chainID, signer.String()
	sim.Fee = &tx.Fee{Amount: "0", GasLimit: 1 << 62}
	bz, err := proto.MarshalOptions{Deterministic: true}.Marshal(sim)
	if err != nil {
		return 0, err
	}
	// A placeholder signature keeps the simulated tx the size of the real one.
	raw, err := proto.MarshalOptions{Deterministic: true}.Marshal(&tx.Tx{Body: bz, Signature: make([]byte, tx.SignatureLen)})
	if err != nil {
		return 0, err
	}
	var r app.SimulateResult
	res, err := c.rpc.ABCIQuery(ctx, app.PathSimulate, raw)
	if err != nil {
		return 0, fmt.Errorf("simulate: %w", err)
	}
	if res.Response.Code != codes.OK {
		return 0, &QueryError{Path: app.PathSimulate, Codespace: res.Response.Codespace, Code: res.Response.Code, Log: res.Response.Log}
	}
	if err := json.Unmarshal(res.Response.Value, &r); err != nil {
		return 0, fmt.Errorf("decode simulation: %w", err)
	}
	if r.Code != codes.OK {
		return 0, &TxError{Codespace: r.Codespace, Code: r.Code, Log: r.Log}
	}
	return r.GasUsed, nil
}

// Broadcast hands signed tx bytes to the node and returns once the node has
// checked them (CheckTx). A refusal is a *TxError.
func (c *Client) Broadcast(ctx context.Context, raw []byte) (string, error) {
	h := tx.Hash(raw)
	hash := strings.ToUpper(hex.EncodeToString(h[:]))
	res, err := c.rpc.BroadcastTxSync(ctx, raw)
	if err != nil {
		if te := checkTxError(hash, err); te != nil {
			return hash, te
		}
		if errors.Is(err, mempool.ErrTxInCache) || strings.Contains(err.Error(), mempool.ErrTxInCache.Error()) {
			return hash, fmt.Errorf("broadcast tx %s: %w", shortHash(hash), ErrAlreadySeen)
		}
		return hash, fmt.Errorf("broadcast tx %s: %w", shortHash(hash), err)
	}
	if res.Code != codes.OK {
		return hash, &TxError{Hash: hash, Codespace: res.Codespace, Code: res.Code, Log: res.Log}
	}
	return hash, nil
}

// invalidTxRE reads the CheckTx refusal that CometBFT's RPC reports as an
// error string (mempool.ErrInvalidTx) when the node is remote.
var invalidTxRE = regexp.MustCompile(`(?s)is invalid: code=(\d+), data=[0-9A-Fa-f]*, log='(.*)', codespace='([^']*)'\s*$`)

// checkTxError turns CometBFT's report of a CheckTx refusal back into a
// *TxError with the app's code; other errors give nil.
func checkTxError(hash string, err error) *TxError {
	var inv mempool.ErrInvalidTx
	if errors.As(err, &inv) {
		return &TxError{Hash: hash, Codespace: inv.Codespace, Code: inv.Code, Log: inv.Log}
	}
	m := invalidTxRE.FindStringSubmatch(err.Error())
	if m == nil {
		return nil
	}
	code, perr := strconv.ParseUint(m[1], 10, 32)
	if perr != nil {
		return nil
	}
	return &TxError{Hash: hash, Codespace: m[3], Code: uint32(code), Log: m[2]}
}

// ErrAlreadySeen is returned when the node has seen these exact tx bytes
// before: they are in its mempool or were committed. A signed tx executes at
// most once; to send again, sign a new tx (with the next nonce).
var ErrAlreadySeen = errors.New("the node has already seen this exact tx (it is in the mempool or was committed)")

// BroadcastAsync hands tx bytes to the node without waiting for CheckTx.
func (c *Client) BroadcastAsync(ctx context.Context, raw []byte) (string, error) {
	h := tx.Hash(raw)
	hash := strings.ToUpper(hex.EncodeToString(h[:]))
	if _, err := c.rpc.BroadcastTxAsync(ctx, raw); err != nil {
		return hash, fmt.Errorf("broadcast tx %s: %w", shortHash(hash), err)
	}
	return hash, nil
}

// Event is an ABCI event as clients see it.
type Event struct {
	Type       string      `json:"type"`
	Attributes []Attribute `json:"attributes"`
}

// Attribute is one key/value of an event.
type Attribute struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// TxResult is a tx as committed in a block.
type TxResult struct {
	Hash      string            `json:"hash"`
	Height    int64             `json:"height"`
	Index     uint32            `json:"index"`
	Code      uint32            `json:"code"`
	Codespace string            `json:"codespace,omitempty"`
	Log       string            `json:"log,omitempty"`
	GasWanted int64             `json:"gas_wanted"`
	GasUsed   int64             `json:"gas_used"`
	Fee       string            `json:"fee"`
	Signer    string            `json:"signer"`
	Nonce     uint64            `json:"nonce"`
	Memo      string            `json:"memo,omitempty"`
	Messages  []json.RawMessage `json:"messages"`
	Events    []Event           `json:"events"`
}

// Err is the tx's failure as a *TxError, or nil if it succeeded.
func (r *TxResult) Err() error {
	if r.Code == codes.OK {
		return nil
	}
	return &TxError{Hash: r.Hash, Height: r.Height, Codespace: r.Codespace, Code: r.Code, Log: r.Log}
}

// ErrTxNotFound is returned by Tx for a hash no block holds (yet).
var ErrTxNotFound = errors.New("tx not found")

// Tx looks a committed tx up by its hash (hex).
func (c *Client) Tx(ctx context.Context, hash string) (*TxResult, error) {
	h, err := hex.DecodeString(strings.TrimPrefix(hash, "0x"))
	if err != nil || len(h) != 32 {
		return nil, fmt.Errorf("tx hash %q: want 64 hex digits", hash)
	}
	res, err := c.rpc.Tx(ctx, h, false)
	if err != nil {
		if strings.Contains(err.Error(), "not found") {
			return nil, fmt.Errorf("tx %s: %w", shortHash(hash), ErrTxNotFound)
		}
		return nil, fmt.Errorf("tx %s: %w", shortHash(hash), err)
	}
	return DescribeTx(res.Tx, res.Height, res.Index, &res.TxResult), nil
}

// DescribeTx renders raw tx bytes and their result for people and scripts.
func DescribeTx(raw []byte, height int64, index uint32, r *abci.ExecTxResult) *TxResult {
	h := tx.Hash(raw)
	out := &TxResult{
		Hash: strings.ToUpper(hex.EncodeToString(h[:])), Height: height, Index: index,
		Code: r.Code, Codespace: r.Codespace, Log: r.Log, GasWanted: r.GasWanted, GasUsed: r.GasUsed,
		Messages: []json.RawMessage{}, Events: []Event{},
	}
	if d, err := tx.Decode(raw); err == nil {
		out.Fee, out.Signer, out.Nonce, out.Memo = d.Body.Fee.Amount, d.Signer.String(), d.Body.Nonce, d.Body.Memo
		for _, a := range d.Body.Messages {
			bz, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(a)
			if err != nil {
				bz, _ = json.Marshal(map[string]string{"@type": a.TypeUrl, "error": err.Error()})
			}
			out.Messages = append(out.Messages, bz)
		}
	}
	for _, e := range r.Events {
		ev := Event{Type: e.Type, Attributes: make([]Attribute, len(e.Attributes))}
		for i, a := range e.Attributes {
			ev.Attributes[i] = Attribute{Key: a.Key, Value: a.Value}
		}
		out.Events = append(out.Events, ev)
	}
	return out
}

// WaitTx polls until the tx is in a block, or ctx ends.
func (c *Client) WaitTx(ctx context.Context, hash string) (*TxResult, error) {
	t := time.NewTicker(c.PollInterval)
	defer t.Stop()
	for {
		r, err := c.Tx(ctx, hash)
		if err == nil {
			return r, nil
		}
		if !errors.Is(err, ErrTxNotFound) {
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for tx %s: %w", shortHash(hash), ctx.Err())
		case <-t.C:
		}
	}
}

// SignAndBroadcast builds, signs and broadcasts a tx, then waits for its
// block. A tx refused or failed is returned with a *TxError.
func (c *Client) SignAndBroadcast(ctx context.Context, signer tx.Signer, msgs []proto.Message, opts TxOptions) (*TxResult, error) {
	raw, err := c.BuildTx(ctx, signer, msgs, opts)
	if err != nil {
		return nil, err
	}
	hash, err := c.Broadcast(ctx, raw)
	if err != nil {
		return nil, err
	}
	r, err := c.WaitTx(ctx, hash)
	if err != nil {
		return nil, err
	}
	return r, r.Err()
}

// Send transfers amount ulaz and waits for the block.
func (c *Client) Send(ctx context.Context, from tx.Signer, to tx.Address, amount uint64, opts TxOptions) (*TxResult, error) {
	return c.SignAndBroadcast(ctx, from, []proto.Message{SendMsg(from.Address(), to, amount)}, opts)
}

// SendMsg is a bank send message.
func SendMsg(from, to tx.Address, amount uint64) *bank.MsgSend {
	return &bank.MsgSend{From: from.String(), To: to.String(), Amount: tx.FormatBaseUnits(amount)}
}
