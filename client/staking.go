package client

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/staking"
)

// StakingParams reads the staking module's parameters.
func (c *Client) StakingParams(ctx context.Context, height int64) (*staking.Params, error) {
	var r staking.QueryParamsResponse
	_, err := c.Query(ctx, "/staking/params", struct{}{}, &r, height)
	return r.Params, err
}

// StakingPool reads the staking totals: bonded, unbonding, the rewards
// waiting for the next split, and the module's accounts.
func (c *Client) StakingPool(ctx context.Context, height int64) (*staking.QueryPoolResponse, error) {
	var r staking.QueryPoolResponse
	_, err := c.Query(ctx, "/staking/pool", struct{}{}, &r, height)
	return &r, err
}

// Validator reads the validator of an iDAO with its status, power, missed
// blocks and self-bond. An iDAO that is not a validator is an error that
// matches staking.ErrNotFound.
func (c *Client) Validator(ctx context.Context, idao uint64, height int64) (*staking.QueryValidatorResponse, error) {
	var r staking.QueryValidatorResponse
	_, err := c.Query(ctx, "/staking/validator", staking.ValidatorQuery{IDAO: idao}, &r, height)
	return &r, err
}

// Validators pages through the validators in iDAO order; after is the
// last iDAO of the previous page (0 for the first).
func (c *Client) Validators(ctx context.Context, after uint64, limit int, height int64) (*staking.QueryValidatorsResponse, error) {
	var r staking.QueryValidatorsResponse
	_, err := c.Query(ctx, "/staking/validators", staking.ValidatorsQuery{After: after, Limit: limit}, &r, height)
	return &r, err
}

// ValidatorByConsensusAddress finds the validator whose consensus key has
// the CometBFT address addr (hex, either case), paging through every
// validator; false when no validator has that key.
func (c *Client) ValidatorByConsensusAddress(ctx context.Context, addr string, height int64) (*staking.ValidatorInfo, bool, error) {
	want := strings.ToUpper(strings.TrimSpace(addr))
	if want == "" {
		return nil, false, nil
	}
	var after uint64
	for {
		page, err := c.Validators(ctx, after, 1000, height)
		if err != nil {
			return nil, false, err
		}
		for _, v := range page.Validators {
			if v.ConsensusAddress == want {
				return v, true, nil
			}
		}
		if page.Next == 0 || page.Next == after {
			return nil, false, nil
		}
		after = page.Next
	}
}

// Delegations pages through the delegations of exactly one of a delegator
// (q.Delegator, in iDAO order) or a validator (q.IDAO, in delegator order),
// each with its worth and pending rewards.
func (c *Client) Delegations(ctx context.Context, q staking.DelegationsQuery, height int64) (*staking.QueryDelegationsResponse, error) {
	var r staking.QueryDelegationsResponse
	_, err := c.Query(ctx, "/staking/delegations", q, &r, height)
	return &r, err
}

// Unbondings pages through the unbonding entries of exactly one of a
// delegator (q.Delegator) or a validator (q.IDAO), in entry id order.
func (c *Client) Unbondings(ctx context.Context, q staking.UnbondingsQuery, height int64) (*staking.QueryUnbondingsResponse, error) {
	var r staking.QueryUnbondingsResponse
	_, err := c.Query(ctx, "/staking/unbondings", q, &r, height)
	return &r, err
}

// CreateValidator makes iDAO idao a validator with the ed25519 consensus
// key pubkey (32 bytes), bonding selfBond ulaz from the signer, who must
// hold the iDAO's validator role.
func (c *Client) CreateValidator(ctx context.Context, signer tx.Signer, idao uint64, pubkey []byte, selfBond uint64, opts TxOptions) (*TxResult, error) {
	if len(pubkey) != 32 {
		return nil, fmt.Errorf("create validator: the consensus key is %d bytes; an ed25519 key is 32 (pub_key.value of priv_validator_key.json)", len(pubkey))
	}
	msg := &staking.MsgCreateValidator{
		From: signer.Address().String(), Idao: idao,
		ConsensusPubkey: base64.StdEncoding.EncodeToString(pubkey), SelfBond: tx.FormatBaseUnits(selfBond),
	}
	return c.SignAndBroadcast(ctx, signer, []proto.Message{msg}, opts)
}

// Delegate bonds amount ulaz of the signer to the validator of iDAO idao.
func (c *Client) Delegate(ctx context.Context, signer tx.Signer, idao, amount uint64, opts TxOptions) (*TxResult, error) {
	msg := &staking.MsgDelegate{From: signer.Address().String(), Idao: idao, Amount: tx.FormatBaseUnits(amount)}
	return c.SignAndBroadcast(ctx, signer, []proto.Message{msg}, opts)
}

// Bond adds amount ulaz to the signer's self-bond in the validator of
// iDAO idao; the signer must hold the iDAO's validator role.
func (c *Client) Bond(ctx context.Context, signer tx.Signer, idao, amount uint64, opts TxOptions) (*TxResult, error) {
	msg := &staking.MsgBond{From: signer.Address().String(), Idao: idao, Amount: tx.FormatBaseUnits(amount)}
	return c.SignAndBroadcast(ctx, signer, []proto.Message{msg}, opts)
}

// Undelegate starts unbonding amount ulaz of the signer's delegation to
// the validator of iDAO idao.
func (c *Client) Undelegate(ctx context.Context, signer tx.Signer, idao, amount uint64, opts TxOptions) (*TxResult, error) {
	msg := &staking.MsgUndelegate{From: signer.Address().String(), Idao: idao, Amount: tx.FormatBaseUnits(amount)}
	return c.SignAndBroadcast(ctx, signer, []proto.Message{msg}, opts)
}

// Unbond starts unbonding amount ulaz of the signer's self-bond in the
// validator of iDAO idao.
func (c *Client) Unbond(ctx context.Context, signer tx.Signer, idao, amount uint64, opts TxOptions) (*TxResult, error) {
	msg := &staking.MsgUnbond{From: signer.Address().String(), Idao: idao, Amount: tx.FormatBaseUnits(amount)}
	return c.SignAndBroadcast(ctx, signer, []proto.Message{msg}, opts)
}

// Unjail brings the jailed validator of iDAO idao back among the
// candidates for the set.
func (c *Client) Unjail(ctx context.Context, signer tx.Signer, idao uint64, opts TxOptions) (*TxResult, error) {
	msg := &staking.MsgUnjail{From: signer.Address().String(), Idao: idao}
	return c.SignAndBroadcast(ctx, signer, []proto.Message{msg}, opts)
}

// WithdrawRewards pays the signer's pending rewards from its delegation to
// the validator of iDAO idao.
func (c *Client) WithdrawRewards(ctx context.Context, signer tx.Signer, idao uint64, opts TxOptions) (*TxResult, error) {
	msg := &staking.MsgWithdrawRewards{From: signer.Address().String(), Idao: idao}
	return c.SignAndBroadcast(ctx, signer, []proto.Message{msg}, opts)
}
