package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/proto"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/client"
	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/service"
)

func newServiceCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "service",
		Short: "Serve a trained model and pay for calls: register, update, list, show, deposit, withdraw, buy, escrow, call",
		Long: `An app-developer iDAO registers a service on a trained model's DAT class,
served by enclave workers that hold the model's weights, with a price per call
and a split of every payment among the service's owner iDAO, the compute
provider and the model class (whose share goes on up to the data it was
trained on). The protocol fee (query service params) comes off first.

A consumer pays for calls from an escrow it deposits for the service, or with
usage value bought on a token of the model class (usable at every service of
that class). Each call carries a voucher the consumer signs; the worker
answers with a receipt its enclave signs, and settles receipts on chain in
batches. Amounts are like 12.5laz or 12500000ulaz.`,
		Example: `  lazchain service register --idao 4 --model-class 7 --price 0.001laz --split 3000:2000:5000 --workers 1,2 --from alice
  lazchain service deposit 1 1laz --from dave
  lazchain service call 1 --input '{"features":[6.1,2.8,4.7,1.2]}' --from dave
  lazchain service show 1`,
	}
	cmd.AddCommand(newServiceRegisterCmd(), newServiceUpdateCmd(), newServiceListCmd(), newServiceShowCmd(),
		newServiceDepositCmd(), newServiceWithdrawCmd(), newServiceBuyCmd(), newServiceEscrowCmd(), newServiceCallCmd())
	return cmd
}

// newTxServiceCmd groups the service module's tx commands under tx.
func newTxServiceCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "service",
		Short: "Services: register, update, deposit, withdraw, buy usage",
		Long: `The service module's transactions; the same commands as lazchain service
register, update, deposit, withdraw and buy.`,
		Example: "  lazchain tx service deposit 1 1laz --from dave\n  lazchain tx service update 1 --status paused --from alice",
	}
	cmd.AddCommand(newServiceRegisterCmd(), newServiceUpdateCmd(), newServiceDepositCmd(), newServiceWithdrawCmd(), newServiceBuyCmd())
	return cmd
}

// newQueryServiceCmd groups the service module's queries under query.
func newQueryServiceCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "service",
		Short: "Services, escrows, nonces and the service module's parameters",
		Long: `Read registered services (price, split, workers, model, totals), a consumer's
escrow for a service, a consumer's used voucher nonces, and the module's
parameters (protocol fee, settlement limits).`,
		Example: "  lazchain query service services\n  lazchain query service service 1\n  lazchain query service escrow 1 --consumer dave\n  lazchain query service params",
	}
	svc := newServiceShowCmd()
	svc.Use = "service SERVICE"
	svc.Example = "  lazchain query service service 1\n  lazchain query service service 1 -o json"
	list := newServiceListCmd()
	list.Use = "services"
	list.Example = "  lazchain query service services\n  lazchain query service services --idao 4 -o json"
	params := &cobra.Command{
		Use:     "params",
		Short:   "The service module's parameters",
		Long:    "Show the service module's parameters: the protocol fee taken off every payment, how many receipts a settlement may carry, the nonce window, the withdrawal delay, the gas per receipt and the longest voucher.",
		Example: "  lazchain query service params\n  lazchain query service params -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := dial(cmd)
			if err != nil {
				return err
			}
			p, err := c.ServiceParams(cmd.Context(), heightFlag(cmd))
			if err != nil {
				return err
			}
			return emitProto(cmd, p, func(w io.Writer) {
				fmt.Fprintf(w, "protocol_fee_bps       %d (%s of every payment to the validators)\n", p.ProtocolFeeBps, bpsText(p.ProtocolFeeBps))
				fmt.Fprintf(w, "max_receipts           %d per settlement\n", p.MaxReceipts)
				fmt.Fprintf(w, "nonce_window           %d\n", p.NonceWindow)
				fmt.Fprintf(w, "withdraw_delay_blocks  %d\n", p.WithdrawDelayBlocks)
				fmt.Fprintf(w, "receipt_gas            %d\n", p.ReceiptGas)
				fmt.Fprintf(w, "max_voucher_seconds    %d\n", p.MaxVoucherSeconds)
			})
		},
	}
	var nonceWorker uint64
	nonces := &cobra.Command{
		Use:   "nonces ADDRESS --worker ID",
		Short: "A consumer's used voucher nonces at a worker",
		Long: `Show a consumer's record of the voucher nonces used at one worker (each
worker has its own window): every nonce below the base is closed (used, or
passed over when a later nonce moved the window); above it, a window of bits
says which were used.`,
		Example: "  lazchain query service nonces dave --worker 1\n  lazchain query service nonces 0x3f5CE5FBFe3E9af3971dD833D26bA9b5C936f0bE --worker 2 -o json",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if nonceWorker == 0 {
				return errors.New("--worker is required: nonces are kept per consumer and worker")
			}
			addr, c, err := addressAndClient(cmd, args[0])
			if err != nil {
				return err
			}
			ns, err := c.Nonces(cmd.Context(), addr, nonceWorker, heightFlag(cmd))
			if err != nil {
				return err
			}
			return emitProto(cmd, ns, func(w io.Writer) {
				used := 0
				for _, b := range ns.Bits {
					for ; b != 0; b &= b - 1 {
						used++
					}
				}
				fmt.Fprintf(w, "%s at worker %d: nonces below %d are closed; %d above it are used\n", addr, nonceWorker, ns.Base, used)
			})
		},
	}
	nonces.Flags().Uint64Var(&nonceWorker, "worker", 0, "the worker (required)")
	cmd.AddCommand(svc, list, newServiceEscrowCmd(), params, nonces)
	return cmd
}

