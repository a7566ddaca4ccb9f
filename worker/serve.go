package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/lazchain/lazchain/client"
	"github.com/lazchain/lazchain/internal/journal"
	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/dat"
	"github.com/lazchain/lazchain/x/flow"
	"github.com/lazchain/lazchain/x/service"
)

// MinVoucherSeconds is how far ahead of now a voucher must expire for the
// worker to serve it: time to put its receipt into a Settle.
const MinVoucherSeconds = 60

// serving is the worker's paid-call state: the services it serves, what it
// has charged and not yet settled, and the receipts journal. mu guards
// everything but the journal, which is safe for concurrent use.
type serving struct {
	mu       sync.Mutex
	services map[uint64]*service.Service
	params   *service.Params
	journal  *journal.Journal
	// pending counts unsettled charges: on escrows by (consumer, service),
	// on tokens by token; nonces are the unsettled nonces per consumer.
	pendingEscrow map[escrowKey]uint64
	pendingToken  map[uint64]uint64
	nonces        map[string]map[uint64]bool
	// cache holds recent chain reads (escrow balances, token values, nonce
	// floors), so a burst of calls does not query the chain for each.
	cache map[string]cached
}

type escrowKey struct {
	consumer string
	service  uint64
}

type cached struct {
	at    time.Time
	value uint64
	owner string
	class uint64
	set   *service.NonceSet
}

// cacheTTL is how long a chain read stays fresh for admitting calls.
const cacheTTL = time.Second

// OpenJournal opens (or creates) the receipts journal in dir and restores
// the unsettled charges it holds, so a restarted worker settles them.
func (w *Worker) OpenJournal(dir string) error {
	j, err := journal.Open(dir, journal.Options{})
	if err != nil {
		return fmt.Errorf("receipts journal: %w", err)
	}
	s := w.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	s.journal = j
	for _, e := range j.Pending(0) {
		r := &service.Receipt{}
		if err := json.Unmarshal(e.Data, r); err != nil {
			return fmt.Errorf("receipts journal entry %d: %w", e.Seq, err)
		}
		s.reserve(r, mustPrice(r))
	}
	if n := j.Len(); n > 0 {
		w.log.Info("unsettled receipts restored from the journal", "worker", w.id, "receipts", n)
	}
	return nil
}

// CloseJournal closes the receipts journal.
func (w *Worker) CloseJournal() error {
	w.srv.mu.Lock()
	j := w.srv.journal
	w.srv.journal = nil
	w.srv.mu.Unlock()
	if j == nil {
		return nil
	}
	return j.Close()
}

func mustPrice(r *service.Receipt) uint64 {
	v, _ := tx.ParseBaseUnits(r.Price)
	return v
}

// reserve records a charge as pending; the caller holds s.mu.
func (s *serving) reserve(r *service.Receipt, price uint64) {
	v := r.Voucher
	if v.Token != 0 {
		s.pendingToken[v.Token] += price
	} else {
		s.pendingEscrow[escrowKey{v.Consumer, v.Service}] += price
	}
	if s.nonces[v.Consumer] == nil {
		s.nonces[v.Consumer] = map[uint64]bool{}
	}
	s.nonces[v.Consumer][v.Nonce] = true
}

// release drops a charge from pending; the caller holds s.mu.
func (s *serving) release(r *service.Receipt, price uint64) {
	v := r.Voucher
	if v.Token != 0 {
		if s.pendingToken[v.Token] -= price; s.pendingToken[v.Token] == 0 {
			delete(s.pendingToken, v.Token)
		}
	} else {
		k := escrowKey{v.Consumer, v.Service}
		if s.pendingEscrow[k] -= price; s.pendingEscrow[k] == 0 {
			delete(s.pendingEscrow, k)
		}
	}
	delete(s.nonces[v.Consumer], v.Nonce)
	if len(s.nonces[v.Consumer]) == 0 {
		delete(s.nonces, v.Consumer)
	}
}

