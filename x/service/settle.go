package service

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"math/bits"
	"runtime"
	"slices"
	"strconv"
	"sync"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/bank"
	"github.com/lazchain/lazchain/x/compute"
)

// nonces is a consumer's NonceSet at one worker as settlement works on
// it: every nonce below base is closed, and bit i of words says whether
// base+i was used.
type nonces struct {
	consumer tx.Address
	worker   uint64
	base     uint64
	words    []uint64
}

func nonceKey(consumer tx.Address, worker uint64) []byte {
	return key(noncePrefix, consumer.Bytes(), be(worker))
}

func (k *Keeper) loadNonces(ctx *chain.Context, consumer tx.Address, worker uint64, window uint32) *nonces {
	n := &nonces{consumer: consumer, worker: worker, words: make([]uint64, window/64)}
	ns := &NonceSet{}
	if chain.LoadRecord(k.kv(ctx), nonceKey(consumer, worker), ns) {
		n.base = ns.Base
		for i := 0; i+8 <= len(ns.Bits) && i/8 < len(n.words); i += 8 {
			n.words[i/8] = binary.LittleEndian.Uint64(ns.Bits[i:])
		}
	}
	return n
}

func (k *Keeper) saveNonces(ctx *chain.Context, n *nonces) {
	chain.SaveRecord(k.kv(ctx), nonceKey(n.consumer, n.worker), n.record())
}

// record is the NonceSet as stored: the window's words little-endian,
// without trailing zero words.
func (n *nonces) record() *NonceSet {
	last := len(n.words)
	for last > 0 && n.words[last-1] == 0 {
		last--
	}
	b := make([]byte, 0, 8*last)
	for _, w := range n.words[:last] {
		b = binary.LittleEndian.AppendUint64(b, w)
	}
	return &NonceSet{Consumer: n.consumer.String(), Worker: n.worker, Base: n.base, Bits: b}
}

// check says why nonce cannot be used, or "".
func (n *nonces) check(nonce uint64) (reason, why string) {
	if nonce < n.base {
		return ReasonNonceClosed, fmt.Sprintf("nonce %d is below consumer %s's open window (from %d): it was used, or closed when later nonces moved the window", nonce, n.consumer, n.base)
	}
	if i := nonce - n.base; i < uint64(len(n.words))*64 && n.words[i/64]&(1<<(i%64)) != 0 {
		return ReasonReplayed, fmt.Sprintf("nonce %d of consumer %s has settled before", nonce, n.consumer)
	}
	return "", ""
}

// use marks nonce used. A nonce beyond the window moves it up by whole
// words, closing the lowest nonces; a window whose lowest word is full
// moves up too, so base only grows.
func (n *nonces) use(nonce uint64) {
	size := uint64(len(n.words)) * 64
	if nonce-n.base >= size {
		shift := (nonce - n.base - size + 64) / 64 // words to drop
		if shift >= uint64(len(n.words)) {
			clear(n.words)
		} else {
			copy(n.words, n.words[shift:])
			clear(n.words[uint64(len(n.words))-shift:])
		}
		n.base += shift * 64
	}
	i := nonce - n.base
	n.words[i/64] |= 1 << (i % 64)
	for n.words[0] == ^uint64(0) {
		copy(n.words, n.words[1:])
		n.words[len(n.words)-1] = 0
		n.base += 64
	}
}

// Rejected is one receipt a Settle did not settle.
type Rejected struct {
	Index   int
	Reason  string
	Message string
}

// Which signatures precheck verifies.
type sigChecks struct {
	enclave, consumer bool
}

