package client

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/compute"
	"github.com/lazchain/lazchain/x/service"
)

// The paid-call wire protocol, in the spirit of the x402 convention: the
// consumer sends its signed voucher base64-encoded in the X-PAYMENT
// header; a call without a valid one is answered 402 Payment Required
// with a PaymentRequired body that says what to pay, where and how; a
// served call's receipt comes back in the body and, base64-encoded, in the
// X-PAYMENT-RESPONSE header.
const (
	PaymentHeader         = "X-PAYMENT"
	PaymentResponseHeader = "X-PAYMENT-RESPONSE"
	X402Version           = 1
	// PaymentScheme names LazChain's voucher scheme.
	PaymentScheme = "lazchain-voucher"
	// MaxInferBody bounds a call's request and response bodies.
	MaxInferBody = 1 << 20
)

// InferPath is the path of a service's inference endpoint on a worker.
func InferPath(svc uint64) string { return "/v1/services/" + strconv.FormatUint(svc, 10) + "/infer" }

// Payment is the X-PAYMENT header's content (before base64).
type Payment struct {
	X402Version int            `json:"x402Version"`
	Scheme      string         `json:"scheme"`
	Network     string         `json:"network"`
	Payload     PaymentPayload `json:"payload"`
}

// PaymentPayload is a signed voucher.
type PaymentPayload struct {
	Voucher   *service.Voucher `json:"voucher"`
	Signature string           `json:"signature"`
}

// PaymentRequired is the body of a 402 answer.
type PaymentRequired struct {
	X402Version int                   `json:"x402Version"`
	Error       string                `json:"error"`
	Accepts     []PaymentRequirements `json:"accepts"`
}

// PaymentRequirements says how to pay for a call.
type PaymentRequirements struct {
	Scheme            string       `json:"scheme"`
	Network           string       `json:"network"`
	MaxAmountRequired string       `json:"maxAmountRequired"`
	Asset             string       `json:"asset"`
	PayTo             string       `json:"payTo"`
	Resource          string       `json:"resource"`
	Description       string       `json:"description"`
	MimeType          string       `json:"mimeType"`
	MaxTimeoutSeconds int64        `json:"maxTimeoutSeconds"`
	Extra             PaymentExtra `json:"extra"`
}

// PaymentExtra is what LazChain's scheme adds: the service, its model and
// the two ways to pay.
type PaymentExtra struct {
	Service         uint64 `json:"service"`
	ModelClass      uint64 `json:"model_class"`
	ModelCommitment string `json:"model_commitment"`
	Worker          uint64 `json:"worker"`
	PricePerCall    string `json:"price_per_call"`
	// Escrow and Usage are the commands that fund calls.
	Escrow string `json:"escrow"`
	Usage  string `json:"usage"`
	// MinExpirySeconds is how far ahead a voucher must expire, so the
	// worker has time to settle it.
	MinExpirySeconds int64 `json:"min_expiry_seconds"`
	// NonceFloor: nonces below it are closed on chain for the consumer.
	NonceFloor uint64 `json:"nonce_floor,omitempty"`
}

// InferResponse is the body of a served call.
type InferResponse struct {
	Output  json.RawMessage  `json:"output"`
	Receipt *service.Receipt `json:"receipt"`
}

// PaymentRequiredError is a call answered 402.
type PaymentRequiredError struct{ Body PaymentRequired }

func (e *PaymentRequiredError) Error() string {
	msg := "payment required: " + e.Body.Error
	if len(e.Body.Accepts) > 0 {
		x := e.Body.Accepts[0].Extra
		msg += fmt.Sprintf(" (price %s ulaz per call; fund calls with `%s` or `%s`)", x.PricePerCall, x.Escrow, x.Usage)
	}
	return msg
}

// NonceStore hands out a consumer's voucher nonces for calls to one
// worker. Nonces should grow one by one: the chain keeps a window of open
// nonces per consumer and worker, and a nonce far above the others closes
// the ones below the window.
type NonceStore interface {
	Next(consumer tx.Address, worker, floor uint64) (uint64, error)
}

// FileNonces keeps each consumer's last nonce at each worker in a file
// under dir.
func FileNonces(dir string) NonceStore { return &fileNonces{dir: dir} }

type fileNonces struct {
	dir string
	mu  sync.Mutex
}

