package client

import (
	"context"
	"fmt"

	rpcclient "github.com/cometbft/cometbft/rpc/client"

	"github.com/lazchain/lazchain/app"
	"github.com/lazchain/lazchain/codes"
)

// StateValue reads one raw state key at height (0: latest) without a proof:
// what the node says, unverified. It returns the value (nil when the key is
// absent) and the height the answer is from. Use Prove for a value checked
// against a signed header.
func (c *Client) StateValue(ctx context.Context, key []byte, height int64) ([]byte, int64, error) {
	res, err := c.rpc.ABCIQueryWithOptions(ctx, app.PathStore, key, rpcclient.ABCIQueryOptions{Height: height})
	if err != nil {
		return nil, 0, fmt.Errorf("query key %x: %w", key, err)
	}
	r := res.Response
	if r.Code != codes.OK {
		return nil, r.Height, &QueryError{Path: app.PathStore, Codespace: r.Codespace, Code: r.Code, Log: r.Log}
	}
	if len(r.Value) == 0 {
		return nil, r.Height, nil
	}
	return r.Value, r.Height, nil
}
