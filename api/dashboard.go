package api

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"net/http"

	"github.com/lazchain/lazchain/client"
	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/compute"
	"github.com/lazchain/lazchain/x/dat"
	"github.com/lazchain/lazchain/x/flow"
	"github.com/lazchain/lazchain/x/idao"
)

//go:embed dashboard.html
var dashboardHTML string

var dashboardTmpl = template.Must(template.New("dashboard").Parse(dashboardHTML))

// dashboardData is what the dashboard shows.
type dashboardData struct {
	Status    *client.Status
	BlockTime string
	// StateHeight is the state the latest app hash commits to: the one
	// after the block before the latest.
	StateHeight int64
	Supply      string
	Fees        string
	SupplyErr   string
	Devnet      bool
	Metrics     bool
	Accounts    []dashboardAccount
	// IDAOs and Classes are the first of each, with their totals; the
	// ...Err fields say why a list could not be read.
	IDAOs       []*idao.IDAO
	MoreIDAOs   bool
	IDAOsErr    string
	Classes     []dashboardClass
	MoreClasses bool
	ClassesErr  string
	// Pools are the first data pools; Workers the first enclave workers,
	// and DevAttestation whether the chain admits simulated enclaves.
	Pools          []dashboardPool
	MorePools      bool
	PoolsErr       string
	Workers        []dashboardWorker
	MoreWorkers    bool
	DevAttestation bool
	WorkersErr     string
}

// dashboardPool is a data pool as the dashboard lists it.
type dashboardPool struct {
	*flow.Pool
	Fee string
}

// dashboardWorker is an enclave worker as the dashboard lists it.
type dashboardWorker struct {
	*compute.Worker
	Bond string
}

// dashboardClass is a DAT class as the dashboard lists it.
type dashboardClass struct {
	*dat.Class
	Revenue string
}

// dashboardListLimit is how many iDAOs, classes, pools and workers the
// dashboard lists.
const dashboardListLimit = 20

type dashboardAccount struct {
	Name    string
	Address tx.Address
	Balance string
	Err     string
}

// dashboard renders the status page, server-side: it reads through the SDK
// like every other handler.
func (s *server) dashboard(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.readContext(r)
	defer cancel()
	st, err := s.c.Status(ctx)
	if err != nil {
		s.nodeError(w, err)
		return
	}
	d := dashboardData{
		Status: st, Devnet: s.devnet, Metrics: s.metricsHandler != nil,
		BlockTime:   st.LatestBlockTime.UTC().Format("2006-01-02 15:04:05.000 MST"),
		StateHeight: st.LatestHeight - 1,
	}
	if sup, _, err := s.c.Supply(ctx, 0); err != nil {
		d.SupplyErr = err.Error()
	} else {
		d.Supply, d.Fees = describeAmount(sup.Supply), describeAmount(sup.FeesCollected)
	}
	for _, a := range s.accounts {
		da := dashboardAccount{Name: a.Name, Address: a.Address}
		if bal, _, err := s.c.Balance(ctx, a.Address, 0); err != nil {
			da.Err = err.Error()
		} else {
			da.Balance = fmt.Sprintf("%s (%d ulaz)", tx.FormatAmount(bal), bal)
		}
		d.Accounts = append(d.Accounts, da)
	}
	if list, err := s.c.IDAOs(ctx, 0, dashboardListLimit, 0); err != nil {
		d.IDAOsErr = err.Error()
	} else {
		d.IDAOs, d.MoreIDAOs = list.Idaos, list.Next != 0
	}
	if list, err := s.c.DATClasses(ctx, 0, 0, dashboardListLimit, 0); err != nil {
		d.ClassesErr = err.Error()
	} else {
		for _, c := range list.Classes {
			d.Classes = append(d.Classes, dashboardClass{Class: c, Revenue: describeAmount(c.Revenue)})
		}
		d.MoreClasses = list.Next != 0
	}
	if list, err := s.c.Pools(ctx, 0, dashboardListLimit+1, 0); err != nil {
		d.PoolsErr = err.Error()
	} else {
		for i, p := range list.Pools {
			if i == dashboardListLimit {
				d.MorePools = true
				break
			}
			d.Pools = append(d.Pools, dashboardPool{Pool: p, Fee: describeAmount(p.VerifierFee)})
		}
	}
	if list, err := s.c.Workers(ctx, 0, 0); err != nil {
		d.WorkersErr = err.Error()
	} else {
		d.DevAttestation = list.DevAttestation
		for i, w := range list.Workers {
			if i == dashboardListLimit {
				d.MoreWorkers = true
				break
			}
			d.Workers = append(d.Workers, dashboardWorker{Worker: w, Bond: describeAmount(w.Bond)})
		}
	}
	var buf bytes.Buffer
	if err := dashboardTmpl.Execute(&buf, d); err != nil {
		writeError(w, http.StatusInternalServerError, &apiError{Message: "the dashboard could not be rendered: " + err.Error()})
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.Write(buf.Bytes())
}

// describeAmount renders a decimal string of ulaz in LAZ for people.
func describeAmount(ulaz string) string {
	v, err := tx.ParseBaseUnits(ulaz)
	if err != nil {
		return ulaz + " ulaz"
	}
	return fmt.Sprintf("%s (%d ulaz)", tx.FormatAmount(v), v)
}
