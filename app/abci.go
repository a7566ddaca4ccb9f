package app

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/store"
)

var _ abci.Application = (*App)(nil)

// Info reports the last committed height and app hash, so CometBFT can
// replay whatever blocks the app has not yet committed.
func (a *App) Info(context.Context, *abci.InfoRequest) (*abci.InfoResponse, error) {
	latest := a.tree.Latest()
	res := &abci.InfoResponse{
		Data:            "lazchain",
		Version:         Version,
		AppVersion:      AppVersion,
		LastBlockHeight: latest.Version(),
	}
	if latest.Version() > 0 {
		res.LastBlockAppHash = latest.Hash()
	}
	return res, nil
}

// InitChain writes the genesis state into the working tree. It is saved with
// block 1 (or the initial height); a crash before that leaves nothing behind
// and CometBFT calls InitChain again.
func (a *App) InitChain(_ context.Context, req *abci.InitChainRequest) (*abci.InitChainResponse, error) {
	if req.ChainId != a.chainID {
		return nil, fmt.Errorf("genesis is for chain %q but the app was started for %q", req.ChainId, a.chainID)
	}
	if req.InitialHeight > 1 {
		return nil, fmt.Errorf("initial height %d: LazChain chains start at height 1", req.InitialHeight)
	}
	sections, err := ParseGenesisState(req.AppStateBytes, a.modules)
	if err != nil {
		return nil, err
	}
	cache := store.NewCache(a.tree.Working())
	ctx := chain.NewContext(cache, a.chainID, 0, req.Time, chain.ModeDeliver, nil)
	for _, m := range a.modules {
		if err := guard(func() error { return m.InitGenesis(ctx, sections[m.Name()]) }); err != nil {
			return nil, fmt.Errorf("genesis: %w", err)
		}
	}
	if err := a.checkInvariants(ctx); err != nil {
		return nil, fmt.Errorf("genesis: %w", err)
	}
	var validators []abci.ValidatorUpdate
	for _, m := range a.modules {
		if v, ok := m.(chain.ValidatorSetter); ok {
			if err := guard(func() (err error) { validators, err = v.GenesisValidators(ctx); return err }); err != nil {
				return nil, fmt.Errorf("genesis validators of %s: %w", m.Name(), err)
			}
		}
	}
	cache.Write()
	a.lastBlockTime = req.Time
	a.log.Info("chain initialised from genesis", "chain_id", a.chainID, "modules", len(a.modules))
	return &abci.InitChainResponse{AppHash: a.tree.WorkingHash(), Validators: validators}, nil
}

// ParseGenesisState splits app_state into module sections, refusing unknown
// ones; missing sections get the module's default.
func ParseGenesisState(raw []byte, modules []chain.Module) (map[string]json.RawMessage, error) {
	sections := map[string]json.RawMessage{}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &sections); err != nil {
			return nil, fmt.Errorf("genesis app_state is not a JSON object: %w", err)
		}
	}
	known := map[string]bool{}
	for _, m := range modules {
		known[m.Name()] = true
		if _, ok := sections[m.Name()]; !ok {
			sections[m.Name()] = m.DefaultGenesis()
		}
	}
	var unknown []string
	for name := range sections {
		if !known[name] {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, fmt.Errorf("genesis app_state has unknown sections %v", unknown)
	}
	return sections, nil
}

// PrepareProposal proposes the mempool's txs in order, leaving out any that
// no longer decode (so honest blocks never carry garbage).
func (a *App) PrepareProposal(_ context.Context, req *abci.PrepareProposalRequest) (*abci.PrepareProposalResponse, error) {
	out := make([][]byte, 0, len(req.Txs))
	var size int64
	for _, raw := range req.Txs {
		if size+int64(len(raw)) > req.MaxTxBytes {
			break
		}
		if _, _, err := a.decode(raw); err != nil {
			continue
		}
		out = append(out, raw)
		size += int64(len(raw))
	}
	return &abci.PrepareProposalResponse{Txs: out}, nil
}

// ProcessProposal rejects a block that carries bytes that are not txs: only
// a faulty proposer makes one.
func (a *App) ProcessProposal(_ context.Context, req *abci.ProcessProposalRequest) (*abci.ProcessProposalResponse, error) {
	for _, raw := range req.Txs {
		if _, _, err := a.decode(raw); err != nil {
			a.log.Warn("rejecting proposal with an undecodable tx", "height", req.Height, "err", err)
			return &abci.ProcessProposalResponse{Status: abci.PROCESS_PROPOSAL_STATUS_REJECT}, nil
		}
	}
	return &abci.ProcessProposalResponse{Status: abci.PROCESS_PROPOSAL_STATUS_ACCEPT}, nil
}

