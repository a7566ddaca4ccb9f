package api

import (
	_ "embed"
	"fmt"
	"github.com/lazchain/lazchain/blob"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/lazchain/lazchain/client"
	"github.com/lazchain/lazchain/tx"
)

// Defaults of the limits in Options.
const (
	// DefaultMaxBodyBytes bounds a POST body: room for the largest tx the
	// chain's default parameters allow (1 MiB), base64-encoded in JSON.
	DefaultMaxBodyBytes = 2 << 20
	// DefaultRequestTimeout bounds one read, proofs included.
	DefaultRequestTimeout = 30 * time.Second
	// DefaultCommitTimeout is how long POST /v1/txs in commit mode waits for
	// the tx's block unless ?timeout= says otherwise.
	DefaultCommitTimeout = 30 * time.Second
	// MaxCommitTimeout is the longest ?timeout= accepted.
	MaxCommitTimeout = 5 * time.Minute
)

// Options configure the API server.
type Options struct {
	// Client is the SDK every handler reads and broadcasts through; required.
	Client *client.Client
	// Logger receives one debug line per request; nil discards.
	Logger *slog.Logger
	// Gatherer is served at /metrics; nil turns /metrics off (404).
	Gatherer prometheus.Gatherer
	// Devnet marks a development chain; the dashboard says so.
	Devnet bool
	// TestAccounts are the devnet's test keys, shown (labelled test-only)
	// on the dashboard.
	TestAccounts []TestAccount
	// MaxBodyBytes bounds a request body; larger ones get 413. Zero means
	// DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// RequestTimeout bounds each read, a proof's wait for the next signed
	// header included. Zero means DefaultRequestTimeout.
	RequestTimeout time.Duration
	// Blobs, when set, is served at /v1/blobs/{sha256} (PUT, GET, HEAD,
	// DELETE) with Blob's limits and deletion rule.
	Blobs blob.Store
	Blob  blob.Options
}

// TestAccount is a devnet test key's name and address.
type TestAccount struct {
	Name    string     `json:"name"`
	Address tx.Address `json:"address"`
}

// Route is one endpoint of the API: a method and a net/http path pattern.
type Route struct {
	Method  string
	Pattern string
}

// OpenAPIPath is the route's path as the OpenAPI document writes it:
// "{key...}" becomes "{key}" and the root pattern "/{$}" becomes "/".
func (r Route) OpenAPIPath() string {
	p := strings.ReplaceAll(r.Pattern, "...}", "}")
	return strings.ReplaceAll(p, "{$}", "")
}

//go:embed openapi.json
var openAPIDoc []byte

// server holds what the handlers share.
type server struct {
	c              *client.Client
	log            *slog.Logger
	metricsHandler http.Handler // nil when metrics are off
	devnet         bool
	accounts       []TestAccount
	maxBody        int64
	requestTimeout time.Duration
}

type route struct {
	Route
	handler http.HandlerFunc
}

// routes is the API: New registers exactly these, and Routes lists them.
func (s *server) routes() []route {
	r := func(method, pattern string, h http.HandlerFunc) route {
		return route{Route{Method: method, Pattern: pattern}, h}
	}
	return []route{
		r("GET", "/v1/status", s.read(s.status)),
		r("GET", "/v1/bank/balances/{address}", s.read(s.balance)),
		r("GET", "/v1/bank/balances", s.read(s.balances)),
		r("GET", "/v1/bank/supply", s.read(s.supply)),
		r("GET", "/v1/accounts/{address}", s.read(s.account)),
		r("GET", "/v1/params", s.read(s.params)),
		r("GET", "/v1/txs/{hash}", s.read(s.tx)),
		r("POST", "/v1/txs", s.broadcast),
		r("GET", "/v1/blocks/latest", s.read(s.latestBlock)),
		r("GET", "/v1/blocks/{height}", s.read(s.block)),
		r("GET", "/v1/state/{key...}", s.read(s.state)),
		r("GET", "/v1/idaos", s.read(s.idaoList)),
		r("GET", "/v1/idaos/{idao}", s.read(s.idaoShow)),
		r("GET", "/v1/idaos/{idao}/members", s.read(s.idaoMembers)),
		r("GET", "/v1/idaos/{idao}/proposals", s.read(s.idaoProposals)),
		r("GET", "/v1/idaos/{idao}/proposals/{proposal}", s.read(s.idaoProposal)),
		r("GET", "/v1/idaos/{idao}/agreements", s.read(byID("idao", s.c.Agreements))),
		r("GET", "/v1/dat/classes", s.read(s.datClasses)),
		r("GET", "/v1/dat/classes/{class}", s.read(byID("class", s.c.DATClass))),
		r("GET", "/v1/dat/classes/{class}/lineage", s.read(s.datLineage)),
		r("GET", "/v1/dat/classes/{class}/tokens", s.read(s.datClassTokens)),
		r("GET", "/v1/dat/tokens", s.read(s.datOwnerTokens)),
		r("GET", "/v1/dat/tokens/{token}", s.read(byID("token", s.c.DATToken))),
		r("GET", "/v1/dat/pending", s.read(s.datPending)),
		r("GET", "/v1/flow/pools", s.read(s.flowPools)),
		r("GET", "/v1/flow/pools/{pool}", s.read(byID("pool", s.c.Pool))),
		r("GET", "/v1/flow/pools/{pool}/contributions", s.read(s.flowPoolContributions)),
		r("GET", "/v1/flow/contributions/{contribution}", s.read(byID("contribution", s.c.Contribution))),
		r("GET", "/v1/flow/models", s.read(s.flowModels)),
		r("GET", "/v1/flow/models/{model}", s.read(byID("model", s.c.Model))),
		r("GET", "/v1/compute/workers", s.read(s.computeWorkers)),
		r("GET", "/v1/compute/workers/{worker}", s.read(byID("worker", s.c.Worker))),
		r("GET", "/v1/compute/params", s.read(s.computeParams)),
		r("GET", "/v1/staking/validators", s.read(s.stakingValidators)),
		r("GET", "/v1/staking/validators/{idao}", s.read(s.stakingValidator)),
		r("GET", "/v1/staking/delegations", s.read(s.stakingDelegations)),
		r("GET", "/v1/staking/params", s.read(s.stakingParams)),
		r("GET", "/v1/services", s.read(s.services)),
		r("GET", "/v1/services/{service}", s.read(s.serviceShow)),
		r("GET", "/v1/services/{service}/escrow/{consumer}", s.read(s.serviceEscrow)),
		r("GET", "/v1/service/params", s.read(s.serviceParams)),
		r("GET", "/openapi.json", s.openAPI),
		r("GET", "/metrics", s.metrics),
		r("GET", "/{$}", s.dashboard),
	}
}