func (f *fileNonces) Next(consumer tx.Address, worker, floor uint64) (uint64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := os.MkdirAll(f.dir, 0o700); err != nil {
		return 0, fmt.Errorf("nonce store: %w", err)
	}
	path := filepath.Join(f.dir, consumer.String()+"-worker-"+strconv.FormatUint(worker, 10))
	var last uint64
	if b, err := os.ReadFile(path); err == nil {
		if last, err = strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64); err != nil {
			return 0, fmt.Errorf("nonce store %s: %w", path, err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return 0, fmt.Errorf("nonce store: %w", err)
	}
	next := max(last+1, floor)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(strconv.FormatUint(next, 10)+"\n"), 0o600); err != nil {
		return 0, fmt.Errorf("nonce store: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return 0, fmt.Errorf("nonce store: %w", err)
	}
	return next, nil
}

// CallOptions say how to call a service.
type CallOptions struct {
	Service uint64
	// Input is the model's input, JSON.
	Input []byte
	// MaxPrice is the most the call may cost, in ulaz (0: the service's
	// price per call).
	MaxPrice uint64
	// Token, when not 0, pays with usage value of a token of the service's
	// model class; 0 pays from the consumer's escrow.
	Token uint64
	// Nonce is the voucher's nonce (0: the next from Nonces).
	Nonce  uint64
	Nonces NonceStore
	// Expiry is how long the voucher stays valid (default 10 minutes).
	Expiry time.Duration
	// Worker picks one of the service's workers (0: the first that
	// answers); Endpoint overrides its registered endpoint.
	Worker   uint64
	Endpoint string
	// HTTP is the HTTP client (default: a client with a 60 s timeout).
	HTTP *http.Client
}

// CallResult is a served, verified call.
type CallResult struct {
	Output   json.RawMessage  `json:"output"`
	Receipt  *service.Receipt `json:"receipt"`
	Price    uint64           `json:"price"`
	Worker   uint64           `json:"worker"`
	Endpoint string           `json:"endpoint"`
	Nonce    uint64           `json:"nonce"`
}

var defaultHTTP = &http.Client{Timeout: 60 * time.Second}

// CallService signs a voucher for one call, sends it to one of the
// service's workers and verifies the answer's receipt: the enclave
// signature of the worker's registered key, the voucher as sent, the
// output's hash, the model commitment the service names, and a price no
// higher than the voucher allows.
func (c *Client) CallService(ctx context.Context, signer tx.Signer, o CallOptions) (*CallResult, error) {
	var svc service.Service
	if _, err := c.Query(ctx, "/service/service", service.ServiceQuery{ID: o.Service}, &svc, 0); err != nil {
		return nil, err
	}
	if !json.Valid(o.Input) {
		return nil, errors.New("the input is not valid JSON")
	}
	if len(o.Input) > MaxInferBody {
		return nil, fmt.Errorf("the input is %d bytes, at most %d", len(o.Input), MaxInferBody)
	}
	price, err := tx.ParseBaseUnits(svc.PricePerCall)
	if err != nil {
		return nil, err
	}
	maxPrice := o.MaxPrice
	if maxPrice == 0 {
		maxPrice = price
	}
	chainID, err := c.ChainID(ctx)
	if err != nil {
		return nil, err
	}
	if o.Nonce == 0 && o.Nonces == nil {
		return nil, errors.New("no nonce and no nonce store: set CallOptions.Nonce or Nonces")
	}
	expiry := o.Expiry
	if expiry == 0 {
		expiry = 10 * time.Minute
	}
	workers := svc.Workers
	if o.Worker != 0 {
		workers = []uint64{o.Worker}
	}
	var errs []error
	for _, id := range workers {
		var w compute.Worker
		if _, err := c.Query(ctx, "/compute/worker", compute.WorkerQuery{ID: id}, &w, 0); err != nil {
			return nil, err
		}
		endpoint := cmp.Or(o.Endpoint, w.Endpoint)
		if endpoint == "" {
			errs = append(errs, fmt.Errorf("worker %d registered no endpoint", id))
			continue
		}
		// The voucher names the worker: a nonce of the consumer's window
		// at that worker.
		nonce := o.Nonce
		if nonce == 0 {
			var ns service.NonceSet
			if _, err := c.Query(ctx, "/service/nonces", service.NoncesQuery{Consumer: signer.Address().String(), Worker: id}, &ns, 0); err != nil {
				return nil, err
			}
			if nonce, err = o.Nonces.Next(signer.Address(), id, max(ns.Base, 1)); err != nil {
				return nil, err
			}
		}
		v := &service.Voucher{
			ChainId: chainID, Service: svc.Id, RequestHash: service.RequestHash(o.Input), MaxPrice: tx.FormatBaseUnits(maxPrice),
			Nonce: nonce, Expiry: time.Now().Add(expiry).Unix(), Consumer: signer.Address().String(), Token: o.Token, Worker: id,
		}
		sig, err := service.SignVoucher(v, signer)
		if err != nil {
			return nil, err
		}
		header, err := EncodePayment(&Payment{X402Version: X402Version, Scheme: PaymentScheme, Network: chainID, Payload: PaymentPayload{Voucher: v, Signature: sig}})
		if err != nil {
			return nil, err
		}
		res, err := callWorker(ctx, cmp.Or(o.HTTP, defaultHTTP), endpoint, svc.Id, o.Input, header)
		var pr *PaymentRequiredError
		if errors.As(err, &pr) {
			return nil, err
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("worker %d at %s: %w", id, endpoint, err))
			continue
		}
		if err := verifyCall(&svc, &w, v, sig, maxPrice, res); err != nil {
			return nil, fmt.Errorf("worker %d's answer does not verify: %w", id, err)
		}
		got, _ := tx.ParseBaseUnits(res.Receipt.Price)
		return &CallResult{Output: res.Output, Receipt: res.Receipt, Price: got, Worker: id, Endpoint: endpoint, Nonce: nonce}, nil
	}
	return nil, fmt.Errorf("no worker of service %d served the call: %w", svc.Id, errors.Join(errs...))
}

