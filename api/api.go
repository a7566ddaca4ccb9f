package api

import (
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/lazchain/lazchain/client"
	"github.com/lazchain/lazchain/tx"
)

// Options configure the API server.
type Options struct {
	Client   *client.Client
	Logger   *slog.Logger
	Gatherer prometheus.Gatherer
	// Devnet marks a development chain; the dashboard says so.
	Devnet bool
	// TestAccounts are the devnet's test keys, shown (labelled test-only)
	// on the dashboard.
	TestAccounts []TestAccount
}

// TestAccount is a devnet test key's name and address.
type TestAccount struct {
	Name    string     `json:"name"`
	Address tx.Address `json:"address"`
}

// New returns the API's handler.
func New(o Options) http.Handler {
	mux := http.NewServeMux()
	return mux
}