// bpsText renders basis points as a percentage.
func bpsText(bps uint32) string { return strconv.FormatFloat(float64(bps)/100, 'f', -1, 64) + "%" }

// parseSplit reads OWNER:PROVIDER:MODEL basis points summing to 10000.
func parseSplit(s string) (*service.Split, error) {
	parts := strings.Split(s, ":")
	if len(parts) != 3 {
		return nil, fmt.Errorf("--split %q: want OWNER:PROVIDER:MODEL in basis points, like 3000:2000:5000", s)
	}
	var v [3]uint32
	var sum uint64
	for i, p := range parts {
		n, err := strconv.ParseUint(strings.TrimSpace(p), 10, 32)
		if err != nil {
			return nil, fmt.Errorf("--split %q: %q is not a whole number of basis points", s, p)
		}
		v[i], sum = uint32(n), sum+n
	}
	if sum != service.MaxBps {
		return nil, fmt.Errorf("--split %q: the three sum to %d basis points; they must sum to %d", s, sum, service.MaxBps)
	}
	return &service.Split{OwnerBps: v[0], ProviderBps: v[1], ModelBps: v[2]}, nil
}

// parseWorkerIDs reads a comma-separated list of distinct worker ids.
func parseWorkerIDs(s string) ([]uint64, error) {
	var out []uint64
	for _, p := range strings.Split(s, ",") {
		id, err := strconv.ParseUint(strings.TrimSpace(p), 10, 64)
		if err != nil || id == 0 {
			return nil, fmt.Errorf("--workers %q: %q is not a worker id; want ids like 1,2", s, p)
		}
		if slices.Contains(out, id) {
			return nil, fmt.Errorf("--workers %q: worker %d is listed twice", s, id)
		}
		out = append(out, id)
	}
	if len(out) > service.MaxWorkers {
		return nil, fmt.Errorf("--workers %q: %d workers, at most %d", s, len(out), service.MaxWorkers)
	}
	return out, nil
}

// parsePrice reads a price per call: an amount above zero.
func parsePrice(s string) (uint64, error) {
	v, err := parseLAZ("--price", s)
	if err != nil {
		return 0, err
	}
	if v == 0 {
		return 0, errors.New("--price: must be at least 1ulaz")
	}
	return v, nil
}

// idTx signs and sends one tx whose events name a new id, after the
// checks that need no network; it refuses --async, since the id is read
// from the tx's block.
type idTx struct {
	f    txFlags
	from string
}

func (t *idTx) register(cmd *cobra.Command, fromHelp string) {
	cmd.Flags().StringVar(&t.from, "from", "", fromHelp)
	t.f.register(cmd)
}