// EncodePayment renders an X-PAYMENT header value.
func EncodePayment(p *Payment) (string, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

// DecodePayment reads an X-PAYMENT header value.
func DecodePayment(s string) (*Payment, error) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("the %s header is not base64: %w", PaymentHeader, err)
	}
	var p Payment
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("the %s header is not a payment: %w", PaymentHeader, err)
	}
	if p.Payload.Voucher == nil {
		return nil, fmt.Errorf("the %s header carries no voucher", PaymentHeader)
	}
	return &p, nil
}

func callWorker(ctx context.Context, hc *http.Client, endpoint string, svc uint64, input []byte, payment string) (*InferResponse, error) {
	url := strings.TrimRight(endpoint, "/") + InferPath(svc)
	if !strings.Contains(endpoint, "://") {
		url = "http://" + url
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(input))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(PaymentHeader, payment)
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4*MaxInferBody))
	if err != nil {
		return nil, err
	}
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusPaymentRequired:
		var pr PaymentRequired
		if err := json.Unmarshal(body, &pr); err != nil {
			return nil, fmt.Errorf("402 with a body that is not a payment requirement: %s", truncateBody(body))
		}
		return nil, &PaymentRequiredError{Body: pr}
	default:
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(body, &e) == nil && e.Error != "" {
			return nil, fmt.Errorf("%s: %s", resp.Status, e.Error)
		}
		return nil, fmt.Errorf("%s: %s", resp.Status, truncateBody(body))
	}
	var out InferResponse
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, fmt.Errorf("the answer is not an inference response: %w", err)
	}
	if out.Receipt == nil {
		return nil, errors.New("the answer carries no receipt")
	}
	return &out, nil
}

func truncateBody(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "…"
	}
	return string(b)
}

// verifyCall checks a served call's receipt against what was sent.
func verifyCall(svc *service.Service, w *compute.Worker, v *service.Voucher, sig string, maxPrice uint64, res *InferResponse) error {
	r := res.Receipt
	price, err := tx.ParseBaseUnits(r.Price)
	switch {
	case !proto.Equal(r.Voucher, v) || r.ConsumerSignature != sig:
		return errors.New("the receipt's voucher is not the one sent")
	case r.Worker != w.Id:
		return fmt.Errorf("the receipt names worker %d", r.Worker)
	case r.OutputHash != service.RequestHash(res.Output):
		return errors.New("the receipt's output hash is not the output's")
	case r.ModelCommitment != svc.ModelCommitment:
		return fmt.Errorf("the receipt names model %s; the service serves %s", r.ModelCommitment, svc.ModelCommitment)
	case err != nil:
		return fmt.Errorf("price %q: %w", r.Price, err)
	case price > maxPrice:
		return fmt.Errorf("the receipt charges %d ulaz, above the %d signed for", price, maxPrice)
	case !service.VerifyReceipt(r, w.SigningKey):
		return fmt.Errorf("the receipt is not signed by worker %d's enclave key", w.Id)
	}
	return nil
}
