package client

import (
	"context"

	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/compute"
	"github.com/lazchain/lazchain/x/flow"
)

// Pool reads a data pool.
func (c *Client) Pool(ctx context.Context, id uint64, height int64) (*flow.Pool, error) {
	var r flow.Pool
	_, err := c.Query(ctx, "/flow/pool", flow.PoolQuery{ID: id}, &r, height)
	return &r, err
}

// Pools pages through pools in id order.
func (c *Client) Pools(ctx context.Context, after uint64, limit int, height int64) (*flow.QueryPoolsResponse, error) {
	var r flow.QueryPoolsResponse
	_, err := c.Query(ctx, "/flow/pools", flow.PoolsQuery{After: after, Limit: limit}, &r, height)
	return &r, err
}

// Contribution reads a contribution with its job, assignments and results.
func (c *Client) Contribution(ctx context.Context, id uint64, height int64) (*flow.Contribution, error) {
	var r flow.Contribution
	_, err := c.Query(ctx, "/flow/contribution", flow.ContributionQuery{ID: id}, &r, height)
	return &r, err
}

// Contributions pages through a pool's, a contributor's or a worker's
// (pending) contributions.
func (c *Client) Contributions(ctx context.Context, q flow.ContributionsQuery, height int64) (*flow.QueryContributionsResponse, error) {
	var r flow.QueryContributionsResponse
	_, err := c.Query(ctx, "/flow/contributions", q, &r, height)
	return &r, err
}

// Anchored pages through a pool's anchored contributions in anchor order.
func (c *Client) Anchored(ctx context.Context, q flow.AnchoredQuery, height int64) (*flow.QueryContributionsResponse, error) {
	var r flow.QueryContributionsResponse
	_, err := c.Query(ctx, "/flow/anchored", q, &r, height)
	return &r, err
}

// Worker reads a registered worker.
func (c *Client) Worker(ctx context.Context, id uint64, height int64) (*compute.Worker, error) {
	var r compute.Worker
	_, err := c.Query(ctx, "/compute/worker", compute.WorkerQuery{ID: id}, &r, height)
	return &r, err
}

// Workers lists the registered workers, those of one iDAO when idaoID is
// not 0.
func (c *Client) Workers(ctx context.Context, idaoID uint64, height int64) (*compute.QueryWorkersResponse, error) {
	var r compute.QueryWorkersResponse
	_, err := c.Query(ctx, "/compute/workers", compute.WorkersQuery{IDAO: idaoID}, &r, height)
	return &r, err
}

// ComputeParams reads the compute module's parameters.
func (c *Client) ComputeParams(ctx context.Context, height int64) (*compute.Params, error) {
	var r compute.QueryParamsResponse
	_, err := c.Query(ctx, "/compute/params", struct{}{}, &r, height)
	return r.Params, err
}

// CreatePool sends a MsgCreatePool and returns the new pool's id.
func (c *Client) CreatePool(ctx context.Context, signer tx.Signer, msg *flow.MsgCreatePool, opts TxOptions) (uint64, *TxResult, error) {
	msg.From = signer.Address().String()
	return c.sendForID(ctx, signer, msg, opts, "flow_pool", "pool")
}

// RegisterWorker sends a MsgRegisterWorker and returns the worker's id.
func (c *Client) RegisterWorker(ctx context.Context, signer tx.Signer, msg *compute.MsgRegisterWorker, opts TxOptions) (uint64, *TxResult, error) {
	msg.From = signer.Address().String()
	return c.sendForID(ctx, signer, msg, opts, "compute_worker", "worker")
}