// send runs fn with the signer, a client and the tx options.
func (t *idTx) send(cmd *cobra.Command, what string, fn func(ctx context.Context, c *client.Client, s tx.Signer, o client.TxOptions) error) error {
	if t.from == "" {
		return errors.New("--from is required: the key name (or address) that signs")
	}
	if t.f.async {
		return fmt.Errorf("--async: %s waits for its block to read the new id", what)
	}
	opts, err := t.f.options()
	if err != nil {
		return err
	}
	s, _, err := signer(cmd, t.from)
	if err != nil {
		return fmt.Errorf("--from: %w", err)
	}
	c, err := dial(cmd)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), t.f.wait+30*time.Second)
	defer cancel()
	return fn(ctx, c, s, opts)
}

// registerResult is what service register prints with --output json.
type registerResult struct {
	Service uint64           `json:"service"`
	Address string           `json:"address"`
	Tx      *client.TxResult `json:"tx"`
}

func newServiceRegisterCmd() *cobra.Command {
	var t idTx
	var idao, class uint64
	var price, split, workers, name, policy string
	cmd := &cobra.Command{
		Use:   "register",
		Short: "Register a service on a trained model's DAT class",
		Long: `Register a service of --idao (the signer needs its app_developer or admin
role) on --model-class, the DAT class of a trained model (lazchain model show
names it). --workers serve it: each must be active and hold a grant for the
model's weights (the workers of the model's pool). --price is what one call
costs; --split shares each payment, after the protocol fee, among the
service's iDAO (OWNER), the worker's compute iDAO (PROVIDER) and the model
class (MODEL), in basis points summing to 10000. --name defaults to the
model class's name; --policy is the verification policy, tee.

The command prints the new service's id and its address (what a restricted
class's allowed_services names to let the service use it).`,
		Example: `  lazchain service register --idao 4 --model-class 7 --price 0.001laz --split 3000:2000:5000 --workers 1,2 --from alice
  lazchain service register --idao 4 --model-class 7 --price 1000ulaz --split 0:5000:5000 --workers 1 --name "iris classifier" --from alice -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var missing []string
			for _, r := range []struct {
				flag string
				set  bool
			}{{"--idao", idao != 0}, {"--model-class", class != 0}, {"--price", price != ""}, {"--split", split != ""}, {"--workers", workers != ""}, {"--from", t.from != ""}} {
				if !r.set {
					missing = append(missing, r.flag)
				}
			}
			if len(missing) > 0 {
				return fmt.Errorf("missing %s: required (see lazchain service register --help)", strings.Join(missing, ", "))
			}
			p, err := parsePrice(price)
			if err != nil {
				return err
			}
			sp, err := parseSplit(split)
			if err != nil {
				return err
			}
			ws, err := parseWorkerIDs(workers)
			if err != nil {
				return err
			}
			if policy != service.PolicyTEE {
				return fmt.Errorf("--policy %q: only %s is supported", policy, service.PolicyTEE)
			}
			if len(name) > service.MaxNameLen {
				return fmt.Errorf("--name is %d bytes; at most %d", len(name), service.MaxNameLen)
			}
			return t.send(cmd, "service register", func(ctx context.Context, c *client.Client, s tx.Signer, o client.TxOptions) error {
				if name == "" {
					cl, err := c.DATClass(ctx, class, 0)
					if err != nil {
						return fmt.Errorf("--model-class %d: %w", class, err)
					}
					name = cl.Class.GetName()
					if len(name) > service.MaxNameLen {
						name = name[:service.MaxNameLen]
					}
				}
				msg := &service.MsgRegisterService{Idao: idao, Name: name, ModelClass: class, PricePerCall: tx.FormatBaseUnits(p), Split: sp, Workers: ws, Policy: policy}
				id, res, err := c.RegisterService(ctx, s, msg, o)
				if err != nil {
					return err
				}
				out := registerResult{Service: id, Address: service.Address(id).String(), Tx: res}
				return emit(cmd, out, func(w io.Writer) {
					fmt.Fprintf(w, "service %d %q registered on model class %d (tx %s, block %d)\n", id, name, class, res.Hash, res.Height)
					fmt.Fprintf(w, "  address       %s\n", out.Address)
					fmt.Fprintf(w, "  price         %s per call\n", ulazText(msg.PricePerCall))
					fmt.Fprintf(w, "  workers       %s\n", joinIDs(ws))
					fmt.Fprintf(w, "see it with: lazchain service show %d\n", id)
				})
			})
		},
	}
	fs := cmd.Flags()
	fs.Uint64Var(&idao, "idao", 0, "the app-developer iDAO that owns the service (required)")
	fs.Uint64Var(&class, "model-class", 0, "the DAT class of the trained model to serve (required)")
	fs.StringVar(&price, "price", "", "what one call costs, like 0.001laz or 1000ulaz (required)")
	fs.StringVar(&split, "split", "", "OWNER:PROVIDER:MODEL basis points summing to 10000, like 3000:2000:5000 (required)")
	fs.StringVar(&workers, "workers", "", "ids of the workers that serve it, like 1,2 (required)")
	fs.StringVar(&name, "name", "", "the service's name (default: the model class's name)")
	fs.StringVar(&policy, "policy", service.PolicyTEE, "verification policy: tee")
	t.register(cmd, "key name or address of the home's keyring that signs (required)")
	return cmd
}

func newServiceUpdateCmd() *cobra.Command {
	var price, workers, status string
	return newMsgCmd(msgSpec{
		use:   "update SERVICE",
		short: "Change a service's price, workers or status",
		long: `Change SERVICE (the signer needs the app_developer or admin role in its
iDAO): --price per call, the --workers that serve it (replacing the list;
each must hold a grant for the model's weights), or --status active|paused.
A paused service takes no deposits or purchases but still settles receipts
of calls already served. Give at least one.`,
		example: "  lazchain service update 1 --price 0.002laz --from alice\n  lazchain service update 1 --workers 1,2,3 --status active --from alice",
		args:    cobra.ExactArgs(1),
		flags: func(cmd *cobra.Command) {
			cmd.Flags().StringVar(&price, "price", "", "the new price per call, like 0.002laz")
			cmd.Flags().StringVar(&workers, "workers", "", "the workers that serve it from now, like 1,2")
			cmd.Flags().StringVar(&status, "status", "", "active or paused")
		},
		build: func(_ *cobra.Command, from tx.Address, args []string) ([]proto.Message, error) {
			id, err := parseID("SERVICE", args[0])
			if err != nil {
				return nil, err
			}
			if price == "" && workers == "" && status == "" {
				return nil, errors.New("nothing to update: give --price, --workers or --status")
			}
			msg := &service.MsgUpdateService{From: from.String(), Service: id, Status: status}
			if price != "" {
				p, err := parsePrice(price)
				if err != nil {
					return nil, err
				}
				msg.PricePerCall = tx.FormatBaseUnits(p)
			}
			if workers != "" {
				if msg.Workers, err = parseWorkerIDs(workers); err != nil {
					return nil, err
				}
			}
			if status != "" && status != service.StatusActive && status != service.StatusPaused {
				return nil, fmt.Errorf("--status %q: want %s or %s", status, service.StatusActive, service.StatusPaused)
			}
			return one(msg), nil
		},
	})
}

// newServiceAmountCmd is a tx command on SERVICE AMOUNT.
func newServiceAmountCmd(use, short, long, example string, build func(from tx.Address, id uint64, amount string) proto.Message) *cobra.Command {
	return newMsgCmd(msgSpec{
		use: use + " SERVICE AMOUNT", short: short, long: long, example: example, args: cobra.ExactArgs(2),
		build: func(_ *cobra.Command, from tx.Address, args []string) ([]proto.Message, error) {
			id, err := parseID("SERVICE", args[0])
			if err != nil {
				return nil, err
			}
			amt, err := parseLAZ("AMOUNT", args[1])
			if err != nil {
				return nil, err
			}
			if amt == 0 {
				return nil, errors.New("AMOUNT: must be greater than zero")
			}
			return one(build(from, id, tx.FormatBaseUnits(amt))), nil
		},
	})
}

func newServiceDepositCmd() *cobra.Command {
	return newServiceAmountCmd("deposit", "Add to your escrow for a service, which pays your calls",
		`Deposit AMOUNT into the signer's escrow for SERVICE. Each call the signer
makes from it (a voucher without --token) is paid from this escrow when the
worker settles the call's receipt. See it with lazchain service escrow.`,
		"  lazchain service deposit 1 1laz --from dave\n  lazchain service deposit 1 500000ulaz --from dave -o json",
		func(from tx.Address, id uint64, amount string) proto.Message {
			return &service.MsgDeposit{From: from.String(), Service: id, Amount: amount}
		})
}

func newServiceWithdrawCmd() *cobra.Command {
	return newServiceAmountCmd("withdraw", "Start withdrawing from your escrow for a service",
		`Withdraw AMOUNT of the signer's escrow for SERVICE. It is paid out
withdraw_delay_blocks later (query service params), less what receipts of
calls already served spend of it until then. A later withdrawal replaces one
not yet paid out.`,
		"  lazchain service withdraw 1 0.5laz --from dave",
		func(from tx.Address, id uint64, amount string) proto.Message {
			return &service.MsgWithdraw{From: from.String(), Service: id, Amount: amount}
		})
}

// buyResult is what service buy prints with --output json.
type buyResult struct {
	Token uint64           `json:"token"`
	Tx    *client.TxResult `json:"tx"`
}

func newServiceBuyCmd() *cobra.Command {
	var t idTx
	var into uint64
	cmd := &cobra.Command{
		Use:   "buy SERVICE AMOUNT",
		Short: "Buy usage value on a service's model class",
		Long: `Buy AMOUNT of usage value on SERVICE's model class: the LAZ are held by the
service module, and a token of the class (or --into, a token of the class
the signer owns) gets value AMOUNT in ulaz. Pay calls with it by
lazchain service call --token TOKEN, at any service of the class. The
command prints the token's id.`,
		Example: "  lazchain service buy 1 2laz --from dave\n  lazchain service buy 1 1laz --into 12 --from dave -o json",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID("SERVICE", args[0])
			if err != nil {
				return err
			}
			amt, err := parseLAZ("AMOUNT", args[1])
			if err != nil {
				return err
			}
			if amt == 0 {
				return errors.New("AMOUNT: must be greater than zero")
			}
			return t.send(cmd, "service buy", func(ctx context.Context, c *client.Client, s tx.Signer, o client.TxOptions) error {
				token, res, err := c.BuyUsage(ctx, s, id, amt, into, o)
				if err != nil {
					return err
				}
				return emit(cmd, buyResult{Token: token, Tx: res}, func(w io.Writer) {
					fmt.Fprintf(w, "token %d holds %s of usage on service %d's model class (tx %s, block %d)\n",
						token, ulazText(tx.FormatBaseUnits(amt)), id, res.Hash, res.Height)
					fmt.Fprintf(w, "pay calls with it: lazchain service call %d --token %d --input ...\n", id, token)
				})
			})
		},
	}
	cmd.Flags().Uint64Var(&into, "into", 0, "add the value to this token of the class you own (default: a new token)")
	t.register(cmd, "key name or address of the home's keyring that signs and pays (required)")
	return cmd
}

