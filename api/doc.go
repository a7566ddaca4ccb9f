// Package api is the node's HTTP API: JSON REST over the same reads the CLI
// offers, POST /v1/txs for signed tx bytes, the OpenAPI document at
// /openapi.json, Prometheus metrics at /metrics and a small dashboard at /.
// Every handler goes through the Go SDK (client), like any other user.
//
// Every error is answered as JSON {"error": sentence, "codespace", "code"},
// the code being the app's registered one when the chain refused something.
// Routes lists what New serves; the embedded openapi.json describes exactly
// that, and the package's tests hold the two together.
package api
