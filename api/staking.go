package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"google.golang.org/protobuf/proto"

	"github.com/lazchain/lazchain/client"
	"github.com/lazchain/lazchain/x/staking"
)

// stakingAnswer is protoAnswer with the staking module's "not a
// validator" as a 404.
func stakingAnswer(m proto.Message, err error) (any, error) {
	var qe *client.QueryError
	if errors.As(err, &qe) && errors.Is(qe, staking.ErrNotFound) {
		return nil, &apiError{Message: qe.Error(), Codespace: qe.Codespace, Code: qe.Code, status: http.StatusNotFound}
	}
	return protoAnswer(m, err)
}

// stakingValidators answers /v1/staking/validators: a page of validators
// in iDAO order.
func (s *server) stakingValidators(ctx context.Context, r *http.Request) (any, error) {
	after, limit, height, e := pageParams(r)
	if e != nil {
		return nil, e
	}
	return stakingAnswer(s.c.Validators(ctx, after, limit, height))
}

// stakingValidator answers /v1/staking/validators/{idao}; an iDAO that is
// not a validator is a 404.
func (s *server) stakingValidator(ctx context.Context, r *http.Request) (any, error) {
	id, e := idParam(r, "idao")
	if e != nil {
		return nil, e
	}
	height, e := heightParam(r)
	if e != nil {
		return nil, e
	}
	return stakingAnswer(s.c.Validator(ctx, id, height))
}

// stakingDelegations answers /v1/staking/delegations: a page of the
// delegations of exactly one of ?delegator= (in iDAO order; ?after= is an
// iDAO id) or ?idao= (in delegator order; ?after= is an address), each
// with its worth and pending rewards. An iDAO that is not a validator is a
// 404, not an empty page.
func (s *server) stakingDelegations(ctx context.Context, r *http.Request) (any, error) {
	q := r.URL.Query()
	delegator, idaoParam, after := q.Get("delegator"), q.Get("idao"), q.Get("after")
	if (delegator == "") == (idaoParam == "") {
		return nil, badRequest("give exactly one of ?delegator=ADDRESS and ?idao=ID")
	}
	limit, e := limitParam(r)
	if e != nil {
		return nil, e
	}
	height, e := heightParam(r)
	if e != nil {
		return nil, e
	}
	sq := staking.DelegationsQuery{Limit: limit}
	if delegator != "" {
		a, e := addressParam(delegator, "?delegator=")
		if e != nil {
			return nil, e
		}
		sq.Delegator = a.String()
		if after != "" {
			if _, err := strconv.ParseUint(after, 10, 64); err != nil {
				return nil, badRequest("after %q: with ?delegator= it is the iDAO id ending the previous page (its next)", after)
			}
			sq.After = after
		}
		return stakingAnswer(s.c.Delegations(ctx, sq, height))
	}
	id, err := strconv.ParseUint(idaoParam, 10, 64)
	if err != nil || id == 0 {
		return nil, badRequest("idao %q: want the iDAO id of a validator, a whole number ≥ 1", idaoParam)
	}
	sq.IDAO = id
	if after != "" {
		a, e := addressParam(after, "?after=")
		if e != nil {
			return nil, e
		}
		sq.After = a.String()
	}
	if _, err := s.c.Validator(ctx, id, height); err != nil {
		return stakingAnswer(nil, err)
	}
	return stakingAnswer(s.c.Delegations(ctx, sq, height))
}

// stakingParams answers /v1/staking/params as the module does.
func (s *server) stakingParams(ctx context.Context, r *http.Request) (any, error) {
	height, e := heightParam(r)
	if e != nil {
		return nil, e
	}
	p, err := s.c.StakingParams(ctx, height)
	return stakingAnswer(&staking.QueryParamsResponse{Params: p}, err)
}