// refreshServices loads the services this worker serves and their models.
func (w *Worker) refreshServices(ctx context.Context) error {
	if w.srv.params == nil {
		p := &service.Params{}
		if _, err := w.cfg.Client.Query(ctx, "/service/params", nil, p, 0); err != nil {
			return err
		}
		w.srv.mu.Lock()
		w.srv.params = p
		w.srv.mu.Unlock()
	}
	mine := map[uint64]*service.Service{}
	var after uint64
	var errs []error
	for {
		var page service.QueryServicesResponse
		if _, err := w.cfg.Client.Query(ctx, "/service/services", service.ServicesQuery{After: after, Limit: 100}, &page, 0); err != nil {
			return err
		}
		for _, s := range page.Services {
			after = s.Id
			if _, ok := slices.BinarySearch(s.Workers, w.id); !ok {
				continue
			}
			if !w.cfg.Enclave.HasModel(s.Model) {
				if err := w.loadModel(ctx, s.Model); err != nil {
					errs = append(errs, fmt.Errorf("service %d: %w", s.Id, err))
					continue
				}
			}
			mine[s.Id] = s
		}
		if len(page.Services) < 100 {
			break
		}
	}
	w.srv.mu.Lock()
	w.srv.services = mine
	w.srv.mu.Unlock()
	return errors.Join(errs...)
}

func (w *Worker) loadModel(ctx context.Context, id uint64) error {
	m := &flow.Model{}
	if _, err := w.cfg.Client.Query(ctx, "/flow/model", flow.ModelQuery{ID: id}, m, 0); err != nil {
		return err
	}
	if err := w.withBlob(ctx, m.Weights.GetCiphertextSha256(), func(r io.Reader) error {
		return w.cfg.Enclave.LoadModel(w.chainID, m, w.id, r)
	}); err != nil {
		return err
	}
	w.log.Info("model loaded", "worker", w.id, "model", id, "class", m.Class, "kind", m.Kind, "accuracy_ppm", m.AccuracyPpm)
	return nil
}

// Handler serves the worker's paid-call API: POST
// /v1/services/{service}/infer (JSON in, JSON out, paid by a voucher in
// the X-PAYMENT header) and GET /v1/health.
func (w *Worker) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/services/{service}/infer", w.serveInfer)
	mux.HandleFunc("GET /v1/health", func(rw http.ResponseWriter, _ *http.Request) {
		w.srv.mu.Lock()
		n := len(w.srv.services)
		pending := 0
		if w.srv.journal != nil {
			pending = w.srv.journal.Len()
		}
		w.srv.mu.Unlock()
		writeJSON(rw, http.StatusOK, map[string]any{
			"worker": w.id, "services": n, "unsettled_receipts": pending, "dev_enclave": w.cfg.Enclave.Dev(),
		})
	})
	return mux
}

func writeJSON(rw http.ResponseWriter, code int, v any) {
	rw.Header().Set("Content-Type", "application/json")
	rw.WriteHeader(code)
	_ = json.NewEncoder(rw).Encode(v)
}

func writeError(rw http.ResponseWriter, code int, format string, args ...any) {
	writeJSON(rw, code, map[string]string{"error": fmt.Sprintf(format, args...)})
}

// paymentRequired answers 402 with what to pay, where and how.
func (w *Worker) paymentRequired(rw http.ResponseWriter, s *service.Service, floor uint64, format string, args ...any) {
	w.srv.mu.Lock()
	p := w.srv.params
	w.srv.mu.Unlock()
	id := strconv.FormatUint(s.Id, 10)
	writeJSON(rw, http.StatusPaymentRequired, client.PaymentRequired{
		X402Version: client.X402Version,
		Error:       fmt.Sprintf(format, args...),
		Accepts: []client.PaymentRequirements{{
			Scheme: client.PaymentScheme, Network: w.chainID, MaxAmountRequired: s.PricePerCall, Asset: "ulaz",
			PayTo: service.EscrowAccount.String(), Resource: client.InferPath(s.Id),
			Description: fmt.Sprintf("one call of service %d (%s), model class %d", s.Id, s.Name, s.ModelClass),
			MimeType:    "application/json", MaxTimeoutSeconds: p.GetMaxVoucherSeconds(),
			Extra: client.PaymentExtra{
				Service: s.Id, ModelClass: s.ModelClass, ModelCommitment: s.ModelCommitment, Worker: w.id,
				PricePerCall:     s.PricePerCall,
				Escrow:           "lazchain service deposit " + id + " AMOUNT --from KEY",
				Usage:            "lazchain service buy " + id + " AMOUNT --from KEY",
				MinExpirySeconds: MinVoucherSeconds, NonceFloor: floor,
			},
		}},
	})
}