// precheck runs the checks that need no state beyond the worker: field
// shapes, the chain, the signatures asked for and the price against the
// voucher.
func precheck(chainID string, w *compute.Worker, r *Receipt, sigs sigChecks) (reason, why string) {
	v := r.GetVoucher()
	switch {
	case v == nil:
		return ReasonMalformed, "the receipt has no voucher"
	case r.Worker != w.Id:
		return ReasonMalformed, fmt.Sprintf("the receipt is worker %d's, the batch is worker %d's", r.Worker, w.Id)
	case v.Worker != w.Id:
		return ReasonMalformed, fmt.Sprintf("the voucher is for worker %d, the receipt is worker %d's", v.Worker, w.Id)
	case !hex32(v.RequestHash) || !hex32(r.OutputHash) || !hex32(r.ModelCommitment):
		return ReasonMalformed, "request_hash, output_hash and model_commitment must be 64 lower-case hex digits"
	case v.ChainId != chainID:
		return ReasonWrongChain, fmt.Sprintf("the voucher is for chain %q, this is %q", v.ChainId, chainID)
	}
	if _, err := tx.ParseAddress(v.Consumer); err != nil {
		return ReasonMalformed, fmt.Sprintf("consumer: %v", err)
	}
	price, err := tx.ParseBaseUnits(r.Price)
	if err != nil {
		return ReasonMalformed, fmt.Sprintf("price %q: %v", r.Price, err)
	}
	maxPrice, err := tx.ParseBaseUnits(v.MaxPrice)
	if err != nil {
		return ReasonMalformed, fmt.Sprintf("max_price %q: %v", v.MaxPrice, err)
	}
	if price == 0 {
		return ReasonMalformed, "price 0: a free call needs no receipt"
	}
	if price > maxPrice {
		return ReasonAboveMax, fmt.Sprintf("price %d ulaz is above the %d ulaz the consumer signed for", price, maxPrice)
	}
	if sigs.enclave && !VerifyReceipt(r, w.SigningKey) {
		return ReasonEnclaveSig, fmt.Sprintf("the receipt is not signed by worker %d's enclave key", w.Id)
	}
	if sigs.consumer && !VerifyVoucher(v, r.ConsumerSignature) {
		return ReasonConsumerSig, fmt.Sprintf("the voucher is not signed by consumer %s", v.Consumer)
	}
	return "", ""
}

