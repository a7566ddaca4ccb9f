// Package apptest drives the application directly through ABCI, without
// CometBFT, for table, property and determinism tests of the state machine:
// it makes genesis, signs txs with known keys, finalizes and commits blocks.
package apptest

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"google.golang.org/protobuf/proto"

	"github.com/lazchain/lazchain/app"
	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/store"
	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/auth"
	"github.com/lazchain/lazchain/x/bank"
)

// ChainID is the chain id harnesses use.
const ChainID = "apptest-1"

// GenesisTime is the time of every harness's genesis.
var GenesisTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Harness is an app with a clock and a height.
type Harness struct {
	T      testing.TB
	App    *app.App
	Height int64
	Time   time.Time
}

// Genesis is an app_state funding the given accounts.
func Genesis(t testing.TB, balances map[tx.Address]uint64) []byte {
	t.Helper()
	var g bank.Genesis
	for a, v := range balances {
		g.Balances = append(g.Balances, bank.Balance{Address: a, Amount: tx.FormatBaseUnits(v)})
	}
	bz, err := json.Marshal(map[string]any{"bank": g})
	if err != nil {
		t.Fatal(err)
	}
	return bz
}

// New starts an app on tree (nil: in memory) from appState, with invariants
// checked after every block.
func New(t testing.TB, tree *store.Tree, appState []byte) *Harness {
	t.Helper()
	if tree == nil {
		tree = store.NewMemTree()
	}
	a, err := app.New(tree, app.Options{ChainID: ChainID, CheckInvariants: true})
	if err != nil {
		t.Fatal(err)
	}
	h := &Harness{T: t, App: a, Time: GenesisTime}
	if tree.Version() == 0 {
		if _, err := a.InitChain(context.Background(), &abci.InitChainRequest{
			ChainId: ChainID, Time: GenesisTime, InitialHeight: 1, AppStateBytes: appState,
		}); err != nil {
			t.Fatal(err)
		}
	} else {
		h.Height = tree.Version()
		h.Time = GenesisTime.Add(time.Duration(h.Height) * time.Second)
	}
	return h
}

// Block finalizes and commits a block of raw txs and returns their results
// and the app hash.
func (h *Harness) Block(txs ...[]byte) ([]*abci.ExecTxResult, []byte) {
	h.T.Helper()
	res, _ := h.BlockEvents(txs...)
	return res, h.App.Tree().Latest().Hash()
}

// Check runs CheckTx.
func (h *Harness) Check(raw []byte) *abci.CheckTxResponse {
	h.T.Helper()
	res, err := h.App.CheckTx(context.Background(), &abci.CheckTxRequest{Tx: raw, Type: abci.CHECK_TX_TYPE_CHECK})
	if err != nil {
		h.T.Fatal(err)
	}
	return res
}

// Query runs an ABCI query.
func (h *Harness) Query(path string, data []byte, height int64, prove bool) *abci.QueryResponse {
	h.T.Helper()
	res, err := h.App.Query(context.Background(), &abci.QueryRequest{Path: path, Data: data, Height: height, Prove: prove})
	if err != nil {
		h.T.Fatal(err)
	}
	return res
}

// Balance reads a committed balance.
func (h *Harness) Balance(a tx.Address) uint64 {
	h.T.Helper()
	return bank.DecodeAmount(h.App.Tree().Latest().Get(bank.BalanceStoreKey(a)))
}

// TxSpec describes a tx to sign.
type TxSpec struct {
	Nonce    uint64
	Fee      uint64
	GasLimit uint64
	ChainID  string // default ChainID
	Memo     string
	Timeout  int64
	Msgs     []proto.Message
}

// DefaultGas is the gas limit Sign uses when the spec gives none.
const DefaultGas = 200_000

// MinFee is the minimum fee for DefaultGas at the default gas price.
const MinFee = 2_000