func (w *Worker) serveInfer(rw http.ResponseWriter, req *http.Request) {
	id, err := strconv.ParseUint(req.PathValue("service"), 10, 64)
	if err != nil {
		writeError(rw, http.StatusBadRequest, "service id %q is not a number", req.PathValue("service"))
		return
	}
	w.srv.mu.Lock()
	s := w.srv.services[id]
	j := w.srv.journal
	w.srv.mu.Unlock()
	switch {
	case s == nil:
		writeError(rw, http.StatusNotFound, "worker %d does not serve service %d", w.id, id)
		return
	case j == nil:
		writeError(rw, http.StatusServiceUnavailable, "worker %d has no receipts journal open and takes no paid calls", w.id)
		return
	case s.Status != service.StatusActive:
		writeError(rw, http.StatusServiceUnavailable, "service %d is %s", id, s.Status)
		return
	}
	body, err := io.ReadAll(io.LimitReader(req.Body, client.MaxInferBody+1))
	if err != nil {
		writeError(rw, http.StatusBadRequest, "reading the request: %v", err)
		return
	}
	if len(body) > client.MaxInferBody {
		writeError(rw, http.StatusRequestEntityTooLarge, "the request is larger than %d bytes", client.MaxInferBody)
		return
	}
	hdr := req.Header.Get(client.PaymentHeader)
	if hdr == "" {
		w.paymentRequired(rw, s, 0, "no payment: send a voucher signed by the consumer in the %s header", client.PaymentHeader)
		return
	}
	pay, err := client.DecodePayment(hdr)
	if err != nil {
		w.paymentRequired(rw, s, 0, "%v", err)
		return
	}
	price, _ := tx.ParseBaseUnits(s.PricePerCall)
	r := &service.Receipt{
		Voucher: pay.Payload.Voucher, ConsumerSignature: pay.Payload.Signature, Worker: w.id,
		ModelCommitment: s.ModelCommitment, Price: s.PricePerCall,
	}
	if code, floor, why := w.admit(req.Context(), s, r, body, price); why != "" {
		if code == http.StatusPaymentRequired {
			w.paymentRequired(rw, s, floor, "%s", why)
		} else {
			writeError(rw, code, "%s", why)
		}
		return
	}
	out, err := w.cfg.Enclave.Infer(s.Model, body)
	if err != nil {
		w.unreserve(r, price)
		writeError(rw, http.StatusBadRequest, "the model could not run on this input (nothing was charged): %v", err)
		return
	}
	r.OutputHash = service.RequestHash(out)
	w.cfg.Enclave.SignReceipt(r)
	data, err := json.Marshal(r)
	if err == nil {
		_, err = j.Append(req.Context(), data)
	}
	if err != nil {
		w.unreserve(r, price)
		writeError(rw, http.StatusServiceUnavailable, "the receipt could not be recorded (nothing was charged): %v", err)
		return
	}
	if enc, err := json.Marshal(r); err == nil {
		rw.Header().Set(client.PaymentResponseHeader, encodeB64(enc))
	}
	writeJSON(rw, http.StatusOK, client.InferResponse{Output: out, Receipt: r})
}

func (w *Worker) unreserve(r *service.Receipt, price uint64) {
	w.srv.mu.Lock()
	w.srv.release(r, price)
	w.srv.mu.Unlock()
}

