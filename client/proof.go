package client

import (
	"bytes"
	"context"
	"fmt"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	crypto "github.com/cometbft/cometbft/api/cometbft/crypto/v1"
	rpcclient "github.com/cometbft/cometbft/rpc/client"
	cmttypes "github.com/cometbft/cometbft/types"
	ics23 "github.com/cosmos/ics23/go"

	"github.com/lazchain/lazchain/app"
	"github.com/lazchain/lazchain/codes"
	"github.com/lazchain/lazchain/store"
)

// ProvenValue is a state value (or its absence) with the proof that it is in
// the state whose root a committed, validator-signed header carries.
type ProvenValue struct {
	Key []byte `json:"key"`
	// Value is nil when the proof shows the key absent.
	Value []byte `json:"value"`
	// Height is the state version: the state after block Height.
	Height int64 `json:"height"`
	// HeaderHeight is the block whose header commits to that state
	// (Height+1: a header carries the app hash of the block before it).
	HeaderHeight int64  `json:"header_height"`
	AppHash      []byte `json:"app_hash"`
	// SignedPower is how much voting power signed the header, of TotalPower.
	SignedPower int64 `json:"signed_power"`
	TotalPower  int64 `json:"total_power"`
	// Proof is the ICS23 commitment proof (protobuf).
	Proof []byte `json:"proof"`
}

// Prove reads key at height (0: latest) with an ICS23 proof and verifies it
// here, on the client: the header at height+1 must be signed by more than
// two thirds of the validator set the node reports for it, its hash must
// match the commit, and the proof must lead from key and value to the
// header's app hash. (Checking that validator set against an earlier trusted
// one is what a light client adds.)
func (c *Client) Prove(ctx context.Context, key []byte, height int64) (*ProvenValue, error) {
	r, op, proof, err := c.queryProof(ctx, key, height)
	if err != nil {
		return nil, err
	}
	chainID, err := c.ChainID(ctx)
	if err != nil {
		return nil, err
	}
	hh := r.Height + 1
	sh, err := c.waitCommit(ctx, hh)
	if err != nil {
		return nil, err
	}
	vals, err := c.validators(ctx, hh)
	if err != nil {
		return nil, err
	}
	if err := sh.ValidateBasic(chainID); err != nil {
		return nil, fmt.Errorf("header %d: %w", hh, err)
	}
	if !bytes.Equal(vals.Hash(), sh.ValidatorsHash) {
		return nil, fmt.Errorf("header %d: validator set does not match the header's validators hash", hh)
	}
	if err := vals.VerifyCommitLight(chainID, sh.Commit.BlockID, hh, sh.Commit); err != nil {
		return nil, fmt.Errorf("header %d is not signed by +2/3 of its validators: %w", hh, err)
	}
	var value []byte
	if r.Value != nil {
		value = r.Value
	}
	if err := store.VerifyProof(sh.AppHash, key, value, proof); err != nil {
		return nil, fmt.Errorf("proof does not verify against header %d: %w", hh, err)
	}
	signed := int64(0)
	for i, s := range sh.Commit.Signatures {
		if s.BlockIDFlag == cmttypes.BlockIDFlagCommit && i < len(vals.Validators) {
			signed += vals.Validators[i].VotingPower
		}
	}
	return &ProvenValue{
		Key: key, Value: value, Height: r.Height, HeaderHeight: hh, AppHash: sh.AppHash,
		SignedPower: signed, TotalPower: vals.TotalVotingPower(), Proof: op.Data,
	}, nil
}

// queryProof reads key at height with its ICS23 proof, unverified.
func (c *Client) queryProof(ctx context.Context, key []byte, height int64) (*abci.QueryResponse, *crypto.ProofOp, *ics23.CommitmentProof, error) {
	res, err := c.rpc.ABCIQueryWithOptions(ctx, app.PathStore, key, rpcclient.ABCIQueryOptions{Height: height, Prove: true})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("query key %x: %w", key, err)
	}
	r := res.Response
	if r.Code != codes.OK {
		return nil, nil, nil, &QueryError{Path: app.PathStore, Codespace: r.Codespace, Code: r.Code, Log: r.Log}
	}
	if r.ProofOps == nil || len(r.ProofOps.Ops) != 1 || r.ProofOps.Ops[0].Type != store.ProofOpType {
		return nil, nil, nil, fmt.Errorf("node returned no %s proof for key %x", store.ProofOpType, key)
	}
	op := r.ProofOps.Ops[0]
	if !bytes.Equal(op.Key, key) {
		return nil, nil, nil, fmt.Errorf("node proved key %x, not %x", op.Key, key)
	}
	var proof ics23.CommitmentProof
	if err := proof.Unmarshal(op.Data); err != nil {
		return nil, nil, nil, fmt.Errorf("decode proof: %w", err)
	}
	return &r, &op, &proof, nil
}

// waitCommit fetches the signed header at height, waiting for the block if
// it is the next one.
func (c *Client) waitCommit(ctx context.Context, height int64) (*cmttypes.SignedHeader, error) {
	for {
		res, err := c.rpc.Commit(ctx, &height)
		if err == nil && res.CanonicalCommit {
			return &res.SignedHeader, nil
		}
		select {
		case <-ctx.Done():
			if err == nil {
				err = ctx.Err()
			}
			return nil, fmt.Errorf("signed header %d: %w", height, err)
		case <-time.After(c.PollInterval):
		}
	}
}

func (c *Client) validators(ctx context.Context, height int64) (*cmttypes.ValidatorSet, error) {
	var all []*cmttypes.Validator
	perPage := 100
	for page := 1; ; page++ {
		p := page
		res, err := c.rpc.Validators(ctx, &height, &p, &perPage)
		if err != nil {
			return nil, fmt.Errorf("validators at %d: %w", height, err)
		}
		all = append(all, res.Validators...)
		if len(all) >= res.Total || len(res.Validators) == 0 {
			break
		}
	}
	vs := cmttypes.NewValidatorSet(all)
	if err := vs.ValidateBasic(); err != nil {
		return nil, fmt.Errorf("validators at %d: %w", height, err)
	}
	return vs, nil
}
