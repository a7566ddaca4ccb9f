package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"google.golang.org/protobuf/proto"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/client"
	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/compute"
	"github.com/lazchain/lazchain/x/dat"
	"github.com/lazchain/lazchain/x/flow"
	"github.com/lazchain/lazchain/x/idao"
)

// protoAnswer encodes a module's query answer as the chain does: protojson
// with the .proto field names, 64-bit integers as strings.
func protoAnswer(m proto.Message, err error) (any, error) {
	if err != nil {
		return nil, moduleNotFound(err)
	}
	bz, err := chain.EncodeJSON(m)
	if err != nil {
		return nil, &apiError{Message: "the API could not encode the answer: " + err.Error(), status: http.StatusInternalServerError}
	}
	return json.RawMessage(bz), nil
}

// moduleNotFound turns a module's "no such iDAO/proposal/class/token/
// pool/contribution/worker" into a 404; other errors go on to classify.
func moduleNotFound(err error) error {
	var qe *client.QueryError
	if errors.As(err, &qe) && (errors.Is(qe, idao.ErrNotFound) || errors.Is(qe, dat.ErrNotFound) ||
		errors.Is(qe, flow.ErrNotFound) || errors.Is(qe, compute.ErrNotFound)) {
		return &apiError{Message: qe.Error(), Codespace: qe.Codespace, Code: qe.Code, status: http.StatusNotFound}
	}
	return err
}

// idParam reads a positive id from the path.
func idParam(r *http.Request, name string) (uint64, *apiError) {
	v := r.PathValue(name)
	id, err := strconv.ParseUint(v, 10, 64)
	if err != nil || id == 0 {
		return 0, badRequest("%s %q: want a positive whole number", name, v)
	}
	return id, nil
}

// pageParams reads ?after= (an id) and ?limit= and ?height=.
func pageParams(r *http.Request) (after uint64, limit int, height int64, e *apiError) {
	q := r.URL.Query()
	if v := q.Get("after"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return 0, 0, 0, badRequest("after %q: want the id ending the previous page", v)
		}
		after = n
	}
	if limit, e = limitParam(r); e != nil {
		return
	}
	height, e = heightParam(r)
	return
}

func limitParam(r *http.Request) (int, *apiError) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return 100, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 1000 {
		return 0, badRequest("limit %q: want a whole number from 1 to 1000", v)
	}
	return n, nil
}

// byID answers a route that reads one record by the id in the path value
// param, at ?height=.
func byID[M proto.Message](param string, fetch func(context.Context, uint64, int64) (M, error)) readFunc {
	return func(ctx context.Context, r *http.Request) (any, error) {
		id, e := idParam(r, param)
		if e != nil {
			return nil, e
		}
		height, e := heightParam(r)
		if e != nil {
			return nil, e
		}
		return protoAnswer(fetch(ctx, id, height))
	}
}

func (s *server) idaoList(ctx context.Context, r *http.Request) (any, error) {
	after, limit, height, e := pageParams(r)
	if e != nil {
		return nil, e
	}
	return protoAnswer(s.c.IDAOs(ctx, after, limit, height))
}

// idaoShow answers /v1/idaos/{idao}, where {idao} is an id or a name
// (names have a letter, so the two never clash).
func (s *server) idaoShow(ctx context.Context, r *http.Request) (any, error) {
	height, e := heightParam(r)
	if e != nil {
		return nil, e
	}
	v := r.PathValue("idao")
	id, err := strconv.ParseUint(v, 10, 64)
	if err != nil || id == 0 {
		return protoAnswer(s.c.IDAOByName(ctx, v, height))
	}
	return protoAnswer(s.c.IDAO(ctx, id, height))
}

