package main

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lazchain/lazchain/blob"
	"github.com/lazchain/lazchain/client"
	"github.com/lazchain/lazchain/pdv"
	"github.com/lazchain/lazchain/x/flow"
)

// defaultAPI is the node API that serves the blob store: devnet's.
const defaultAPI = "http://127.0.0.1:8080"

func newTxFlowCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "flow",
		Short: "Data pools: create a pool with a sealed validation set",
		Long: `A data pool says what data it wants (a kind and a JSON schema), how the
enclave workers score it (weights, KNN k, a validation set only they can
read), how many of them must agree (t of k), what a contribution pays them,
and what an anchored contribution mints in the pool's DAT class. Contribute
to a pool with lazchain data contribute.`,
		Example: `  lazchain tx flow create-pool iris --idao 1 --kind tabular --schema iris.schema.json --validation iris-validation.jsonl \
    --quorum 3 --threshold 2 --deadline 60 --fee 0.3laz --weights 2000,2000,6000 --compute-idao 2 --from alice`,
	}
	cmd.AddCommand(newCreatePoolCmd())
	return cmd
}

// poolFlags are create-pool's flags.
type poolFlags struct {
	idao, computeIDAO                                   uint64
	kind, schema, validation, fee, weights, from, api   string
	quorum, threshold, knn, minScore, dupThreshold, max uint32
	deadline, usageValue, sharePerPPM, expireBlocks     uint64
	restricted                                          bool
	allowedServices                                     []string
}

// createPoolResult is what create-pool prints with --output json.
type createPoolResult struct {
	Pool             uint64            `json:"pool"`
	Class            uint64            `json:"class"`
	ValidationSHA256 string            `json:"validation_sha256"`
	Workers          []uint64          `json:"workers"`
	DevWorkers       bool              `json:"dev_workers"`
	Refused          map[uint64]string `json:"refused,omitempty"`
}

func newCreatePoolCmd() *cobra.Command {
	var f poolFlags
	cmd := &cobra.Command{
		Use:   "create-pool NAME",
		Short: "Create a data pool: check the workers, seal the validation set to them, create the pool and its DAT class",
		Long: `Create a pool of --idao (the signer must be one of its admins) and its DAT
class. First the attestation of every active worker of --compute-idao (of
every iDAO when 0) is verified on this machine against the chain's rules;
then the validation set (--validation, JSON lines the workers score
contributions against) is encrypted with a fresh key, uploaded to the node's
blob store (--api) and its key wrapped to each of those workers; only their
enclaves can read it.

--kind is tabular ({"features": [numbers], "label": integer} lines) or text
({"text": "...", "label": integer} lines); --schema is the JSON schema of a
line. --quorum k workers verify each contribution and --threshold t of them
(more than k/2) must report the same result. --weights is validity,
uniqueness and value in basis points (summing to 10000). An anchored
contribution mints a token whose share is its score (ppm) × --share-per-ppm
and whose value is --usage-value.`,
		Example: `  lazchain tx flow create-pool iris --idao 1 --kind tabular --schema iris.schema.json \
    --validation iris-validation.jsonl --quorum 3 --threshold 2 --deadline 60 --fee 0.3laz \
    --weights 2000,2000,6000 --usage-value 100 --compute-idao 2 --from alice`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return f.run(cmd, args[0]) },
	}
	fs := cmd.Flags()
	fs.Uint64Var(&f.idao, "idao", 0, "iDAO that owns the pool; the signer must be an admin (required)")
	fs.StringVar(&f.kind, "kind", "", "tabular or text (required)")
	fs.StringVar(&f.schema, "schema", "", "file with the JSON schema of one record (required)")
	fs.StringVar(&f.validation, "validation", "", "file with the validation set, JSON lines; - for stdin (required)")
	fs.Uint32Var(&f.quorum, "quorum", 0, "k: how many workers verify each contribution (required)")
	fs.Uint32Var(&f.threshold, "threshold", 0, "t: how many identical results settle it, more than k/2 (required)")
	fs.Uint64Var(&f.deadline, "deadline", 0, "blocks a worker has to report (required)")
	fs.StringVar(&f.fee, "fee", "", "what each contribution pays its verifiers, like 0.3laz (required)")
	fs.StringVar(&f.weights, "weights", "", "VALIDITY,UNIQUENESS,VALUE in basis points summing to 10000, like 2000,2000,6000 (required)")
	fs.Uint32Var(&f.knn, "knn", 5, "k of the KNN-Shapley value")
	fs.Uint64Var(&f.usageValue, "usage-value", 0, "usage quota of each minted token")
	fs.Uint64Var(&f.sharePerPPM, "share-per-ppm", 1, "a minted token's share is its score in ppm times this")
	fs.Uint64Var(&f.expireBlocks, "expire-blocks", 0, "minted tokens expire this many blocks after minting (0: never)")
	fs.BoolVar(&f.restricted, "restricted", false, "restrict the pool's class: only its iDAO, --allowed-services or iDAOs with an agreement may use its data (services on models trained on it included)")
	fs.StringSliceVar(&f.allowedServices, "allowed-services", nil, "service addresses allowed to use the pool's data (lazchain service show prints a service's address)")
	fs.Uint64Var(&f.computeIDAO, "compute-idao", 0, "only workers of this compute iDAO verify (0: any)")
	fs.Uint32Var(&f.minScore, "min-score", 0, "least score (ppm) a contribution needs to be anchored")
	fs.Uint32Var(&f.dupThreshold, "dup-threshold", 0, "similarity (ppm) above which a record is a duplicate (0: the chain's default)")
	fs.Uint32Var(&f.max, "max-rounds", 3, "rounds of reassignment before a job stalls")
	fs.StringVar(&f.api, "api", defaultAPI, "node API URL serving the blob store")
	fs.StringVar(&f.from, "from", "", "key name or address of the home's keyring that signs (required)")
	addPassphraseFlag(cmd)
	return cmd
}

