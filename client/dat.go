package client

import (
	"context"

	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/dat"
)

// DATClass reads a DAT class with its ownership certificate.
func (c *Client) DATClass(ctx context.Context, id uint64, height int64) (*dat.QueryClassResponse, error) {
	var r dat.QueryClassResponse
	_, err := c.Query(ctx, "/dat/class", dat.ClassQuery{ID: id}, &r, height)
	return &r, err
}

// DATClasses pages through classes in id order, those of one iDAO when
// idaoID is not 0.
func (c *Client) DATClasses(ctx context.Context, idaoID, after uint64, limit int, height int64) (*dat.QueryClassesResponse, error) {
	var r dat.QueryClassesResponse
	_, err := c.Query(ctx, "/dat/classes", dat.ClassesQuery{IDAO: idaoID, After: after, Limit: limit}, &r, height)
	return &r, err
}

// DATToken reads a token with its pending revenue and usage.
func (c *Client) DATToken(ctx context.Context, id uint64, height int64) (*dat.QueryTokenResponse, error) {
	var r dat.QueryTokenResponse
	_, err := c.Query(ctx, "/dat/token", dat.TokenQuery{ID: id}, &r, height)
	return &r, err
}

// DATTokens pages through the tokens of an owner or of a class (set one of
// q.Owner, q.Class).
func (c *Client) DATTokens(ctx context.Context, q dat.TokensQuery, height int64) (*dat.QueryTokensResponse, error) {
	var r dat.QueryTokensResponse
	_, err := c.Query(ctx, "/dat/tokens", q, &r, height)
	return &r, err
}

// DATPending is the revenue an owner (or one token, when token is not 0)
// can claim.
func (c *Client) DATPending(ctx context.Context, owner tx.Address, token uint64, height int64) (*dat.QueryPendingResponse, error) {
	q := dat.PendingQuery{Token: token}
	if token == 0 {
		q.Owner = owner.String()
	}
	var r dat.QueryPendingResponse
	_, err := c.Query(ctx, "/dat/pending", q, &r, height)
	return &r, err
}

// DATLineage is a class's lineage graph: its ancestors and descendants.
func (c *Client) DATLineage(ctx context.Context, class uint64, limit int, height int64) (*dat.QueryLineageResponse, error) {
	var r dat.QueryLineageResponse
	_, err := c.Query(ctx, "/dat/lineage", dat.LineageQuery{Class: class, Limit: limit}, &r, height)
	return &r, err
}

// CreateClass anchors a new DAT class and returns its id. msg.From is set
// to the signer.
func (c *Client) CreateClass(ctx context.Context, signer tx.Signer, msg *dat.MsgCreateClass, opts TxOptions) (uint64, *TxResult, error) {
	msg.From = signer.Address().String()
	return c.sendForID(ctx, signer, msg, opts, "dat_class", "class")
}

// Mint mints a DAT and returns its token id. msg.From is set to the signer.
func (c *Client) Mint(ctx context.Context, signer tx.Signer, msg *dat.MsgMint, opts TxOptions) (uint64, *TxResult, error) {
	msg.From = signer.Address().String()
	return c.sendForID(ctx, signer, msg, opts, "dat_mint", "token")
}

// Split splits value and share off a token and returns the new token's id.
func (c *Client) Split(ctx context.Context, signer tx.Signer, token, value, share uint64, opts TxOptions) (uint64, *TxResult, error) {
	msg := &dat.MsgSplit{From: signer.Address().String(), Token: token, Value: value, ShareRatio: share}
	return c.sendForID(ctx, signer, msg, opts, "dat_split", "new_token")
}
