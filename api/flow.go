package api

import (
	"context"
	"net/http"
	"strconv"

	"github.com/lazchain/lazchain/x/compute"
	"github.com/lazchain/lazchain/x/flow"
)

// flowPools answers /v1/flow/pools: a page of pools in id order.
func (s *server) flowPools(ctx context.Context, r *http.Request) (any, error) {
	after, limit, height, e := pageParams(r)
	if e != nil {
		return nil, e
	}
	return protoAnswer(s.c.Pools(ctx, after, limit, height))
}

// flowPoolContributions answers /v1/flow/pools/{pool}/contributions: a
// page of the pool's contributions in id order; a pool that does not exist
// is a 404, not an empty page.
func (s *server) flowPoolContributions(ctx context.Context, r *http.Request) (any, error) {
	id, e := idParam(r, "pool")
	if e != nil {
		return nil, e
	}
	after, limit, height, e := pageParams(r)
	if e != nil {
		return nil, e
	}
	if _, err := s.c.Pool(ctx, id, height); err != nil {
		return nil, moduleNotFound(err)
	}
	return protoAnswer(s.c.Contributions(ctx, flow.ContributionsQuery{Pool: id, After: after, Limit: limit}, height))
}

// computeWorkers answers /v1/compute/workers, every worker or (?idao=) one
// compute iDAO's.
func (s *server) computeWorkers(ctx context.Context, r *http.Request) (any, error) {
	height, e := heightParam(r)
	if e != nil {
		return nil, e
	}
	var idaoID uint64
	if v := r.URL.Query().Get("idao"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil || n == 0 {
			return nil, badRequest("idao %q: want an iDAO id, a whole number ≥ 1 (absent: every iDAO's workers)", v)
		}
		idaoID = n
	}
	return protoAnswer(s.c.Workers(ctx, idaoID, height))
}

// computeParams answers /v1/compute/params as the module does.
func (s *server) computeParams(ctx context.Context, r *http.Request) (any, error) {
	height, e := heightParam(r)
	if e != nil {
		return nil, e
	}
	p, err := s.c.ComputeParams(ctx, height)
	return protoAnswer(&compute.QueryParamsResponse{Params: p}, err)
}
