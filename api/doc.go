// Package api is the node's HTTP API: JSON REST over the same reads the CLI
// offers, POST /v1/txs for signed tx bytes, the OpenAPI document at
// /openapi.json, Prometheus metrics at /metrics and a small dashboard at /.
// Every handler goes through the Go SDK (client), like any other user.
package api