func newServiceListCmd() *cobra.Command {
	var page pageFlags
	var idao uint64
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List services in id order (--idao for one iDAO's)",
		Long:    "List the registered services in id order with their iDAO, model class, price, status and calls, a page at a time (--after the last id of the previous page); --idao lists one iDAO's.",
		Example: "  lazchain service list\n  lazchain service list --idao 4 -o json\n  lazchain service list --after 20 --limit 20",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			after, err := page.afterID()
			if err != nil {
				return err
			}
			c, err := dial(cmd)
			if err != nil {
				return err
			}
			r, err := c.Services(cmd.Context(), idao, after, page.limit, heightFlag(cmd))
			if err != nil {
				return err
			}
			return emitProto(cmd, r, func(w io.Writer) {
				if len(r.Services) == 0 {
					fmt.Fprintln(w, "no services")
				}
				for _, s := range r.Services {
					fmt.Fprintf(w, "%4d  %-24s iDAO %-4d class %-4d %-7s price %s  calls %d\n",
						s.Id, s.Name, s.Idao, s.ModelClass, s.Status, ulazText(s.PricePerCall), s.Totals.GetCalls())
				}
				if len(r.Services) == page.limit {
					fmt.Fprintf(w, "more: --after %d\n", r.Services[len(r.Services)-1].Id)
				}
			})
		},
	}
	page.register(cmd, "last service id of the previous page")
	cmd.Flags().Uint64Var(&idao, "idao", 0, "only the services of this iDAO")
	return cmd
}

func newServiceShowCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "show SERVICE",
		Short: "A service: price, split, protocol fee, workers, model and accuracy, totals",
		Long: `Show a service: its iDAO and address, its status, the price per call, how a
payment is split (the protocol fee from the module's parameters first, then
owner, provider and model), the workers that serve it, the model class with
the accuracy it records and the model's commitment, and what its calls paid
so far and to whom.`,
		Example: "  lazchain service show 1\n  lazchain service show 1 -o json",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID("SERVICE", args[0])
			if err != nil {
				return err
			}
			c, err := dial(cmd)
			if err != nil {
				return err
			}
			h := heightFlag(cmd)
			s, err := c.Service(cmd.Context(), id, h)
			if err != nil {
				return err
			}
			if jsonOutput(cmd) {
				return emitProto(cmd, s, nil)
			}
			p, err := c.ServiceParams(cmd.Context(), h)
			if err != nil {
				return err
			}
			cl, err := c.DATClass(cmd.Context(), s.ModelClass, h)
			if err != nil {
				return fmt.Errorf("service %d's model class %d: %w", s.Id, s.ModelClass, err)
			}
			printService(cmd.OutOrStdout(), s, p, cl.Class.GetName(), cl.Class.GetPerformanceMetric(), cl.Class.GetPerformancePpm())
			return nil
		},
	}
}