// Sign builds and signs a tx.
func Sign(t testing.TB, k tx.Signer, s TxSpec) []byte {
	t.Helper()
	if s.ChainID == "" {
		s.ChainID = ChainID
	}
	if s.GasLimit == 0 {
		s.GasLimit = DefaultGas
	}
	anys, err := tx.PackMsgs(s.Msgs...)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := tx.Sign(k, s.ChainID, &tx.TxBody{
		Nonce: s.Nonce, Fee: &tx.Fee{Amount: tx.FormatBaseUnits(s.Fee), GasLimit: s.GasLimit},
		Messages: anys, Memo: s.Memo, TimeoutHeight: s.Timeout,
	})
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// Send is a MsgSend of amount ulaz.
func Send(from, to tx.Address, amount uint64) *bank.MsgSend {
	return &bank.MsgSend{From: from.String(), To: to.String(), Amount: tx.FormatBaseUnits(amount)}
}

// Nonce is an account's committed nonce: the nonce its next tx carries.
func (h *Harness) Nonce(a tx.Address) uint64 {
	h.T.Helper()
	v := h.App.Tree().Latest().Get(auth.NonceStoreKey(a))
	if v == nil {
		return 0
	}
	return store.DecodeUint64(v)
}

// ExecGas is the gas limit Exec signs with: room for any message of the
// modules, lineage settlements and claims over many tokens included.
const ExecGas = 5_000_000

// Exec signs msgs as k with its next nonce and the minimum fee for ExecGas,
// runs them alone in a block and returns the result and the block's events.
func (h *Harness) Exec(k tx.Signer, msgs ...proto.Message) (*abci.ExecTxResult, []abci.Event) {
	h.T.Helper()
	raw := Sign(h.T, k, TxSpec{Nonce: h.Nonce(k.Address()), Fee: ExecGas / 100, GasLimit: ExecGas, Msgs: msgs})
	res, events := h.BlockEvents(raw)
	return res[0], events
}

// BlockEvents is Block that also returns the block's own events (those of
// the begin- and end-of-block hooks).
func (h *Harness) BlockEvents(txs ...[]byte) ([]*abci.ExecTxResult, []abci.Event) {
	h.T.Helper()
	h.Height++
	h.Time = h.Time.Add(time.Second)
	res, err := h.App.FinalizeBlock(context.Background(), &abci.FinalizeBlockRequest{
		Height: h.Height, Time: h.Time, Txs: txs, Hash: BlockHash(h.Height),
	})
	if err != nil {
		h.T.Fatalf("finalize block %d: %v", h.Height, err)
	}
	if _, err := h.App.Commit(context.Background(), &abci.CommitRequest{}); err != nil {
		h.T.Fatalf("commit block %d: %v", h.Height, err)
	}
	return res.TxResults, res.Events
}

// QueryJSON runs a module query at the latest height and decodes its
// answer into out (a protobuf message or any JSON value); it fails the test
// on a query error.
func (h *Harness) QueryJSON(path string, req any, out any) {
	h.T.Helper()
	data, err := json.Marshal(req)
	if err != nil {
		h.T.Fatal(err)
	}
	res := h.Query(path, data, 0, false)
	if res.Code != 0 {
		h.T.Fatalf("query %s %s: code %d (%s): %s", path, data, res.Code, res.Codespace, res.Log)
	}
	if m, ok := out.(proto.Message); ok {
		err = chain.DecodeProtoJSON(res.Value, m)
	} else {
		err = json.Unmarshal(res.Value, out)
	}
	if err != nil {
		h.T.Fatalf("query %s: decode %s: %v", path, res.Value, err)
	}
}

// BlockHash is the hash the harness gives the block at height: a stand-in
// for CometBFT's block hash, distinct per height.
func BlockHash(height int64) []byte {
	h := sha256.Sum256(binary.BigEndian.AppendUint64([]byte("apptest/block"), uint64(height)))
	return h[:]
}
