package api

import (
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/lazchain/lazchain/client"
)

// Options configure the API server.
type Options struct {
	Client   *client.Client
	Logger   *slog.Logger
	Gatherer prometheus.Gatherer
}

// New returns the API's handler.
func New(o Options) http.Handler {
	mux := http.NewServeMux()
	return mux
}