func printService(w io.Writer, s *service.Service, p *service.Params, className, metric string, perf uint32) {
	fmt.Fprintf(w, "service %d  %s — %s\n", s.Id, s.Name, s.Status)
	fmt.Fprintf(w, "  iDAO          %d, registered by %s at height %d\n", s.Idao, s.Creator, s.CreatedHeight)
	fmt.Fprintf(w, "  address       %s\n", s.Address)
	fmt.Fprintf(w, "  price         %s per call\n", ulazText(s.PricePerCall))
	if sp := s.Split; sp != nil {
		fmt.Fprintf(w, "  split         protocol fee %d bps (%s) first, then owner %d, provider %d, model %d bps\n",
			p.ProtocolFeeBps, bpsText(p.ProtocolFeeBps), sp.OwnerBps, sp.ProviderBps, sp.ModelBps)
	}
	fmt.Fprintf(w, "  workers       %s\n", joinIDs(s.Workers))
	if len(s.FormerWorkers) > 0 {
		fmt.Fprintf(w, "  former        %s (their signed vouchers still settle)\n", joinIDs(s.FormerWorkers))
	}
	perfText := "none recorded"
	if metric != "" {
		perfText = fmt.Sprintf("%s %s", metric, accuracyText(perf))
	}
	fmt.Fprintf(w, "  model class   %d %q, %s\n", s.ModelClass, className, perfText)
	fmt.Fprintf(w, "  model         %d, commitment %s\n", s.Model, s.ModelCommitment)
	fmt.Fprintf(w, "  policy        %s\n", s.Policy)
	if t := s.Totals; t != nil {
		fmt.Fprintf(w, "  calls         %d, paid %s\n", t.Calls, ulazText(t.Paid))
		fmt.Fprintf(w, "  paid to       protocol %s, providers %s, owner %s, model %s\n",
			ulazText(t.Protocol), ulazText(t.Providers), ulazText(t.Owner), ulazText(t.Model))
	}
}