// message checks the flags that need no network and builds the message
// (without its validation set).
func (f *poolFlags) message(name string) (*flow.MsgCreatePool, []byte, error) {
	var missing []string
	for _, r := range []struct {
		flag string
		set  bool
	}{
		{"--idao", f.idao != 0}, {"--kind", f.kind != ""}, {"--schema", f.schema != ""}, {"--validation", f.validation != ""},
		{"--quorum", f.quorum != 0}, {"--threshold", f.threshold != 0}, {"--deadline", f.deadline != 0},
		{"--fee", f.fee != ""}, {"--weights", f.weights != ""}, {"--from", f.from != ""},
	} {
		if !r.set {
			missing = append(missing, r.flag)
		}
	}
	if len(missing) > 0 {
		return nil, nil, fmt.Errorf("missing %s: required (see lazchain tx flow create-pool --help)", strings.Join(missing, ", "))
	}
	if f.kind != pdv.KindTabular && f.kind != pdv.KindText {
		return nil, nil, fmt.Errorf("--kind %q: want %s or %s", f.kind, pdv.KindTabular, pdv.KindText)
	}
	schema, err := os.ReadFile(f.schema)
	if err != nil {
		return nil, nil, fmt.Errorf("--schema: %w", err)
	}
	if _, err := pdv.ParseSchema(f.kind, schema); err != nil {
		return nil, nil, fmt.Errorf("--schema %s: %w", f.schema, err)
	}
	if f.threshold > f.quorum || 2*f.threshold <= f.quorum {
		return nil, nil, fmt.Errorf("--threshold %d of --quorum %d: want a majority, more than k/2 and at most k", f.threshold, f.quorum)
	}
	w, err := parseWeights(f.weights)
	if err != nil {
		return nil, nil, err
	}
	fee, err := parseLAZ("--fee", f.fee)
	if err != nil {
		return nil, nil, err
	}
	if f.sharePerPPM == 0 {
		return nil, nil, errors.New("--share-per-ppm 0: want at least 1 (a token's share is its score in ppm times this)")
	}
	if f.minScore > pdv.PPM || f.dupThreshold > pdv.PPM {
		return nil, nil, fmt.Errorf("--min-score %d, --dup-threshold %d: parts per million, at most %d", f.minScore, f.dupThreshold, pdv.PPM)
	}
	return &flow.MsgCreatePool{
		Idao: f.idao, Name: name, Kind: f.kind, Schema: string(schema), Weights: w, KnnK: f.knn,
		QuorumK: f.quorum, ThresholdT: f.threshold, ProofPolicy: "tee", DeadlineBlocks: f.deadline,
		VerifierFee: strconv.FormatUint(fee, 10), ComputeIdao: f.computeIDAO, MinScorePpm: f.minScore,
		DupThresholdPpm: f.dupThreshold, MaxRounds: f.max,
		Terms: &flow.DATTerms{UsageValue: f.usageValue, SharePerPpm: f.sharePerPPM, ExpireBlocks: f.expireBlocks,
			Restricted: f.restricted, AllowedServices: f.allowedServices},
	}, schema, nil
}

