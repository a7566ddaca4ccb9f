package client

import (
	"context"

	"google.golang.org/protobuf/proto"

	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/idao"
)

// IDAO reads an iDAO with its treasury balance and policies.
func (c *Client) IDAO(ctx context.Context, id uint64, height int64) (*idao.QueryIDAOResponse, error) {
	var r idao.QueryIDAOResponse
	_, err := c.Query(ctx, "/idao/idao", idao.IDAOQuery{ID: id}, &r, height)
	return &r, err
}

// IDAOByName reads an iDAO by its unique name.
func (c *Client) IDAOByName(ctx context.Context, name string, height int64) (*idao.QueryIDAOResponse, error) {
	var r idao.QueryIDAOResponse
	_, err := c.Query(ctx, "/idao/idao", idao.IDAOQuery{Name: name}, &r, height)
	return &r, err
}

// IDAOs pages through the iDAOs in id order; after is the last id of the
// previous page (0 for the first).
func (c *Client) IDAOs(ctx context.Context, after uint64, limit int, height int64) (*idao.QueryIDAOsResponse, error) {
	var r idao.QueryIDAOsResponse
	_, err := c.Query(ctx, "/idao/list", idao.ListQuery{After: after, Limit: limit}, &r, height)
	return &r, err
}

// Members pages through an iDAO's members in address order.
func (c *Client) Members(ctx context.Context, id uint64, after string, limit int, height int64) (*idao.QueryMembersResponse, error) {
	var r idao.QueryMembersResponse
	_, err := c.Query(ctx, "/idao/members", idao.MembersQuery{ID: id, After: after, Limit: limit}, &r, height)
	return &r, err
}

// Proposals pages through an iDAO's proposals; status is "", "open" or
// "closed".
func (c *Client) Proposals(ctx context.Context, id uint64, status string, after uint64, limit int, height int64) (*idao.QueryProposalsResponse, error) {
	var r idao.QueryProposalsResponse
	_, err := c.Query(ctx, "/idao/proposals", idao.ProposalsQuery{ID: id, Status: status, After: after, Limit: limit}, &r, height)
	return &r, err
}

// Proposal reads one proposal with its votes.
func (c *Client) Proposal(ctx context.Context, id, proposal uint64, height int64) (*idao.QueryProposalResponse, error) {
	var r idao.QueryProposalResponse
	_, err := c.Query(ctx, "/idao/proposal", idao.ProposalQuery{ID: id, Proposal: proposal}, &r, height)
	return &r, err
}

// Agreements lists the agreements an iDAO grants or was granted.
func (c *Client) Agreements(ctx context.Context, id uint64, height int64) (*idao.QueryAgreementsResponse, error) {
	var r idao.QueryAgreementsResponse
	_, err := c.Query(ctx, "/idao/agreements", idao.AgreementsQuery{ID: id}, &r, height)
	return &r, err
}

// CreateIDAO forms an iDAO with the signer as its first admin and returns
// its id.
func (c *Client) CreateIDAO(ctx context.Context, signer tx.Signer, name, description string, roles []string, opts TxOptions) (uint64, *TxResult, error) {
	msg := &idao.MsgCreate{From: signer.Address().String(), Name: name, Description: description, Roles: roles}
	return c.sendForID(ctx, signer, msg, opts, "idao_create", "idao")
}

// Propose opens a proposal and returns its id (per iDAO).
func (c *Client) Propose(ctx context.Context, signer tx.Signer, id uint64, title, description string, actions []*idao.Action, opts TxOptions) (uint64, *TxResult, error) {
	msg := &idao.MsgPropose{From: signer.Address().String(), Idao: id, Title: title, Description: description, Actions: actions}
	return c.sendForID(ctx, signer, msg, opts, "idao_proposal", "proposal")
}

// Vote casts the signer's vote on a proposal.
func (c *Client) Vote(ctx context.Context, signer tx.Signer, id, proposal uint64, option idao.VoteOption, opts TxOptions) (*TxResult, error) {
	msg := &idao.MsgVote{From: signer.Address().String(), Idao: id, Proposal: proposal, Option: option}
	return c.SignAndBroadcast(ctx, signer, []proto.Message{msg}, opts)
}

// sendForID sends one message and reads the id it created from an event.
func (c *Client) sendForID(ctx context.Context, signer tx.Signer, msg proto.Message, opts TxOptions, event, key string) (uint64, *TxResult, error) {
	res, err := c.SignAndBroadcast(ctx, signer, []proto.Message{msg}, opts)
	if err != nil {
		return 0, res, err
	}
	id, err := res.NewID(event, key)
	return id, res, err
}
