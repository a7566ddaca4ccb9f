package client

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Status is what a node says of itself and its chain.
type Status struct {
	ChainID          string    `json:"chain_id"`
	Moniker          string    `json:"moniker"`
	NodeID           string    `json:"node_id"`
	Version          string    `json:"cometbft_version"`
	LatestHeight     int64     `json:"latest_height"`
	LatestBlockHash  string    `json:"latest_block_hash"`
	LatestAppHash    string    `json:"latest_app_hash"`
	LatestBlockTime  time.Time `json:"latest_block_time"`
	EarliestHeight   int64     `json:"earliest_height"`
	CatchingUp       bool      `json:"catching_up"`
	ValidatorAddress string    `json:"validator_address"`
	ValidatorPower   int64     `json:"validator_power"`
}

// Status asks the node for its status.
func (c *Client) Status(ctx context.Context) (*Status, error) {
	st, err := c.rpc.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("node status: %w", err)
	}
	return &Status{
		ChainID: st.NodeInfo.Network, Moniker: st.NodeInfo.Moniker, NodeID: string(st.NodeInfo.DefaultNodeID),
		Version:          st.NodeInfo.Version,
		LatestHeight:     st.SyncInfo.LatestBlockHeight,
		LatestBlockHash:  st.SyncInfo.LatestBlockHash.String(),
		LatestAppHash:    st.SyncInfo.LatestAppHash.String(),
		LatestBlockTime:  st.SyncInfo.LatestBlockTime,
		EarliestHeight:   st.SyncInfo.EarliestBlockHeight,
		CatchingUp:       st.SyncInfo.CatchingUp,
		ValidatorAddress: st.ValidatorInfo.Address.String(),
		ValidatorPower:   st.ValidatorInfo.VotingPower,
	}, nil
}

// Block is a block's header facts and its txs' hashes.
type Block struct {
	Height         int64     `json:"height"`
	Hash           string    `json:"hash"`
	Time           time.Time `json:"time"`
	ChainID        string    `json:"chain_id"`
	Proposer       string    `json:"proposer"`
	AppHash        string    `json:"app_hash"`
	LastBlockHash  string    `json:"last_block_hash"`
	ValidatorsHash string    `json:"validators_hash"`
	NumTxs         int       `json:"num_txs"`
	TxHashes       []string  `json:"tx_hashes"`
	LastCommitSigs int       `json:"last_commit_signatures"`
}

// Block fetches a block; height 0 means the latest.
func (c *Client) Block(ctx context.Context, height int64) (*Block, error) {
	var hp *int64
	if height > 0 {
		hp = &height
	}
	res, err := c.rpc.Block(ctx, hp)
	if err != nil {
		return nil, fmt.Errorf("block %d: %w", height, err)
	}
	if res.Block == nil {
		return nil, fmt.Errorf("block %d: the node has no such block", height)
	}
	b := res.Block
	out := &Block{
		Height: b.Height, Hash: res.BlockID.Hash.String(), Time: b.Time, ChainID: b.ChainID,
		Proposer: b.ProposerAddress.String(), AppHash: b.AppHash.String(), LastBlockHash: b.LastBlockID.Hash.String(),
		ValidatorsHash: b.ValidatorsHash.String(), NumTxs: len(b.Txs), TxHashes: make([]string, len(b.Txs)),
	}
	for i, t := range b.Txs {
		out.TxHashes[i] = strings.ToUpper(fmt.Sprintf("%x", t.Hash()))
	}
	if b.LastCommit != nil {
		out.LastCommitSigs = len(b.LastCommit.Signatures)
	}
	return out, nil
}