func newServiceEscrowCmd() *cobra.Command {
	var consumer string
	cmd := &cobra.Command{
		Use:   "escrow SERVICE",
		Short: "A consumer's escrow for a service: balance and what is unlocking",
		Long: `Show --consumer's escrow for SERVICE: the balance its calls are paid from,
and what a withdrawal is unlocking and at which height it is paid out.
--consumer is an address or a key name of the home's keyring.`,
		Example: "  lazchain service escrow 1 --consumer dave\n  lazchain service escrow 1 --consumer 0x3f5CE5FBFe3E9af3971dD833D26bA9b5C936f0bE -o json",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID("SERVICE", args[0])
			if err != nil {
				return err
			}
			if consumer == "" {
				return errors.New("--consumer is required: the address or key name whose escrow to show")
			}
			a, err := resolveAddress(cmd, consumer)
			if err != nil {
				return fmt.Errorf("--consumer: %w", err)
			}
			c, err := dial(cmd)
			if err != nil {
				return err
			}
			e, err := c.Escrow(cmd.Context(), a, id, heightFlag(cmd))
			if err != nil {
				return err
			}
			return emitProto(cmd, e, func(w io.Writer) {
				fmt.Fprintf(w, "escrow of %s for service %d\n", a, id)
				fmt.Fprintf(w, "  balance       %s\n", ulazText(orZero(e.Balance)))
				if e.UnlockHeight != 0 {
					fmt.Fprintf(w, "  unlocking     %s, paid out at height %d (less what receipts spend until then)\n", ulazText(orZero(e.Unlocking)), e.UnlockHeight)
				} else {
					fmt.Fprintln(w, "  unlocking     nothing")
				}
			})
		},
	}
	cmd.Flags().StringVar(&consumer, "consumer", "", "address or key name of the consumer (required)")
	return cmd
}

func orZero(s string) string {
	if s == "" {
		return "0"
	}
	return s
}

// callResult is what service call prints with --output json.
type callResult struct {
	Output  json.RawMessage `json:"output"`
	Price   uint64          `json:"price"`
	Worker  uint64          `json:"worker"`
	Nonce   uint64          `json:"nonce"`
	Receipt json.RawMessage `json:"receipt"`
}

