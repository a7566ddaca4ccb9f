package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"google.golang.org/protobuf/proto"

	"github.com/lazchain/lazchain/client"
	"github.com/lazchain/lazchain/x/flow"
	"github.com/lazchain/lazchain/x/service"
)

// serviceAnswer is protoAnswer with the service module's "no such
// service" as a 404 too.
func serviceAnswer(m proto.Message, err error) (any, error) {
	var qe *client.QueryError
	if errors.As(err, &qe) && errors.Is(qe, service.ErrNotFound) {
		return nil, &apiError{Message: qe.Error(), Codespace: qe.Codespace, Code: qe.Code, status: http.StatusNotFound}
	}
	return protoAnswer(m, err)
}

// optionalID reads an optional positive id from the query string.
func optionalID(r *http.Request, name, absent string) (uint64, *apiError) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil || n == 0 {
		return 0, badRequest("%s %q: want an id, a whole number ≥ 1 (absent: %s)", name, v, absent)
	}
	return n, nil
}

// services answers /v1/services: a page of services in id order, every
// service or (?idao=) one iDAO's.
func (s *server) services(ctx context.Context, r *http.Request) (any, error) {
	after, limit, height, e := pageParams(r)
	if e != nil {
		return nil, e
	}
	idaoID, e := optionalID(r, "idao", "every iDAO's services")
	if e != nil {
		return nil, e
	}
	return serviceAnswer(s.c.Services(ctx, idaoID, after, limit, height))
}

// serviceShow answers /v1/services/{service}.
func (s *server) serviceShow(ctx context.Context, r *http.Request) (any, error) {
	id, e := idParam(r, "service")
	if e != nil {
		return nil, e
	}
	height, e := heightParam(r)
	if e != nil {
		return nil, e
	}
	return serviceAnswer(s.c.Service(ctx, id, height))
}

// serviceEscrow answers /v1/services/{service}/escrow/{consumer}: the
// consumer's escrow for the service (zero when it never deposited); a
// service that does not exist is a 404.
func (s *server) serviceEscrow(ctx context.Context, r *http.Request) (any, error) {
	id, e := idParam(r, "service")
	if e != nil {
		return nil, e
	}
	consumer, e := addressParam(r.PathValue("consumer"), "the path")
	if e != nil {
		return nil, e
	}
	height, e := heightParam(r)
	if e != nil {
		return nil, e
	}
	return serviceAnswer(s.c.Escrow(ctx, consumer, id, height))
}

// serviceParams answers /v1/service/params as the module does.
func (s *server) serviceParams(ctx context.Context, r *http.Request) (any, error) {
	height, e := heightParam(r)
	if e != nil {
		return nil, e
	}
	return serviceAnswer(s.c.ServiceParams(ctx, height))
}

// flowModels answers /v1/flow/models: a page of models in id order, every
// model, a pool's (?pool=) or those still assigned to a worker (?worker=);
// a pool or worker that does not exist is a 404, not an empty page.
func (s *server) flowModels(ctx context.Context, r *http.Request) (any, error) {
	after, limit, height, e := pageParams(r)
	if e != nil {
		return nil, e
	}
	pool, e := optionalID(r, "pool", "every pool's models")
	if e != nil {
		return nil, e
	}
	worker, e := optionalID(r, "worker", "every worker's models")
	if e != nil {
		return nil, e
	}
	if pool != 0 && worker != 0 {
		return nil, badRequest("give at most one of ?pool=ID and ?worker=ID")
	}
	if pool != 0 {
		if _, err := s.c.Pool(ctx, pool, height); err != nil {
			return nil, moduleNotFound(err)
		}
	}
	if worker != 0 {
		if _, err := s.c.Worker(ctx, worker, height); err != nil {
			return nil, moduleNotFound(err)
		}
	}
	return protoAnswer(s.c.Models(ctx, flow.ModelsQuery{Pool: pool, Worker: worker, After: after, Limit: limit}, height))
}