func hex32(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

type escrowKey struct {
	consumer tx.Address
	service  uint64
}

// batch is a Settle's working state: what it read, and what it owes.
type batch struct {
	services map[uint64]*Service
	escrows  map[escrowKey]*Escrow
	nonces   map[tx.Address]*nonces
	protocol uint64
	provider uint64
	owners   map[uint64]uint64 // by service iDAO
	models   map[uint64]uint64 // by model class
	totals   map[uint64]*sums  // by service
}

// sums are what a batch adds to a service's Totals.
type sums struct {
	calls, paid, protocol, providers, owner, model uint64
}

func (k *Keeper) execSettle(ctx *chain.Context, msg *MsgSettle) error {
	from, err := parseAddr("from", msg.From)
	if err != nil {
		return err
	}
	p := k.Params(ctx)
	n := len(msg.Receipts)
	if n == 0 || n > int(p.MaxReceipts) {
		return ErrInvalidBatch.Wrapf("%d receipts: a Settle carries 1 to %d", n, p.MaxReceipts)
	}
	w, err := k.Compute.Worker(ctx, msg.Worker)
	if err != nil {
		return err
	}
	if w.Operator != from.String() {
		return ErrUnauthorized.Wrapf("%s does not operate worker %d (its operator is %s)", from, w.Id, w.Operator)
	}
	if ctx.Gas != nil {
		hi, lo := bits.Mul64(p.ReceiptGas, uint64(n))
		if hi != 0 {
			lo = ^uint64(0)
		}
		ctx.Gas.Consume(lo, "settle receipts")
	}

	// Signatures are checked when the block runs the tx. The mempool and
	// gas simulation skip them: a bad receipt does not fail the tx, so they
	// cannot change whether it is valid, and they are most of its cost.
	sigs := sigChecks{enclave: true, consumer: true}
	if msg.BatchSignature != "" {
		if !VerifyBatch(ctx.ChainID, w.Id, msg.Receipts, msg.BatchSignature, w.SigningKey) {
			return ErrInvalidBatch.Wrapf("the batch signature is not worker %d's enclave's over these %d receipts on chain %s", w.Id, n, ctx.ChainID)
		}
		sigs.enclave = false
	}
	if ctx.Mode != chain.ModeDeliver {
		sigs = sigChecks{}
	}
	reasons, whys := make([]string, n), make([]string, n)
	parallel(n, func(i int) { reasons[i], whys[i] = precheck(ctx.ChainID, w, msg.Receipts[i], sigs) })

	b := &batch{
		services: map[uint64]*Service{}, escrows: map[escrowKey]*Escrow{}, nonces: map[tx.Address]*nonces{},
		owners: map[uint64]uint64{}, models: map[uint64]uint64{}, totals: map[uint64]*sums{},
	}
	var rejected []Rejected
	var settled, paid uint64
	for i, r := range msg.Receipts {
		if reasons[i] == "" {
			reasons[i], whys[i] = k.settleOne(ctx, p, w, b, r)
		}
		if reasons[i] != "" {
			rejected = append(rejected, Rejected{Index: i, Reason: reasons[i], Message: whys[i]})
			continue
		}
		settled++
		paid += mustAmount(r.Price)
	}
	if err := k.payOut(ctx, w, b); err != nil {
		return err
	}
	for _, rj := range rejected {
		v := msg.Receipts[rj.Index].GetVoucher()
		ctx.Emit(chain.Event("service_receipt_rejected",
			chain.Indexed("worker", strconv.FormatUint(w.Id, 10)),
			chain.Attr("index", strconv.Itoa(rj.Index)),
			chain.Attr("reason", rj.Reason),
			chain.Attr("message", rj.Message),
			chain.Attr("consumer", v.GetConsumer()),
			chain.Attr("nonce", strconv.FormatUint(v.GetNonce(), 10))))
	}
	ctx.Emit(chain.Event("service_settle",
		chain.Indexed("worker", strconv.FormatUint(w.Id, 10)),
		chain.Attr("receipts", strconv.Itoa(n)),
		chain.Attr("settled", strconv.FormatUint(settled, 10)),
		chain.Attr("rejected", strconv.Itoa(len(rejected))),
		chain.Attr("paid", tx.FormatBaseUnits(paid))))
	return nil
}

// settleOne checks one receipt against the state and, if it passes,
// consumes its payment and adds its split to the batch; it changes
// nothing when it returns a reason.
func (k *Keeper) settleOne(ctx *chain.Context, p *Params, w *compute.Worker, b *batch, r *Receipt) (reason, why string) {
	v := r.Voucher
	s, ok := b.services[v.Service]
	if !ok {
		var err error
		if s, err = k.Service(ctx, v.Service); err != nil {
			return ReasonUnknownService, err.Error()
		}
		b.services[s.Id] = s
	}
	_, serving := slices.BinarySearch(s.Workers, w.Id)
	_, former := slices.BinarySearch(s.FormerWorkers, w.Id)
	if !serving && !former {
		return ReasonNotServing, fmt.Sprintf("worker %d never served service %d", w.Id, s.Id)
	}
	if r.ModelCommitment != s.ModelCommitment {
		return ReasonWrongModel, fmt.Sprintf("the receipt names model %s; service %d serves %s", r.ModelCommitment, s.Id, s.ModelCommitment)
	}
	now := ctx.Time.Unix()
	if v.Expiry < now {
		return ReasonExpired, fmt.Sprintf("the voucher expired at %d, before this block (%d)", v.Expiry, now)
	}
	if v.Expiry-now > p.MaxVoucherSeconds {
		return ReasonExpiryTooFar, fmt.Sprintf("the voucher expires %d s after this block, more than max_voucher_seconds %d", v.Expiry-now, p.MaxVoucherSeconds)
	}
	consumer := mustAddr(v.Consumer)
	ns, ok := b.nonces[consumer]
	if !ok {
		ns = k.loadNonces(ctx, consumer, w.Id, p.NonceWindow)
		b.nonces[consumer] = ns
	}
	if reason, why := ns.check(v.Nonce); reason != "" {
		return reason, why
	}
	price := mustAmount(r.Price)
	if v.Token != 0 {
		t, err := k.DAT.Token(ctx, v.Token)
		if err != nil {
			return ReasonNoQuota, err.Error()
		}
		if t.Class != s.ModelClass {
			return ReasonNoQuota, fmt.Sprintf("token %d is of class %d; service %d serves class %d", t.Id, t.Class, s.Id, s.ModelClass)
		}
		if err := k.DAT.ConsumeUsage(ctx, v.Token, consumer, UsageMetric, price); err != nil {
			return ReasonNoQuota, err.Error()
		}
	} else {
		ek := escrowKey{consumer, s.Id}
		e, ok := b.escrows[ek]
		if !ok {
			e = k.Escrow(ctx, consumer, s.Id)
			b.escrows[ek] = e
		}
		bal := mustAmount(e.Balance)
		if bal < price {
			return ReasonInsufficientEsc, fmt.Sprintf("consumer %s's escrow for service %d holds %d ulaz, the call costs %d", consumer, s.Id, bal, price)
		}
		e.Balance = tx.FormatBaseUnits(bal - price)
	}
	ns.use(v.Nonce)
	protocol, owner, provider, model := SplitPayment(price, p.ProtocolFeeBps, s.Split)
	b.protocol += protocol
	b.provider += provider
	b.owners[s.Idao] += owner
	b.models[s.ModelClass] += model
	t := b.totals[s.Id]
	if t == nil {
		t = &sums{}
		b.totals[s.Id] = t
	}
	t.calls++
	t.paid += price
	t.protocol += protocol
	t.providers += provider
	t.owner += owner
	t.model += model
	return "", ""
}

// payOut writes the batch's state back and pays what it owes from the
// escrow account, in sorted order.
func (k *Keeper) payOut(ctx *chain.Context, w *compute.Worker, b *batch) error {
	for _, id := range sortedKeys(b.totals, cmp.Compare[uint64]) {
		s, add := b.services[id], b.totals[id]
		t := s.Totals
		t.Calls += add.calls
		t.Paid = addAmount(t.Paid, add.paid)
		t.Protocol = addAmount(t.Protocol, add.protocol)
		t.Providers = addAmount(t.Providers, add.providers)
		t.Owner = addAmount(t.Owner, add.owner)
		t.Model = addAmount(t.Model, add.model)
		k.setService(ctx, s)
	}
	for _, ek := range sortedKeys(b.escrows, func(a, c escrowKey) int {
		return cmp.Or(a.consumer.Compare(c.consumer), cmp.Compare(a.service, c.service))
	}) {
		k.setEscrow(ctx, b.escrows[ek])
	}
	for _, a := range sortedKeys(b.nonces, tx.Address.Compare) {
		k.saveNonces(ctx, b.nonces[a])
	}
	send := func(to tx.Address, amt uint64) error {
		if amt == 0 {
			return nil
		}
		return k.Bank.Send(ctx, EscrowAccount, to, amt)
	}
	if err := send(bank.FeeCollector, b.protocol); err != nil {
		return err
	}
	if err := send(k.IDAO.Treasury(w.Idao), b.provider); err != nil {
		return err
	}
	for _, id := range sortedKeys(b.owners, cmp.Compare[uint64]) {
		if err := send(k.IDAO.Treasury(id), b.owners[id]); err != nil {
			return err
		}
	}
	for _, class := range sortedKeys(b.models, cmp.Compare[uint64]) {
		if amt := b.models[class]; amt > 0 {
			if err := k.DAT.SettleRevenue(ctx, EscrowAccount, class, amt); err != nil {
				return err
			}
		}
	}
	return nil
}

func sortedKeys[K comparable, V any](m map[K]V, cmpf func(a, b K) int) []K {
	out := make([]K, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.SortFunc(out, cmpf)
	return out
}

// parallel runs fn(0..n-1) over the machine's cores. fn must only write
// its own index's results; the outcome does not depend on scheduling.
func parallel(n int, fn func(i int)) {
	procs := min(runtime.GOMAXPROCS(0), (n+63)/64)
	if procs <= 1 {
		for i := range n {
			fn(i)
		}
		return
	}
	var wg sync.WaitGroup
	chunk := (n + procs - 1) / procs
	for lo := 0; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				fn(i)
			}
		}()
	}
	wg.Wait()
}

// Open says whether nonce may still be used by what the set records: not
// below the base and not marked used. (A nonce above the window is open:
// settling it moves the window.)
func (s *NonceSet) Open(nonce uint64) bool {
	if nonce < s.GetBase() {
		return false
	}
	i := nonce - s.GetBase()
	return i/8 >= uint64(len(s.GetBits())) || s.GetBits()[i/8]&(1<<(i%8)) == 0
}