// admit checks a call's voucher and the consumer's means to pay, and
// reserves the charge and the nonce. It returns an HTTP status, the
// consumer's nonce floor and a reason when the call is refused.
func (w *Worker) admit(ctx context.Context, s *service.Service, r *service.Receipt, body []byte, price uint64) (int, uint64, string) {
	v := r.Voucher
	now := time.Now().Unix()
	w.srv.mu.Lock()
	p := w.srv.params
	w.srv.mu.Unlock()
	switch {
	case v.ChainId != w.chainID:
		return http.StatusPaymentRequired, 0, fmt.Sprintf("the voucher is for chain %q; this worker serves %q", v.ChainId, w.chainID)
	case v.Service != s.Id:
		return http.StatusPaymentRequired, 0, fmt.Sprintf("the voucher is for service %d, this is service %d", v.Service, s.Id)
	case v.Worker != w.id:
		return http.StatusPaymentRequired, 0, fmt.Sprintf("the voucher is for worker %d, this is worker %d", v.Worker, w.id)
	case v.RequestHash != service.RequestHash(body):
		return http.StatusPaymentRequired, 0, "the voucher's request_hash is not the SHA-256 of this request's body"
	case v.Expiry < now+MinVoucherSeconds:
		return http.StatusPaymentRequired, 0, fmt.Sprintf("the voucher expires in %d s; it must leave at least %d s to settle", v.Expiry-now, MinVoucherSeconds)
	case p != nil && v.Expiry > now+p.MaxVoucherSeconds:
		return http.StatusPaymentRequired, 0, fmt.Sprintf("the voucher expires more than %d s ahead (max_voucher_seconds)", p.MaxVoucherSeconds)
	}
	if maxPrice, err := tx.ParseBaseUnits(v.MaxPrice); err != nil || maxPrice < price {
		return http.StatusPaymentRequired, 0, fmt.Sprintf("the voucher allows at most %s ulaz; a call costs %d ulaz", v.MaxPrice, price)
	}
	if !service.VerifyVoucher(v, r.ConsumerSignature) {
		return http.StatusPaymentRequired, 0, fmt.Sprintf("the voucher is not signed by its consumer %s", v.Consumer)
	}
	set, err := w.nonceSet(ctx, v.Consumer, w.id)
	if err != nil {
		return http.StatusServiceUnavailable, 0, err.Error()
	}
	floor := set.Base
	if !set.Open(v.Nonce) {
		return http.StatusPaymentRequired, floor, fmt.Sprintf("nonce %d of %s is used or closed on chain (open from %d): use a fresh nonce", v.Nonce, v.Consumer, floor)
	}
	var have uint64
	if v.Token != 0 {
		t, err := w.token(ctx, v.Token)
		if err != nil {
			return http.StatusPaymentRequired, floor, err.Error()
		}
		if t.owner != v.Consumer || t.class != s.ModelClass {
			return http.StatusPaymentRequired, floor, fmt.Sprintf("token %d is not %s's token of model class %d", v.Token, v.Consumer, s.ModelClass)
		}
		have = t.value
	} else {
		if have, err = w.escrow(ctx, v.Consumer, s.Id); err != nil {
			return http.StatusServiceUnavailable, floor, err.Error()
		}
	}
	w.srv.mu.Lock()
	defer w.srv.mu.Unlock()
	if w.srv.nonces[v.Consumer][v.Nonce] {
		return http.StatusPaymentRequired, floor, fmt.Sprintf("nonce %d of %s was already used for a call this worker served", v.Nonce, v.Consumer)
	}
	// The chain keeps a window of nonce_window nonces per consumer and
	// worker; a nonce beyond it moves the window up and closes the nonces
	// below. So the nonces of this consumer's unsettled receipts here stay
	// within one window: then settling any of them never closes another.
	if span := uint64(p.GetNonceWindow()); span > 64 {
		for n := range w.srv.nonces[v.Consumer] {
			if max(n, v.Nonce)-min(n, v.Nonce) >= span-64 {
				return http.StatusPaymentRequired, floor, fmt.Sprintf("nonce %d of %s is %d away from nonce %d of a call this worker has not settled yet (at most %d): use nonces closer together, or call again once it settles",
					v.Nonce, v.Consumer, max(n, v.Nonce)-min(n, v.Nonce), n, span-65)
			}
		}
	}
	pending := w.srv.pendingEscrow[escrowKey{v.Consumer, s.Id}]
	what := fmt.Sprintf("escrow for service %d", s.Id)
	if v.Token != 0 {
		pending = w.srv.pendingToken[v.Token]
		what = fmt.Sprintf("token %d", v.Token)
	}
	if have < pending || have-pending < price {
		// The next call reads the chain again: the consumer may be
		// funding this very moment.
		if v.Token != 0 {
			delete(w.srv.cache, "t/"+strconv.FormatUint(v.Token, 10))
		} else {
			delete(w.srv.cache, "e/"+v.Consumer+"/"+strconv.FormatUint(s.Id, 10))
		}
		return http.StatusPaymentRequired, floor, fmt.Sprintf("%s's %s has %d ulaz left (%d on chain, %d charged and not yet settled); a call costs %d",
			v.Consumer, what, max(have, pending)-pending, have, pending, price)
	}
	w.srv.reserve(r, price)
	return 0, floor, ""
}