func (s *server) idaoMembers(ctx context.Context, r *http.Request) (any, error) {
	id, e := idParam(r, "idao")
	if e != nil {
		return nil, e
	}
	limit, e := limitParam(r)
	if e != nil {
		return nil, e
	}
	height, e := heightParam(r)
	if e != nil {
		return nil, e
	}
	after := r.URL.Query().Get("after")
	if after != "" {
		a, e := addressParam(after, "?after=")
		if e != nil {
			return nil, e
		}
		after = a.String()
	}
	return protoAnswer(s.c.Members(ctx, id, after, limit, height))
}

func (s *server) idaoProposals(ctx context.Context, r *http.Request) (any, error) {
	id, e := idParam(r, "idao")
	if e != nil {
		return nil, e
	}
	after, limit, height, e := pageParams(r)
	if e != nil {
		return nil, e
	}
	status := r.URL.Query().Get("status")
	if status != "" && status != "open" && status != "closed" {
		return nil, badRequest("status %q: want open or closed (absent: all)", status)
	}
	return protoAnswer(s.c.Proposals(ctx, id, status, after, limit, height))
}

func (s *server) idaoProposal(ctx context.Context, r *http.Request) (any, error) {
	id, e := idParam(r, "idao")
	if e != nil {
		return nil, e
	}
	pid, e := idParam(r, "proposal")
	if e != nil {
		return nil, e
	}
	height, e := heightParam(r)
	if e != nil {
		return nil, e
	}
	return protoAnswer(s.c.Proposal(ctx, id, pid, height))
}

func (s *server) datClasses(ctx context.Context, r *http.Request) (any, error) {
	after, limit, height, e := pageParams(r)
	if e != nil {
		return nil, e
	}
	var owner uint64
	if v := r.URL.Query().Get("idao"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil || n == 0 {
			return nil, badRequest("idao %q: want an iDAO id", v)
		}
		owner = n
	}
	return protoAnswer(s.c.DATClasses(ctx, owner, after, limit, height))
}

func (s *server) datLineage(ctx context.Context, r *http.Request) (any, error) {
	id, e := idParam(r, "class")
	if e != nil {
		return nil, e
	}
	limit, e := limitParam(r)
	if e != nil {
		return nil, e
	}
	height, e := heightParam(r)
	if e != nil {
		return nil, e
	}
	return protoAnswer(s.c.DATLineage(ctx, id, limit, height))
}

func (s *server) datClassTokens(ctx context.Context, r *http.Request) (any, error) {
	id, e := idParam(r, "class")
	if e != nil {
		return nil, e
	}
	after, limit, height, e := pageParams(r)
	if e != nil {
		return nil, e
	}
	// A class that does not exist is the module's not-found: a 404.
	return protoAnswer(s.c.DATTokens(ctx, dat.TokensQuery{Class: id, After: after, Limit: limit}, height))
}

func (s *server) datOwnerTokens(ctx context.Context, r *http.Request) (any, error) {
	owner, e := addressParam(r.URL.Query().Get("owner"), "?owner=")
	if e != nil {
		return nil, e
	}
	after, limit, height, e := pageParams(r)
	if e != nil {
		return nil, e
	}
	return protoAnswer(s.c.DATTokens(ctx, dat.TokensQuery{Owner: owner.String(), After: after, Limit: limit}, height))
}

func (s *server) datPending(ctx context.Context, r *http.Request) (any, error) {
	height, e := heightParam(r)
	if e != nil {
		return nil, e
	}
	q := r.URL.Query()
	owner, token := q.Get("owner"), q.Get("token")
	if (owner == "") == (token == "") {
		return nil, badRequest("give exactly one of ?owner=ADDRESS and ?token=ID")
	}
	if token != "" {
		id, err := strconv.ParseUint(token, 10, 64)
		if err != nil || id == 0 {
			return nil, badRequest("token %q: want a token id", token)
		}
		return protoAnswer(s.c.DATPending(ctx, tx.Address{}, id, height))
	}
	a, e := addressParam(owner, "?owner=")
	if e != nil {
		return nil, e
	}
	return protoAnswer(s.c.DATPending(ctx, a, 0, height))
}
