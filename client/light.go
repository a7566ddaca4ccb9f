package client

import (
	"context"
	"fmt"
	"time"

	dbm "github.com/cometbft/cometbft-db"
	cmtlog "github.com/cometbft/cometbft/libs/log"
	"github.com/cometbft/cometbft/light"
	"github.com/cometbft/cometbft/light/provider"
	lighthttp "github.com/cometbft/cometbft/light/provider/http"
	lightdb "github.com/cometbft/cometbft/light/store/db"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/lazchain/lazchain/store"
)

// LightOptions configure a light-client proof: where headers come from and
// what the client trusts to begin with.
type LightOptions struct {
	// Primary is the RPC address headers are fetched from (tcp://, http://).
	Primary string
	// Witnesses are other nodes' RPC addresses the light client compares
	// the primary's headers with; none means the primary is its own
	// witness (no fork detection, but every header is still verified).
	Witnesses []string
	// TrustHeight and TrustHash pin the header everything is verified
	// from. With no hash, the header at TrustHeight (1 when 0) is trusted
	// on first use, and the result says so.
	TrustHeight int64
	TrustHash   []byte
	// TrustPeriod is how long a trusted header may be used (default two
	// weeks); it must be shorter than the chain's unbonding time.
	TrustPeriod time.Duration
	// StoreDir, when set, keeps the verified headers on disk, so later
	// proofs start from the latest verified header instead of TrustHeight.
	StoreDir string
}

// LightInfo says how a light-client proof was verified.
type LightInfo struct {
	TrustedHeight int64  `json:"trusted_height"`
	TrustedHash   string `json:"trusted_hash"`
	// TrustedOnFirstUse: no hash was given, the trusted header was taken
	// from the primary.
	TrustedOnFirstUse bool   `json:"trusted_on_first_use"`
	Witnesses         int    `json:"witnesses"`
	Mode              string `json:"mode"`
}

// ProveLight reads key at height (0: latest) with an ICS23 proof and
// verifies it against a header that CometBFT's light client verified from
// the trusted header (skipping verification: +1/3 of a trusted validator
// set vouches for each new set, +2/3 of a header's own set signs it),
// cross-checked with the witnesses. The node is never trusted for the
// header or the validator set.
func (c *Client) ProveLight(ctx context.Context, key []byte, height int64, o LightOptions) (*ProvenValue, *LightInfo, error) {
	r, op, proof, err := c.queryProof(ctx, key, height)
	if err != nil {
		return nil, nil, err
	}
	chainID, err := c.ChainID(ctx)
	if err != nil {
		return nil, nil, err
	}
	hh := r.Height + 1
	if _, err := c.waitCommit(ctx, hh); err != nil {
		return nil, nil, err
	}
	info := &LightInfo{TrustedHeight: o.TrustHeight, Mode: "skipping"}
	if info.TrustedHeight == 0 {
		info.TrustedHeight = 1
	}
	trustHash := o.TrustHash
	if len(trustHash) == 0 {
		h := info.TrustedHeight
		res, err := c.rpc.Commit(ctx, &h)
		if err != nil {
			return nil, nil, fmt.Errorf("trusted header %d: %w", h, err)
		}
		trustHash = res.SignedHeader.Hash()
		info.TrustedOnFirstUse = true
	}
	info.TrustedHash = fmt.Sprintf("%X", trustHash)
	primary, err := lightProvider(chainID, o.Primary)
	if err != nil {
		return nil, nil, err
	}
	var witnesses []provider.Provider
	for _, w := range o.Witnesses {
		p, err := lightProvider(chainID, w)
		if err != nil {
			return nil, nil, err
		}
		witnesses = append(witnesses, p)
	}
	if len(witnesses) == 0 {
		witnesses = []provider.Provider{primary}
	}
	info.Witnesses = len(o.Witnesses)
	db := dbm.DB(dbm.NewMemDB())
	if o.StoreDir != "" {
		if db, err = dbm.NewDB("light", dbm.GoLevelDBBackend, o.StoreDir); err != nil {
			return nil, nil, fmt.Errorf("light client store: %w", err)
		}
	}
	defer db.Close()
	period := o.TrustPeriod
	if period == 0 {
		period = 14 * 24 * time.Hour
	}
	lc, err := light.NewClient(ctx, chainID,
		light.TrustOptions{Period: period, Height: info.TrustedHeight, Hash: trustHash},
		primary, witnesses, lightdb.New(db, chainID), light.Logger(cmtlog.NewNopLogger()))
	if err != nil {
		return nil, nil, fmt.Errorf("light client: %w", err)
	}
	lb, err := lc.VerifyLightBlockAtHeight(ctx, hh, time.Now())
	if err != nil {
		return nil, nil, fmt.Errorf("light client: header %d: %w", hh, err)
	}
	var value []byte
	if r.Value != nil {
		value = r.Value
	}
	if err := store.VerifyProof(lb.AppHash, key, value, proof); err != nil {
		return nil, nil, fmt.Errorf("proof does not verify against light-verified header %d: %w", hh, err)
	}
	signed := int64(0)
	for i, s := range lb.Commit.Signatures {
		if s.BlockIDFlag == cmttypes.BlockIDFlagCommit && i < len(lb.ValidatorSet.Validators) {
			signed += lb.ValidatorSet.Validators[i].VotingPower
		}
	}
	return &ProvenValue{
		Key: key, Value: value, Height: r.Height, HeaderHeight: hh, AppHash: lb.AppHash,
		SignedPower: signed, TotalPower: lb.ValidatorSet.TotalVotingPower(), Proof: op.Data,
	}, info, nil
}

func lightProvider(chainID, addr string) (provider.Provider, error) {
	remote, err := normalizeNode(addr)
	if err != nil {
		return nil, err
	}
	p, err := lighthttp.New(chainID, remote)
	if err != nil {
		return nil, fmt.Errorf("light provider %s: %w", addr, err)
	}
	return p, nil
}