// parseWeights reads --weights V,U,VAL in basis points summing to 10000.
func parseWeights(s string) (*flow.Weights, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 3 {
		return nil, fmt.Errorf("--weights %q: want VALIDITY,UNIQUENESS,VALUE in basis points, like 2000,2000,6000", s)
	}
	var v [3]uint32
	var sum uint64
	for i, p := range parts {
		n, err := strconv.ParseUint(strings.TrimSpace(p), 10, 32)
		if err != nil {
			return nil, fmt.Errorf("--weights %q: %q is not a whole number of basis points", s, p)
		}
		v[i], sum = uint32(n), sum+n
	}
	if sum != 10000 {
		return nil, fmt.Errorf("--weights %q: the three sum to %d basis points; they must sum to 10000", s, sum)
	}
	return &flow.Weights{ValidityBps: v[0], UniquenessBps: v[1], ValueBps: v[2]}, nil
}

func (f *poolFlags) run(cmd *cobra.Command, name string) error {
	msg, _, err := f.message(name)
	if err != nil {
		return err
	}
	file, size, err := openInput(cmd, "--validation", f.validation)
	if err != nil {
		return err
	}
	defer file.Close()
	s, _, err := signer(cmd, f.from)
	if err != nil {
		return fmt.Errorf("--from: %w", err)
	}
	c, err := dial(cmd)
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	checked, refused, err := c.CheckWorkers(ctx, f.computeIDAO)
	if err != nil {
		return fmt.Errorf("checking the workers' attestations: %w", err)
	}
	stderr := cmd.ErrOrStderr()
	for _, id := range slices.Sorted(maps.Keys(refused)) {
		fmt.Fprintf(stderr, "warning: worker %d left out: its attestation does not verify here: %v\n", id, refused[id])
	}
	if len(checked) < int(f.quorum) {
		return fmt.Errorf("--quorum %d needs at least %d workers and %d passed the attestation check here (%s); register more workers or lower --quorum",
			f.quorum, f.quorum, len(checked), whoseWorkers(f.computeIDAO))
	}
	out := createPoolResult{Refused: map[uint64]string{}}
	for _, w := range checked {
		out.Workers = append(out.Workers, w.Worker.Id)
		out.DevWorkers = out.DevWorkers || w.Dev
	}
	for id, e := range refused {
		out.Refused[id] = e.Error()
	}
	if out.DevWorkers {
		warnDev(stderr, "the validation set is sealed to")
	}
	var progress client.Progress
	var bar *progressBar
	if !jsonOutput(cmd) {
		bar = newProgressBar(stderr)
		progress = bar.update
	}
	id, err := c.CreatePoolWithValidation(ctx, s, msg, file, size, checked, blob.NewClient(f.api, nil), "", progress)
	bar.finish()
	if err != nil {
		return fmt.Errorf("creating the pool: %w", err)
	}
	p, err := c.Pool(ctx, id, 0)
	if err != nil {
		return fmt.Errorf("pool %d was created but reading it back failed: %w", id, err)
	}
	out.Pool, out.Class, out.ValidationSHA256 = p.Id, p.Class, p.Validation.GetCiphertextSha256()
	return emit(cmd, out, func(w io.Writer) {
		fmt.Fprintf(w, "pool %d %q created, minting into DAT class %d\n", p.Id, p.Name, p.Class)
		fmt.Fprintf(w, "  validation set  sha256 %s (%d bytes), sealed to workers %s\n", out.ValidationSHA256, p.Validation.GetSize(), joinIDs(out.Workers))
		fmt.Fprintf(w, "  quorum          %d of %d, deadline %d blocks, fee %s\n", p.ThresholdT, p.QuorumK, p.DeadlineBlocks, ulazText(p.VerifierFee))
		fmt.Fprintf(w, "see it with: lazchain query flow pool %d\n", p.Id)
	})
}

func whoseWorkers(idao uint64) string {
	if idao == 0 {
		return "workers of any iDAO"
	}
	return fmt.Sprintf("workers of compute iDAO %d", idao)
}