// FinalizeBlock executes a decided block into the working tree and returns
// its root as the app hash. Writes go through one block-wide cache that is
// flushed in key order, so the tree (and the hash) depends only on the block.
func (a *App) FinalizeBlock(_ context.Context, req *abci.FinalizeBlockRequest) (*abci.FinalizeBlockResponse, error) {
	start := time.Now()
	if a.pendingHeight != 0 {
		// A block was finalized but not committed (CometBFT re-executes
		// after some faults): start again from the last committed state.
		a.tree.Rollback()
	}
	block := store.NewCache(a.tree.Working())
	blockCtx := chain.NewContext(block, a.chainID, req.Height, req.Time, chain.ModeDeliver, nil)
	blockCtx.BlockHash = req.Hash
	blockCtx.Misbehavior = req.Misbehavior
	blockCtx.LastCommit = req.DecidedLastCommit
	blockCtx.Proposer = req.ProposerAddress
	if err := a.beginBlock(blockCtx); err != nil {
		return nil, fmt.Errorf("height %d: %w", req.Height, err)
	}
	results := make([]*abci.ExecTxResult, len(req.Txs))
	var failed int
	for i, raw := range req.Txs {
		out := a.runTx(block, raw, chain.ModeDeliver, req.Height, req.Time, req.Hash)
		results[i] = out.result()
		a.metrics.observeTx(out.module, results[i].Codespace, results[i].Code)
		if out.err != nil {
			failed++
		}
	}
	if err := a.endBlock(blockCtx); err != nil {
		return nil, fmt.Errorf("height %d: %w", req.Height, err)
	}
	updates, err := a.validatorUpdates(blockCtx)
	if err != nil {
		return nil, fmt.Errorf("height %d: %w", req.Height, err)
	}
	block.Write()
	if a.opts.CheckInvariants {
		ctx := chain.NewContext(a.tree.Working(), a.chainID, req.Height, req.Time, chain.ModeQuery, nil)
		if err := a.checkInvariants(ctx); err != nil {
			return nil, fmt.Errorf("height %d: %w", req.Height, err)
		}
	}
	hash := a.tree.WorkingHash()
	a.metrics.observeBlock(req.Height, req.Time, a.lastBlockTime, len(req.Txs), time.Since(start))
	a.observeStaking(blockCtx)
	a.pendingHeight = req.Height
	a.lastBlockTime = req.Time
	a.log.Debug("finalized block", "height", req.Height, "txs", len(req.Txs), "failed", failed, "app_hash", fmt.Sprintf("%X", hash))
	return &abci.FinalizeBlockResponse{TxResults: results, AppHash: hash, Events: blockCtx.Events(), ValidatorUpdates: updates}, nil
}

// beginBlock runs the modules' BeginBlock hooks, in module order.
func (a *App) beginBlock(ctx *chain.Context) error {
	for _, m := range a.modules {
		if b, ok := m.(chain.BeginBlocker); ok {
			if err := guard(func() error { return b.BeginBlock(ctx) }); err != nil {
				return fmt.Errorf("begin block of %s: %w", m.Name(), err)
			}
		}
	}
	return nil
}

// validatorUpdates asks the module that chooses validators for this
// block's changes.
func (a *App) validatorUpdates(ctx *chain.Context) ([]abci.ValidatorUpdate, error) {
	var out []abci.ValidatorUpdate
	for _, m := range a.modules {
		if v, ok := m.(chain.ValidatorSetter); ok {
			if err := guard(func() (err error) { out, err = v.ValidatorUpdates(ctx); return err }); err != nil {
				return nil, fmt.Errorf("validator updates of %s: %w", m.Name(), err)
			}
		}
	}
	return out, nil
}

// endBlock runs the modules' EndBlock hooks, in module order.
func (a *App) endBlock(ctx *chain.Context) error {
	for _, m := range a.modules {
		if e, ok := m.(chain.EndBlocker); ok {
			if err := guard(func() error { return e.EndBlock(ctx) }); err != nil {
				return fmt.Errorf("end block of %s: %w", m.Name(), err)
			}
		}
	}
	return nil
}

func (a *App) checkInvariants(ctx *chain.Context) error {
	for _, m := range a.modules {
		for _, inv := range m.Invariants() {
			if err := inv.Check(ctx); err != nil {
				return fmt.Errorf("invariant %s broken: %w", inv.Name, err)
			}
		}
	}
	return nil
}

// Commit saves the working tree as the version of the finalized block and
// moves CheckTx and queries onto it.
func (a *App) Commit(context.Context, *abci.CommitRequest) (*abci.CommitResponse, error) {
	start := time.Now()
	hash, version, err := a.tree.Commit()
	if err != nil {
		return nil, err
	}
	if a.pendingHeight != 0 && version != a.pendingHeight {
		return nil, fmt.Errorf("committed state version %d for block %d: state and chain disagree", version, a.pendingHeight)
	}
	a.pendingHeight = 0
	if keep := a.opts.KeepVersions; keep > 0 && version > keep {
		if err := a.tree.Prune(version - keep); err != nil {
			a.log.Error("pruning old state versions failed", "up_to", version-keep, "err", err)
		}
	}
	a.resetCheckState()
	a.snapshotAfterCommit(version)
	a.metrics.observeCommit(time.Since(start), a.tree.Latest().Size())
	a.log.Debug("committed", "height", version, "app_hash", fmt.Sprintf("%X", hash))
	return &abci.CommitResponse{}, nil
}

// CheckTx runs a tx against the mempool's view of state: the last committed
// version plus the txs already accepted into the mempool. It verifies the
// signature, chain id, nonce and fee and runs the messages, so a tx that
// would fail is refused before it reaches a block.
func (a *App) CheckTx(_ context.Context, req *abci.CheckTxRequest) (*abci.CheckTxResponse, error) {
	a.checkMu.Lock()
	defer a.checkMu.Unlock()
	// A tx refused here must leave no trace (not even its fee or nonce),
	// since it never enters the mempool.
	txKV := store.NewCache(a.check)
	out := a.runTx(txKV, req.Tx, chain.ModeCheck, a.checkHeight+1, a.checkTime, nil)
	if out.err == nil {
		txKV.Write()
	}
	r := out.result()
	return &abci.CheckTxResponse{Code: r.Code, Codespace: r.Codespace, Log: r.Log, GasWanted: r.GasWanted, GasUsed: r.GasUsed}, nil
}
