package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	abci "github.com/cometbft/cometbft/abci/types"
	crypto "github.com/cometbft/cometbft/api/cometbft/crypto/v1"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/codes"
	"github.com/lazchain/lazchain/store"
	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/auth"
)

// Query paths served by the application itself; module paths are
// "/<module>/<query>".
const (
	// PathStore reads a raw state key (req.Data), with an ICS23 proof when
	// req.Prove is set.
	PathStore = "/store"
	// PathSimulate runs a tx (req.Data, signature not required) against the
	// mempool's state and reports its gas, changing nothing.
	PathSimulate = "/app/simulate"
	// PathPendingNonce is an account's next nonce counting the txs already
	// in this node's mempool: what a client should sign with next.
	PathPendingNonce = "/app/pending_nonce"
	// PathInfo describes the application: version, chain, modules, queries.
	PathInfo = "/app/info"
)

// Errors of queries (registered in package chain, where modules see them).
var (
	ErrUnknownQuery  = chain.ErrUnknownQuery
	ErrNoSuchVersion = chain.ErrNoSuchVersion
	ErrBadRequest    = chain.ErrBadRequest
)

// SimulateResult is the answer to /app/simulate.
type SimulateResult struct {
	GasUsed   uint64 `json:"gas_used"`
	Code      uint32 `json:"code"`
	Codespace string `json:"codespace,omitempty"`
	Log       string `json:"log,omitempty"`
}

// InfoResult is the answer to /app/info.
type InfoResult struct {
	Version      string   `json:"version"`
	AppVersion   uint64   `json:"app_version"`
	ChainID      string   `json:"chain_id"`
	Height       int64    `json:"height"`
	Modules      []string `json:"modules"`
	MessageTypes []string `json:"message_types"`
	Queries      []string `json:"queries"`
}

// Query answers reads from a committed version: the latest unless req.Height
// names another that is still kept.
func (a *App) Query(_ context.Context, req *abci.QueryRequest) (*abci.QueryResponse, error) {
	res, err := a.query(req)
	if err != nil {
		space, code, log := codes.ABCI(err)
		return &abci.QueryResponse{Code: code, Codespace: space, Log: log, Height: req.Height}, nil
	}
	return res, nil
}

func (a *App) query(req *abci.QueryRequest) (*abci.QueryResponse, error) {
	switch req.Path {
	case PathSimulate:
		return a.simulate(req.Data)
	case PathPendingNonce:
		return a.pendingNonce(req.Data)
	}
	snap, err := a.tree.At(req.Height)
	if err != nil {
		if errors.Is(err, store.ErrVersionMissing) {
			return nil, ErrNoSuchVersion.Wrap(err.Error())
		}
		return nil, err
	}
	res := &abci.QueryResponse{Height: snap.Version()}
	switch {
	case req.Path == PathStore:
		if len(req.Data) == 0 {
			return nil, ErrBadRequest.Wrap("store query needs a key in data")
		}
		res.Key = req.Data
		if !req.Prove {
			res.Value = snap.Get(req.Data)
			return res, nil
		}
		value, proof, err := snap.Prove(req.Data)
		if err != nil {
			return nil, ErrBadRequest.Wrap(err.Error())
		}
		bz, err := proof.Marshal()
		if err != nil {
			return nil, fmt.Errorf("encode proof: %w", err)
		}
		res.Value = value
		res.ProofOps = &crypto.ProofOps{Ops: []crypto.ProofOp{{Type: store.ProofOpType, Key: req.Data, Data: bz}}}
		return res, nil
	case req.Path == PathInfo:
		names := make([]string, len(a.modules))
		for i, m := range a.modules {
			names[i] = m.Name()
		}
		return jsonValue(res, InfoResult{
			Version: Version, AppVersion: AppVersion, ChainID: a.chainID, Height: snap.Version(),
			Modules: names, MessageTypes: a.MessageTypes(), Queries: a.QueryPaths(),
		})
	}
	q, ok := a.queries[req.Path]
	if !ok {
		return nil, ErrUnknownQuery.Wrapf("no query at %q; known: %s, %s, %s, %s, %s",
			req.Path, PathStore, PathSimulate, PathPendingNonce, PathInfo, strings.Join(a.QueryPaths(), ", "))
	}
	a.checkMu.Lock()
	blockTime := a.checkTime // the committed block's time; lastBlockTime belongs to consensus
	a.checkMu.Unlock()
	ctx := chain.NewContext(snap, a.chainID, snap.Version(), blockTime, chain.ModeQuery, nil)
	var v any
	err = guard(func() error {
		var err error
		v, err = q.Run(ctx, req.Data)
		return err
	})
	if err != nil {
		return nil, err
	}
	return jsonValue(res, v)
}

func jsonValue(res *abci.QueryResponse, v any) (*abci.QueryResponse, error) {
	bz, err := chain.EncodeJSON(v)
	if err != nil {
		return nil, fmt.Errorf("encode query result: %w", err)
	}
	res.Value = bz
	return res, nil
}

// simulate runs a tx on a throwaway copy of the mempool's state, without
// checking its signature or fee, to measure its gas.
func (a *App) simulate(raw []byte) (*abci.QueryResponse, error) {
	a.checkMu.Lock()
	scratch := store.NewCache(a.check)
	out := a.runTx(scratch, raw, chain.ModeSimulate, a.checkHeight+1, a.checkTime, nil)
	height := a.checkHeight
	a.checkMu.Unlock()
	space, code, log := codes.ABCI(out.err)
	res := &abci.QueryResponse{Height: height}
	return jsonValue(res, SimulateResult{GasUsed: out.gasUsed, Code: code, Codespace: space, Log: log})
}

func (a *App) pendingNonce(req []byte) (*abci.QueryResponse, error) {
	var q auth.AccountQuery
	if err := chain.DecodeJSON(req, &q); err != nil {
		return nil, ErrBadRequest.Wrapf("pending nonce query: %v", err)
	}
	addr, err := tx.ParseAddress(q.Address)
	if err != nil {
		return nil, auth.ErrInvalidAddress.Wrap(err.Error())
	}
	a.checkMu.Lock()
	ctx := chain.NewContext(a.check, a.chainID, a.checkHeight+1, a.checkTime, chain.ModeQuery, nil)
	n := a.Auth.Keeper.Nonce(ctx, addr)
	height := a.checkHeight
	a.checkMu.Unlock()
	return jsonValue(&abci.QueryResponse{Height: height}, auth.Account{Address: addr, Nonce: n})
}