// warnDev tells, loudly, that data goes to simulated enclaves.
func warnDev(w io.Writer, what string) {
	fmt.Fprintf(w, "WARNING: %s %s workers: their keys are NOT protected by hardware. Use this only with test data on a dev chain.\n", what, devEnclaveText)
}

// openInput opens a file argument ("-" is the command's stdin, of unknown
// size).
func openInput(cmd *cobra.Command, flag, path string) (io.ReadCloser, int64, error) {
	if path == "-" {
		return io.NopCloser(cmd.InOrStdin()), -1, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", flag, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("%s: %w", flag, err)
	}
	if st.IsDir() {
		f.Close()
		return nil, 0, fmt.Errorf("%s %s is a directory; give a file", flag, path)
	}
	return f, st.Size(), nil
}

func joinIDs(ids []uint64) string {
	if len(ids) == 0 {
		return "none"
	}
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.FormatUint(id, 10)
	}
	return strings.Join(s, ", ")
}

func newQueryFlowCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "flow",
		Short: "Data pools and contributions",
		Long: `Read data pools (what they want, how contributions are scored, what they
mint) and contributions (their job, the workers assigned, their results, the
token an anchored one minted).`,
		Example: "  lazchain query flow pools\n  lazchain query flow pool 1\n  lazchain query flow contributions --pool 1\n  lazchain query flow contribution 3 -o json",
	}
	pool := newShowCmd("pool POOL", "A pool: schema, scoring, quorum, fee, terms, validation set", "POOL", (*client.Client).Pool, printPool)
	pool.Long = `Show a pool: its iDAO and DAT class, the kind and schema of its records, its
scoring weights, quorum (t of k), deadline and fee, the terms of the tokens
it mints, its sealed validation set and how many contributions it anchored.`
	pool.Example = "  lazchain query flow pool 1\n  lazchain query flow pool 1 -o json"

	var page pageFlags
	pools := &cobra.Command{
		Use:     "pools",
		Short:   "List pools in id order",
		Long:    "List the pools in id order, a page at a time (--after the last id of the previous page).",
		Example: "  lazchain query flow pools\n  lazchain query flow pools --after 20 --limit 20 -o json",
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
			r, err := c.Pools(cmd.Context(), after, page.limit, heightFlag(cmd))
			if err != nil {
				return err
			}
			return emitProto(cmd, r, func(w io.Writer) {
				if len(r.Pools) == 0 {
					fmt.Fprintln(w, "no pools")
				}
				for _, p := range r.Pools {
					fmt.Fprintf(w, "%4d  %-24s %-8s iDAO %-4d class %-4d quorum %d/%d  fee %s  anchored %d\n",
						p.Id, p.Name, p.Kind, p.Idao, p.Class, p.ThresholdT, p.QuorumK, ulazText(p.VerifierFee), p.Anchored)
				}
				if len(r.Pools) == page.limit {
					fmt.Fprintf(w, "more: --after %d\n", r.Pools[len(r.Pools)-1].Id)
				}
			})
		},
	}
	page.register(pools, "last pool id of the previous page")

	contribution := newShowCmd("contribution CONTRIBUTION", "A contribution: its job, assignments, results and token", "CONTRIBUTION", (*client.Client).Contribution, printContribution)
	contribution.Long = `Show every step of a contribution: what was sealed, the fee, its job and
round, each worker assigned, each result reported, and the token it minted
once anchored (the same as lazchain data status).`
	contribution.Example = "  lazchain query flow contribution 3\n  lazchain query flow contribution 3 -o json"

	cmd.AddCommand(pool, pools, contribution, newContributionsCmd(contributionsQueryCmd))
	return cmd
}

// Which filters a contributions command offers.
const (
	contributionsQueryCmd = iota // query flow contributions
	contributionsDataCmd         // data list
)