// readInput reads --input: JSON inline, @FILE, or @- for stdin.
func readInput(cmd *cobra.Command, s string) ([]byte, error) {
	var b []byte
	switch {
	case s == "":
		return nil, errors.New(`--input is required: the model's input as JSON, like '{"features":[6.1,2.8,4.7,1.2]}', or @FILE`)
	case s == "@-":
		var err error
		if b, err = io.ReadAll(io.LimitReader(cmd.InOrStdin(), client.MaxInferBody+1)); err != nil {
			return nil, fmt.Errorf("--input: reading stdin: %w", err)
		}
	case strings.HasPrefix(s, "@"):
		var err error
		if b, err = os.ReadFile(s[1:]); err != nil {
			return nil, fmt.Errorf("--input: %w", err)
		}
	default:
		b = []byte(s)
	}
	if len(b) > client.MaxInferBody {
		return nil, fmt.Errorf("--input is %d bytes or more; a call's input is at most %d", len(b), client.MaxInferBody)
	}
	if !json.Valid(b) {
		return nil, fmt.Errorf("--input is not valid JSON: %s", truncate(string(b), 80))
	}
	return b, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

func newServiceCallCmd() *cobra.Command {
	var input, maxPrice, endpoint, from string
	var token, worker uint64
	var expiry time.Duration
	cmd := &cobra.Command{
		Use:   "call SERVICE",
		Short: "Call a service: sign a voucher, send the input to a worker, verify the receipt",
		Long: `Call SERVICE with --input (JSON inline, @FILE, or @- for stdin). The command
signs a voucher with --from for at most --max-price (default: the service's
price), with the next nonce kept under HOME/nonces, sends it with the input
to one of the service's workers (--worker picks one, --endpoint overrides
its registered address), and verifies the answer's receipt: the enclave
signature of the worker's registered key, the voucher sent, the output's
hash, the model's commitment and the price.

The call is paid from the signer's escrow for the service (lazchain service
deposit), or with --token, a token of the model class holding usage value
(lazchain service buy). Without either the worker answers 402 Payment
Required, and the command says how to pay and fails.

It prints the output, the cost, the worker and nonce, and that the receipt
verified; with --output json {output, price, worker, nonce, receipt}.`,
		Example: `  lazchain service call 1 --input '{"features":[6.1,2.8,4.7,1.2]}' --from dave
  lazchain service call 1 --input @request.json --token 12 --from dave -o json
  lazchain service call 1 --input '{"features":[5,3,1.5,0.2]}' --worker 2 --max-price 0.002laz --from dave`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID("SERVICE", args[0])
			if err != nil {
				return err
			}
			if from == "" {
				return errors.New("--from is required: the key name (or address) that signs the voucher and pays")
			}
			in, err := readInput(cmd, input)
			if err != nil {
				return err
			}
			var maxP uint64
			if maxPrice != "" {
				if maxP, err = parseLAZ("--max-price", maxPrice); err != nil {
					return err
				}
				if maxP == 0 {
					return errors.New("--max-price: must be greater than zero")
				}
			}
			if expiry < 0 {
				return fmt.Errorf("--expiry %v: want a duration above zero, like 10m", expiry)
			}
			s, _, err := signer(cmd, from)
			if err != nil {
				return fmt.Errorf("--from: %w", err)
			}
			c, err := dial(cmd)
			if err != nil {
				return err
			}
			res, err := c.CallService(cmd.Context(), s, client.CallOptions{
				Service: id, Input: in, MaxPrice: maxP, Token: token, Nonces: client.FileNonces(filepath.Join(homeFlag(cmd), "nonces")),
				Expiry: expiry, Worker: worker, Endpoint: endpoint,
			})
			var pr *client.PaymentRequiredError
			if errors.As(err, &pr) {
				printPaymentRequired(cmd.ErrOrStderr(), id, pr)
				return err
			}
			if err != nil {
				return fmt.Errorf("calling service %d: %w", id, err)
			}
			receipt, err := chain.EncodeJSON(res.Receipt)
			if err != nil {
				return err
			}
			out := callResult{Output: res.Output, Price: res.Price, Worker: res.Worker, Nonce: res.Nonce, Receipt: receipt}
			return emit(cmd, out, func(w io.Writer) {
				fmt.Fprintf(w, "%s\n", res.Output)
				fmt.Fprintf(w, "  cost          %s\n", ulazText(tx.FormatBaseUnits(res.Price)))
				fmt.Fprintf(w, "  worker        %d at %s\n", res.Worker, res.Endpoint)
				fmt.Fprintf(w, "  nonce         %d\n", res.Nonce)
				fmt.Fprintf(w, "  receipt verified (enclave signature of worker %d)\n", res.Worker)
			})
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&input, "input", "", "the model's input: JSON, @FILE or @- for stdin (required)")
	fs.StringVar(&maxPrice, "max-price", "", "the most the call may cost, like 0.002laz (default: the service's price)")
	fs.Uint64Var(&token, "token", 0, "pay with usage value of this token of the model class (default: from your escrow)")
	fs.Uint64Var(&worker, "worker", 0, "call this worker of the service (default: the first that answers)")
	fs.StringVar(&endpoint, "endpoint", "", "call this URL instead of the worker's registered endpoint")
	fs.DurationVar(&expiry, "expiry", 0, "how long the voucher may settle (default 10m)")
	fs.StringVar(&from, "from", "", "key name or address of the home's keyring that signs and pays (required)")
	addPassphraseFlag(cmd)
	return cmd
}

// printPaymentRequired tells what a 402 answer asks for.
func printPaymentRequired(w io.Writer, id uint64, pr *client.PaymentRequiredError) {
	fmt.Fprintf(w, "service %d asks for payment: %s\n", id, pr.Body.Error)
	if len(pr.Body.Accepts) == 0 {
		return
	}
	x := pr.Body.Accepts[0].Extra
	fmt.Fprintf(w, "  price         %s per call\n", ulazText(x.PricePerCall))
	fmt.Fprintln(w, "  pay from an escrow, then call again:")
	fmt.Fprintf(w, "    %s\n", x.Escrow)
	fmt.Fprintln(w, "  or buy usage value and call with --token:")
	fmt.Fprintf(w, "    %s\n", x.Usage)
}
