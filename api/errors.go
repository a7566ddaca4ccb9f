package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/lazchain/lazchain/app"
	"github.com/lazchain/lazchain/client"
	"github.com/lazchain/lazchain/codes"
	"github.com/lazchain/lazchain/tx"
)

// apiError is the body of every error response: a sentence a person can act
// on and, when the chain refused something, the registered code.
type apiError struct {
	Message   string `json:"error"`
	Codespace string `json:"codespace,omitempty"`
	Code      uint32 `json:"code,omitempty"`
	// status is the HTTP status when a read returns the error; 0 is 400.
	status int
}

func (e *apiError) Error() string { return e.Message }

// notFound is a 404 with a sentence saying why.
func notFound(format string, args ...any) *apiError {
	return &apiError{Message: fmt.Sprintf(format, args...), status: http.StatusNotFound}
}

func badRequest(format string, args ...any) *apiError {
	return &apiError{Message: fmt.Sprintf(format, args...)}
}

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // answers are JSON, never pasted into HTML
	if err := enc.Encode(v); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		enc.Encode(apiError{Message: "the API could not encode its answer: " + err.Error()})
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// writeError answers with an error body.
func writeError(w http.ResponseWriter, status int, e *apiError) {
	writeJSON(w, status, e)
}

// nodeError answers an error the SDK returned, with the status that says
// whose fault it was: the request's (4xx, with the app's code when it has
// one) or the node's (5xx).
func (s *server) nodeError(w http.ResponseWriter, err error) {
	status, e := classify(err)
	writeError(w, status, e)
}

func classify(err error) (int, *apiError) {
	var qe *client.QueryError
	var te *client.TxError
	switch {
	case errors.As(err, &qe):
		e := &apiError{Message: qe.Error(), Codespace: qe.Codespace, Code: qe.Code}
		switch {
		case errors.Is(qe, app.ErrNoSuchVersion):
			return http.StatusNotFound, e
		case errors.Is(qe, codes.Internal), errors.Is(qe, app.ErrUnknownQuery):
			return http.StatusBadGateway, e
		}
		return http.StatusBadRequest, e
	case errors.As(err, &te):
		return http.StatusUnprocessableEntity, &apiError{Message: te.Error(), Codespace: te.Codespace, Code: te.Code}
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout, &apiError{Message: "the node did not answer in time: " + err.Error()}
	case errors.Is(err, context.Canceled):
		return http.StatusServiceUnavailable, &apiError{Message: "the request was cancelled before the node answered: " + err.Error()}
	}
	return http.StatusBadGateway, &apiError{Message: "the node could not answer: " + err.Error()}
}

// heightParam reads ?height=: a committed height, 0 or absent for the latest.
func heightParam(r *http.Request) (int64, *apiError) {
	v := r.URL.Query().Get("height")
	if v == "" {
		return 0, nil
	}
	h, err := strconv.ParseInt(v, 10, 64)
	if err != nil || h < 0 {
		return 0, badRequest("height %q: want a block height, a whole number ≥ 0 (0 or absent: the latest)", v)
	}
	return h, nil
}

// addressParam reads an address from the path or the query; where names
// the place in the error.
func addressParam(s, where string) (tx.Address, *apiError) {
	a, err := tx.ParseAddress(s)
	if err != nil {
		return tx.Address{}, badRequest("%v (in %s)", err, where)
	}
	return a, nil
}
