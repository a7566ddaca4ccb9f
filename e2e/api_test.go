package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/lazchain/lazchain/blob"
	"github.com/lazchain/lazchain/client"
	"github.com/lazchain/lazchain/x/flow"
	"github.com/lazchain/lazchain/x/service"
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

// The devnet process runs a dev-enclave worker and a demo pool: a
// contribution of the sample file it writes is encrypted, verified and
// anchored, and bob gets the DAT.
func TestDevnetVerifiesAContribution(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	d := newDevnet(t, true)
	d.start(ctx)
	var b struct {
		Flow struct {
			Worker     uint64 `json:"worker"`
			Pool       uint64 `json:"pool"`
			Sample     string `json:"sample_file"`
			DevEnclave bool   `json:"dev_enclave"`
			WorkerAPI  string `json:"worker_api"`
			Service    struct {
				Service    uint64 `json:"service"`
				ModelClass uint64 `json:"model_class"`
				Input      string `json:"example_input"`
			} `json:"service"`
		} `json:"data_pool_demo"`
	}
	line, _ := d.proc.stdout.firstLine()
	if err := json.Unmarshal(line, &b); err != nil || b.Flow.Pool == 0 || b.Flow.Worker == 0 || !b.Flow.DevEnclave {
		t.Fatalf("devnet banner data_pool_demo: %+v %v", b.Flow, err)
	}
	data, err := os.ReadFile(b.Flow.Sample)
	if err != nil {
		t.Fatal(err)
	}
	res, err := d.client.Contribute(ctx, bob, b.Flow.Pool, bytes.NewReader(data), int64(len(data)),
		blob.NewClient("http://"+d.api, nil), nil, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !res.DevWorkers {
		t.Fatal("the devnet's worker was not reported as a dev enclave")
	}
	for {
		c, err := d.client.Contribution(ctx, res.Contribution, 0)
		if err != nil {
			t.Fatal(err)
		}
		if c.Status == flow.StatusAnchored {
			tok, err := d.client.DATToken(ctx, c.Token, 0)
			if err != nil || tok.Token.Owner != bob.Address().String() || tok.Token.ShareRatio == 0 {
				t.Fatalf("minted token %+v %v", tok, err)
			}
			break
		}
		if c.Status != flow.StatusVerifying {
			t.Fatalf("contribution %d is %s: %s", c.Id, c.Status, c.Reason)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("contribution %d still verifying: %+v", c.Id, c)
		case <-time.After(100 * time.Millisecond):
		}
	}

	// The AI demo: dave calls the service on the model trained on bob's
	// seed contribution, through the binary, and the worker settles it.
	if b.Flow.Service.Service == 0 || b.Flow.Service.ModelClass == 0 || b.Flow.WorkerAPI != "http://"+d.worker {
		t.Fatalf("devnet banner's service demo: %+v (worker API %q)", b.Flow.Service, b.Flow.WorkerAPI)
	}
	out, err := exec.CommandContext(ctx, binary, "service", "call", fmt.Sprint(b.Flow.Service.Service), "--input", b.Flow.Service.Input,
		"--from", "dave", "--home", d.home, "--node", "http://"+d.rpc, "-o", "json").Output()
	if err != nil {
		t.Fatalf("lazchain service call: %v\n%s", err, out)
	}
	var call struct {
		Output struct {
			Label int64 `json:"label"`
		} `json:"output"`
		Price  uint64 `json:"price"`
		Worker uint64 `json:"worker"`
	}
	if err := json.Unmarshal(out, &call); err != nil || call.Price == 0 || call.Worker != b.Flow.Worker {
		t.Fatalf("service call printed %s (%v)", out, err)
	}
	for {
		var s service.Service
		if _, err := d.client.Query(ctx, "/service/service", service.ServiceQuery{ID: b.Flow.Service.Service}, &s, 0); err != nil {
			t.Fatal(err)
		}
		if s.Totals.Calls == 1 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the call was never settled: %+v", s.Totals)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