// newContributionsCmd lists contributions by pool, contributor or (for the
// query command) worker or ciphertext.
func newContributionsCmd(kind int) *cobra.Command {
	var page pageFlags
	var pool, worker uint64
	var contributor, ciphertext string
	use, short := "contributions", "A pool's, a contributor's or a worker's contributions"
	long := `List contributions in id order: those of a pool (--pool), of a contributor
(--contributor, an address or key name), those still assigned to a worker
(--worker), or those of one ciphertext (--ciphertext); give exactly one.`
	example := "  lazchain query flow contributions --pool 1\n  lazchain query flow contributions --contributor bob -o json\n  lazchain query flow contributions --worker 2"
	if kind == contributionsDataCmd {
		use, short = "list", "List your contributions (--contributor) or a pool's (--pool)"
		long = `List contributions in id order with their status and score: those of a
contributor (--contributor, an address or key name) or of a pool (--pool);
give exactly one.`
		example = "  lazchain data list --contributor bob\n  lazchain data list --pool 1 --after 100"
	}
	cmd := &cobra.Command{
		Use: use, Short: short, Long: long, Example: example, Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := flow.ContributionsQuery{Pool: pool, Worker: worker, Ciphertext: ciphertext, Limit: page.limit}
			n := 0
			for _, set := range []bool{pool != 0, worker != 0, contributor != "", ciphertext != ""} {
				if set {
					n++
				}
			}
			if n != 1 {
				if kind == contributionsDataCmd {
					return errors.New("give exactly one of --pool ID and --contributor ADDRESS|KEY")
				}
				return errors.New("give exactly one of --pool ID, --contributor ADDRESS|KEY, --worker ID and --ciphertext SHA256")
			}
			if contributor != "" {
				a, err := resolveAddress(cmd, contributor)
				if err != nil {
					return fmt.Errorf("--contributor: %w", err)
				}
				q.Contributor = a.String()
			}
			if ciphertext != "" {
				sum, err := blob.ParseSum(ciphertext)
				if err != nil {
					return fmt.Errorf("--ciphertext: %w", err)
				}
				q.Ciphertext = sum.String()
			}
			var err error
			if q.After, err = page.afterID(); err != nil {
				return err
			}
			c, err := dial(cmd)
			if err != nil {
				return err
			}
			r, err := c.Contributions(cmd.Context(), q, heightFlag(cmd))
			if err != nil {
				return err
			}
			return emitProto(cmd, r, func(w io.Writer) {
				if len(r.Contributions) == 0 {
					fmt.Fprintln(w, "no contributions")
				}
				for _, k := range r.Contributions {
					revoked := ""
					if k.Revoked {
						revoked = "  (revoked)"
					}
					fmt.Fprintf(w, "%6d  pool %-4d %-9s %s  by %s%s\n", k.Id, k.Pool, k.Status, contributionOutcome(k), k.Contributor, revoked)
				}
				if len(r.Contributions) == page.limit {
					fmt.Fprintf(w, "more: --after %d\n", r.Contributions[len(r.Contributions)-1].Id)
				}
			})
		},
	}
	page.register(cmd, "last contribution id of the previous page")
	cmd.Flags().Uint64Var(&pool, "pool", 0, "the contributions of this pool")
	cmd.Flags().StringVar(&contributor, "contributor", "", "the contributions of this address or key name")
	if kind == contributionsQueryCmd {
		cmd.Flags().Uint64Var(&worker, "worker", 0, "the contributions this worker has still to verify")
		cmd.Flags().StringVar(&ciphertext, "ciphertext", "", "the contributions of this ciphertext (its SHA-256)")
	}
	return cmd
}

// contributionOutcome is a one-line summary of where a contribution is.
func contributionOutcome(k *flow.Contribution) string {
	switch k.Status {
	case flow.StatusAnchored:
		return fmt.Sprintf("score %d ppm, token %d", k.ScorePpm, k.Token)
	case flow.StatusVerifying:
		return fmt.Sprintf("job %d round %d, deadline %d", k.Job, k.Round, k.Deadline)
	default:
		if k.Reason != "" {
			return strconv.Quote(k.Reason)
		}
		return "-"
	}
}