func (w *Worker) cachedRead(key string, read func() (cached, error)) (cached, error) {
	w.srv.mu.Lock()
	c, ok := w.srv.cache[key]
	w.srv.mu.Unlock()
	if ok && time.Since(c.at) < cacheTTL {
		return c, nil
	}
	c, err := read()
	if err != nil {
		return c, err
	}
	c.at = time.Now()
	w.srv.mu.Lock()
	w.srv.cache[key] = c
	w.srv.mu.Unlock()
	return c, nil
}

func (w *Worker) nonceSet(ctx context.Context, consumer string, worker uint64) (*service.NonceSet, error) {
	c, err := w.cachedRead("n/"+consumer, func() (cached, error) {
		set := &service.NonceSet{}
		_, err := w.cfg.Client.Query(ctx, "/service/nonces", service.NoncesQuery{Consumer: consumer, Worker: worker}, set, 0)
		return cached{set: set}, err
	})
	return c.set, err
}

func (w *Worker) escrow(ctx context.Context, consumer string, svc uint64) (uint64, error) {
	c, err := w.cachedRead("e/"+consumer+"/"+strconv.FormatUint(svc, 10), func() (cached, error) {
		e := &service.Escrow{}
		if _, err := w.cfg.Client.Query(ctx, "/service/escrow", service.EscrowQuery{Consumer: consumer, Service: svc}, e, 0); err != nil {
			return cached{}, err
		}
		// What is being withdrawn is not counted: it may be paid out
		// before this worker settles.
		bal, err := tx.ParseBaseUnits(e.Balance)
		if err != nil {
			return cached{}, err
		}
		unlocking, err := tx.ParseBaseUnits(e.Unlocking)
		if err != nil {
			return cached{}, err
		}
		return cached{value: bal - min(bal, unlocking)}, nil
	})
	return c.value, err
}

func (w *Worker) token(ctx context.Context, id uint64) (cached, error) {
	return w.cachedRead("t/"+strconv.FormatUint(id, 10), func() (cached, error) {
		var res dat.QueryTokenResponse
		if _, err := w.cfg.Client.Query(ctx, "/dat/token", dat.TokenQuery{ID: id}, &res, 0); err != nil {
			return cached{}, err
		}
		if res.Expired {
			return cached{}, fmt.Errorf("token %d is expired", id)
		}
		return cached{value: res.Token.Value, owner: res.Token.Owner, class: res.Token.Class}, nil
	})
}

// invalidate drops the cached reads a settlement changed.
func (s *serving) invalidate() {
	clear(s.cache)
}
