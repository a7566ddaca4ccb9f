package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lazchain/lazchain/client"
)

func get(t *testing.T, url string) string {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s: %s", url, res.Status, body)
	}
	return string(body)
}

// The devnet process serves the API with CometBFT's and the app's metrics,
// the OpenAPI document and a dashboard that labels the test keys.
func TestDevnetServesAPIAndMetrics(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	d := newDevnet(t, true)
	d.start(ctx)
	sent, err := d.client.Send(ctx, alice, bob.Address(), 1_000_000, client.TxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	api := "http://" + d.api

	metrics := get(t, api+"/metrics")
	for _, series := range []string{
		"cometbft_consensus_height", "cometbft_mempool_size",
		`lazchain_txs_total{code="0",codespace="",module="bank"}`,
		"lazchain_block_height", "lazchain_block_interval_seconds_bucket", "lazchain_state_keys", "lazchain_state_disk_bytes",
	} {
		if !strings.Contains(metrics, series) {
			t.Errorf("/metrics has no %s", series)
		}
	}

	var doc struct {
		OpenAPI string         `json:"openapi"`
		Paths   map[string]any `json:"paths"`
	}
	if err := json.Unmarshal([]byte(get(t, api+"/openapi.json")), &doc); err != nil || doc.OpenAPI == "" || doc.Paths["/v1/txs"] == nil {
		t.Fatalf("openapi.json: %v %+v", err, doc.OpenAPI)
	}

	var bal struct {
		Amount string `json:"amount"`
	}
	json.Unmarshal([]byte(get(t, api+"/v1/bank/balances/"+bob.Address().String())), &bal)
	if bal.Amount == "" || bal.Amount == "0" {
		t.Fatalf("bob's balance over the API: %+v", bal)
	}
	var txr client.TxResult
	json.Unmarshal([]byte(get(t, api+"/v1/txs/"+sent.Hash)), &txr)
	if txr.Height != sent.Height {
		t.Fatalf("tx over the API: %+v", txr)
	}

	page := get(t, api+"/")
	if !strings.Contains(page, "TEST-ONLY") || !strings.Contains(page, alice.Address().String()) {
		t.Fatalf("the dashboard does not show the test keys as test-only")
	}
}