// Routes lists every route the API serves, in the order New registers them.
// The OpenAPI document at /openapi.json describes exactly these.
func Routes() []Route {
	var s server
	rs := s.routes()
	out := make([]Route, len(rs))
	for i, r := range rs {
		out[i] = r.Route
	}
	return out
}

// New returns the API's handler. It panics if o.Client is nil: a server
// with no node behind it is a programming error.
func New(o Options) http.Handler {
	if o.Client == nil {
		panic("api.New: Options.Client is nil")
	}
	s := &server{
		c: o.Client, log: o.Logger, devnet: o.Devnet,
		accounts: o.TestAccounts, maxBody: o.MaxBodyBytes, requestTimeout: o.RequestTimeout,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.maxBody <= 0 {
		s.maxBody = DefaultMaxBodyBytes
	}
	if s.requestTimeout <= 0 {
		s.requestTimeout = DefaultRequestTimeout
	}
	if o.Gatherer != nil {
		s.metricsHandler = promhttp.HandlerFor(o.Gatherer, promhttp.HandlerOpts{ErrorLog: slogPromLogger{s.log}})
	}
	mux := http.NewServeMux()
	for _, r := range s.routes() {
		mux.HandleFunc(r.Method+" "+r.Pattern, r.handler)
	}
	if o.Blobs != nil {
		blob.Register(mux, o.Blobs, o.Blob)
	}
	return s.logRequests(s.jsonFallbacks(mux))
}

// jsonFallbacks answers what mux has no route for with JSON: 405 (with
// Allow) when the path exists for another method, 404 otherwise.
// ServeMux's own answers are plain text.
func (s *server) jsonFallbacks(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		var allowed []string
		for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
			if m == r.Method {
				continue
			}
			probe := r.Clone(r.Context())
			probe.Method = m
			if _, pattern := mux.Handler(probe); pattern != "" {
				allowed = append(allowed, m)
			}
		}
		if len(allowed) > 0 {
			w.Header().Set("Allow", strings.Join(allowed, ", "))
			writeError(w, http.StatusMethodNotAllowed, &apiError{
				Message: r.Method + " is not allowed on " + r.URL.Path + "; use " + strings.Join(allowed, " or "),
			})
			return
		}
		writeError(w, http.StatusNotFound, &apiError{
			Message: "no route " + r.Method + " " + r.URL.Path + "; the API's routes are listed in /openapi.json",
		})
	})
}

// logRequests logs each request at debug level once it is answered.
func (s *server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		s.log.LogAttrs(r.Context(), slog.LevelDebug, "api request",
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", rec.status), slog.Int64("bytes", rec.bytes),
			slog.Duration("took", time.Since(start)), slog.String("remote", r.RemoteAddr))
	})
}

// statusRecorder remembers the status and size of a response.
type statusRecorder struct {
	http.ResponseWriter
	status      int
	bytes       int64
	wroteHeader bool
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.wroteHeader {
		r.status, r.wroteHeader = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	r.wroteHeader = true
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// openAPI serves the embedded OpenAPI document.
func (s *server) openAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(openAPIDoc)
}

// metrics serves the Prometheus exposition of the configured gatherer.
func (s *server) metrics(w http.ResponseWriter, r *http.Request) {
	if s.metricsHandler == nil {
		writeError(w, http.StatusNotFound, &apiError{
			Message: "metrics are off on this node: start it with metrics enabled to serve /metrics",
		})
		return
	}
	s.metricsHandler.ServeHTTP(w, r)
}

// slogPromLogger passes promhttp's gathering errors to the API's logger.
type slogPromLogger struct{ log *slog.Logger }

func (l slogPromLogger) Println(v ...any) {
	l.log.Warn("metrics: gathering failed", "err", strings.TrimSpace(fmt.Sprintln(v...)))
}