func printPool(w io.Writer, p *flow.Pool) {
	fmt.Fprintf(w, "pool %d  %s (%s)\n", p.Id, p.Name, p.Kind)
	fmt.Fprintf(w, "  iDAO          %d, created by %s at height %d\n", p.Idao, p.Creator, p.CreatedHeight)
	fmt.Fprintf(w, "  DAT class     %d\n", p.Class)
	fmt.Fprintf(w, "  quorum        %d of %d workers must agree; %d blocks to report, at most %d rounds\n", p.ThresholdT, p.QuorumK, p.DeadlineBlocks, p.MaxRounds)
	fmt.Fprintf(w, "  fee           %s per contribution, to the agreeing workers\n", ulazText(p.VerifierFee))
	verifiers := "any iDAO's workers"
	if p.ComputeIdao != 0 {
		verifiers = fmt.Sprintf("workers of compute iDAO %d", p.ComputeIdao)
	}
	fmt.Fprintf(w, "  verifiers     %s, proof policy %s\n", verifiers, p.ProofPolicy)
	if wt := p.Weights; wt != nil {
		fmt.Fprintf(w, "  weights       validity %d, uniqueness %d, value %d bps; KNN k %d\n", wt.ValidityBps, wt.UniquenessBps, wt.ValueBps, p.KnnK)
	}
	fmt.Fprintf(w, "  thresholds    min score %d ppm, duplicate above %d ppm similarity\n", p.MinScorePpm, p.DupThresholdPpm)
	if t := p.Terms; t != nil {
		exp := "never expire"
		if t.ExpireBlocks != 0 {
			exp = fmt.Sprintf("expire %d blocks after minting", t.ExpireBlocks)
		}
		fmt.Fprintf(w, "  tokens        value %d, share = score ppm × %d, %s\n", t.UsageValue, t.SharePerPpm, exp)
	}
	if v := p.Validation; v != nil {
		var ws []uint64
		for _, g := range v.Grants {
			ws = append(ws, g.Worker)
		}
		fmt.Fprintf(w, "  validation    sha256 %s (%d bytes), sealed to workers %s\n", v.CiphertextSha256, v.Size, joinIDs(ws))
	}
	fmt.Fprintf(w, "  anchored      %d contributions (%d not revoked)\n", p.Anchored, p.AnchoredLive)
	fmt.Fprintf(w, "  schema        %s\n", strings.Join(strings.Fields(p.Schema), " "))
}

func printContribution(w io.Writer, k *flow.Contribution) {
	fmt.Fprintf(w, "contribution %d to pool %d — %s\n", k.Id, k.Pool, k.Status)
	fmt.Fprintf(w, "  contributor   %s\n", k.Contributor)
	if d := k.Data; d != nil {
		fmt.Fprintf(w, "  ciphertext    sha256 %s (%d bytes)\n  commitment    %s\n", d.CiphertextSha256, d.Size, d.Commitment)
		var ws []uint64
		for _, g := range d.Grants {
			ws = append(ws, g.Worker)
		}
		fmt.Fprintf(w, "  key grants    workers %s\n", joinIDs(ws))
	}
	fmt.Fprintf(w, "  fee           %s\n", ulazText(k.Fee))
	status := k.Status
	if k.Reason != "" {
		status += ": " + k.Reason
	}
	fmt.Fprintf(w, "  status        %s\n", status)
	fmt.Fprintf(w, "  job           %d, round %d, deadline height %d, scored against %d anchored\n", k.Job, k.Round, k.Deadline, k.BaseSeq)
	closed := "open"
	if k.ClosedHeight != 0 {
		closed = fmt.Sprintf("closed at height %d", k.ClosedHeight)
	}
	fmt.Fprintf(w, "  created       height %d, %s\n", k.CreatedHeight, closed)
	if len(k.Assignments) == 0 {
		fmt.Fprintln(w, "  assignments   none")
	}
	for i, a := range k.Assignments {
		label := ""
		if i == 0 {
			label = "assignments"
		}
		fmt.Fprintf(w, "  %-13s worker %-4d round %d, deadline %d, %s\n", label, a.Worker, a.Round, a.Deadline, a.Status)
	}
	if len(k.Results) == 0 {
		fmt.Fprintln(w, "  results       none yet")
	}
	for i, r := range k.Results {
		label := ""
		if i == 0 {
			label = "results"
		}
		fmt.Fprintf(w, "  %-13s worker %-4d %s, score %d ppm (validity %d, uniqueness %d, value %d) at height %d\n",
			label, r.Worker, r.Verdict, r.ScorePpm, r.ValidityPpm, r.UniquenessPpm, r.ValuePpm, r.Height)
		if r.Reason != "" {
			fmt.Fprintf(w, "  %-13s   reason %q\n", "", r.Reason)
		}
		fmt.Fprintf(w, "  %-13s   digest %s\n", "", r.Digest)
	}
	if k.Token != 0 {
		fmt.Fprintf(w, "  anchored      score %d ppm, DAT token %d, anchor seq %d\n", k.ScorePpm, k.Token, k.AnchorSeq)
	} else {
		fmt.Fprintln(w, "  anchored      no")
	}
	revoked := "no"
	if k.Revoked {
		revoked = "yes: the key grants are gone; the ciphertext may be deleted"
	}
	fmt.Fprintf(w, "  revoked       %s\n", revoked)
}
