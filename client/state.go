package client

import (
	"context"
	"encoding/json"
	"fmt"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/lazchain/lazchain/app"
	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/auth"
	"github.com/lazchain/lazchain/x/bank"
)

// Balance is an account's balance in ulaz at a height (0: latest).
func (c *Client) Balance(ctx context.Context, addr tx.Address, height int64) (uint64, int64, error) {
	var b bank.Balance
	h, err := c.Query(ctx, "/bank/balance", bank.BalanceQuery{Address: addr.String()}, &b, height)
	if err != nil {
		return 0, h, err
	}
	v, err := tx.ParseBaseUnits(b.Amount)
	return v, h, err
}

// Balances pages through every balance; after is the last address of the
// previous page (empty for the first).
func (c *Client) Balances(ctx context.Context, after string, limit int, height int64) (*bank.BalancesResult, error) {
	var r bank.BalancesResult
	_, err := c.Query(ctx, "/bank/balances", bank.BalancesQuery{After: after, Limit: limit}, &r, height)
	return &r, err
}

// Supply is the total supply and what the fee collector holds.
func (c *Client) Supply(ctx context.Context, height int64) (*bank.SupplyResult, int64, error) {
	var s bank.SupplyResult
	h, err := c.Query(ctx, "/bank/supply", nil, &s, height)
	return &s, h, err
}

// Account is an account's committed nonce.
func (c *Client) Account(ctx context.Context, addr tx.Address, height int64) (*auth.Account, int64, error) {
	var a auth.Account
	h, err := c.Query(ctx, "/auth/account", auth.AccountQuery{Address: addr.String()}, &a, height)
	return &a, h, err
}

// PendingNonce is the nonce the account's next tx should carry, counting txs
// already in the node's mempool.
func (c *Client) PendingNonce(ctx context.Context, addr tx.Address) (uint64, error) {
	var a auth.Account
	if _, err := c.Query(ctx, app.PathPendingNonce, auth.AccountQuery{Address: addr.String()}, &a, 0); err != nil {
		return 0, err
	}
	return a.Nonce, nil
}

// Params are the chain's tx parameters.
func (c *Client) Params(ctx context.Context) (*auth.Params, error) {
	var raw json.RawMessage
	if _, err := c.Query(ctx, "/auth/params", nil, &raw, 0); err != nil {
		return nil, err
	}
	p := &auth.Params{}
	if err := protojson.Unmarshal(raw, p); err != nil {
		return nil, fmt.Errorf("decode params: %w", err)
	}
	return p, nil
}

// AppInfo describes the application: version, modules, messages, queries.
func (c *Client) AppInfo(ctx context.Context) (*app.InfoResult, error) {
	var r app.InfoResult
	_, err := c.Query(ctx, app.PathInfo, nil, &r, 0)
	return &r, err
}
