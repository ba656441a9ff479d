package tools

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pci-mcp/pci-mcp/providers/halo"
	"github.com/pci-mcp/pci-mcp/providers/upstream"
)

// Bounds on naming the targets that block an attestation: only those the
// summary lists, a few lookups at a time, and never for long, since the
// names only make the answer easier to read.
const (
	// maxListedInSummary bounds each list in the summary sentence; the full
	// lists are in the structured answer.
	maxListedInSummary      = 10
	targetLookupConcurrency = 4
	targetLookupTimeout     = 10 * time.Second
)

// haloMsgNoTargetsInScope is Halo's refusal of pci/start when nothing is in
// PCI scope [seed].
const haloMsgNoTargetsInScope = "no targets in pci scope"

// haloBlockingTarget is a target that stands in the way of attesting.
type haloBlockingTarget struct {
	TargetID int64  `json:"target_id"`
	Host     string `json:"host,omitempty" jsonschema_description:"Empty when the target was not or could not be looked up."`
	Name     string `json:"name,omitempty"`
}

// label names the target in a sentence: "shop.example.com (id 5)", or
// "target 7 (name unavailable)" when its lookup failed.
func (t haloBlockingTarget) label() string {
	if t.Host == "" {
		return fmt.Sprintf("target %d (name unavailable)", t.TargetID)
	}
	return fmt.Sprintf("%s (id %d)", t.Host, t.TargetID)
}

// haloStartOutput is a started attestation: what blocks it, and what the
// person must answer.
type haloStartOutput struct {
	Summary       string `json:"summary" jsonschema_description:"What blocks attesting, or what halo_pci_attest needs."`
	CanAttest     bool   `json:"can_attest" jsonschema_description:"True when no target blocks attesting."`
	AttestationID string `json:"attestation_id" jsonschema_description:"Pass to halo_pci_attest."`
	Attestation   string `json:"attestation" jsonschema_description:"The statement the attesting person agrees to; show it to them."`
	TargetCount   int64  `json:"target_count" jsonschema_description:"Targets in PCI scope."`
	TargetsOOS    int64  `json:"target_hosts_oos" jsonschema_description:"Targets out of PCI scope."`
	// The two kinds of blocker, with hosts looked up where possible.
	TargetsRequireScan []haloBlockingTarget `json:"targets_require_scan" jsonschema_description:"Must be scanned before attesting."`
	TargetsHaveVulns   []haloBlockingTarget `json:"targets_has_vuln" jsonschema_description:"Have vulnerabilities to resolve before attesting."`
	Questions          []halo.Question      `json:"questions" jsonschema_description:"Each must be answered yes or no in halo_pci_attest."`
	Notes              []halo.Note          `json:"notes" jsonschema_description:"Each needs a response in halo_pci_attest, by target_id and issue_id."`
}

func haloPCIStartAttestation() Tool {
	return newTool(spec{
		name:    "halo_pci_start_attestation",
		toolset: ToolsetHalo,
		title:   "Start a PCI attestation (Halo)",
		description: "Start an attestation: its id, statement, yes/no questions, notes to answer, and targets blocking it " +
			"(to scan, or with vulnerabilities). Submits nothing.",
		annotations: readHints,
	}, func(ctx context.Context, d *Deps, _ *haloNoInput) (*haloStartOutput, error) {
		a, err := d.Halo.StartAttestation(ctx)
		if err != nil {
			return nil, haloStartFailure(err)
		}
		hosts := d.lookUpHaloTargets(ctx, slices.Concat(
			a.TargetIDsRequireScan[:min(len(a.TargetIDsRequireScan), maxListedInSummary)],
			a.TargetIDsHasVuln[:min(len(a.TargetIDsHasVuln), maxListedInSummary)]))
		if err := d.Attestations.Remember(ctx, a, hostNames(hosts)); err != nil {
			// The start itself succeeded; halo_pci_attest will say plainly
			// that it cannot check against it.
			d.Log.Warn("remembering the attestation start failed", "attestation_id", string(a.ID), "err", err)
		}
		out := &haloStartOutput{
			CanAttest:          !a.Blocked(),
			AttestationID:      string(a.ID),
			Attestation:        string(a.Text),
			TargetCount:        int64(a.TargetCount),
			TargetsOOS:         int64(a.TargetHostsOOS),
			TargetsRequireScan: blockingTargets(a.TargetIDsRequireScan, hosts),
			TargetsHaveVulns:   blockingTargets(a.TargetIDsHasVuln, hosts),
			Questions:          a.Questions,
			Notes:              a.Notes,
		}
		out.Summary = out.summary()
		return out, nil
	})
}

// haloStartFailure turns Halo's documented refusal into advice.
func haloStartFailure(err error) error {
	if ue, ok := upstream.AsError(err); ok && strings.EqualFold(strings.TrimSpace(ue.Message), haloMsgNoTargetsInScope) {
		return about(err, "PCI attestation",
			"Nothing can be attested until at least one target is in PCI scope: put the hosts that handle card data in PCI scope in Halo Security "+
				"(halo_list_targets shows the account's targets), then call halo_pci_start_attestation again.")
	}
	return err
}

// lookUpHaloTargets reads the targets with the given ids, each once and a
// few at a time, and returns those it could read. A failed lookup only leaves
// that target unnamed.
func (d *Deps) lookUpHaloTargets(ctx context.Context, ids []upstream.Int) map[int64]*halo.Target {
	var distinct []int64
	for _, id := range ids {
		if !slices.Contains(distinct, int64(id)) {
			distinct = append(distinct, int64(id))
		}
	}
	ctx, cancel := context.WithTimeout(ctx, targetLookupTimeout)
	defer cancel()
	var mu sync.Mutex
	found := map[int64]*halo.Target{}
	slots := make(chan struct{}, targetLookupConcurrency)
	var wg sync.WaitGroup
	for _, id := range distinct {
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			t, err := d.Halo.GetTarget(ctx, id)
			if err != nil {
				d.Log.Debug("naming a blocking target failed", "target_id", id, "err", err)
				return
			}
			mu.Lock()
			found[id] = t
			mu.Unlock()
		})
	}
	wg.Wait()
	return found
}

// hostNames keeps the host of each target found, for the memory of starts.
func hostNames(found map[int64]*halo.Target) map[int64]string {
	names := make(map[int64]string, len(found))
	for id, t := range found {
		if host := strings.TrimSpace(string(t.Host)); host != "" {
			names[id] = host
		}
	}
	return names
}

// blockingTargets pairs ids with the hosts found for them. Targets beyond
// those the summary lists are not looked up and carry only their id.
func blockingTargets(ids []upstream.Int, hosts map[int64]*halo.Target) []haloBlockingTarget {
	out := make([]haloBlockingTarget, len(ids))
	for i, id := range ids {
		out[i] = haloBlockingTarget{TargetID: int64(id)}
		if t := hosts[int64(id)]; t != nil {
			out[i].Host = strings.TrimSpace(string(t.Host))
			out[i].Name = strings.TrimSpace(string(t.Name))
		}
	}
	return out
}

// summary says in plain words what stands in the way of attesting, or, when
// nothing does, what halo_pci_attest needs.
func (o *haloStartOutput) summary() string {
	var b strings.Builder
	if len(o.TargetsRequireScan) > 0 {
		fmt.Fprintf(&b, "%s must be scanned before you can attest: %s. ",
			countNoun(len(o.TargetsRequireScan), "target", "targets"), targetLabels(o.TargetsRequireScan))
	}
	if len(o.TargetsHaveVulns) > 0 {
		fmt.Fprintf(&b, "%s vulnerabilities to resolve before you can attest: %s. ",
			countNoun(len(o.TargetsHaveVulns), "target has", "targets have"), targetLabels(o.TargetsHaveVulns))
	}
	if b.Len() > 0 {
		b.WriteString("Follow their scans with halo_get_target and halo_get_scan; once the scans have finished and the vulnerabilities are fixed, call halo_pci_start_attestation again.")
		return b.String()
	}

	b.WriteString("Nothing blocks attesting. halo_pci_attest needs attestation_id " + o.AttestationID +
		", report_name, attest_person_name, attest_person_title, ")
	if len(o.Questions) > 0 {
		ids := make([]string, len(o.Questions))
		for i, q := range o.Questions {
			ids[i] = strconv.FormatInt(int64(q.ID), 10)
		}
		fmt.Fprintf(&b, "an answer yes or no to %s %s", pluralNoun(len(ids), "question", "questions"), joinAnd(ids))
	} else {
		b.WriteString("questions: [] (none asked)")
	}
	if len(o.Notes) > 0 {
		notes := make([]string, len(o.Notes))
		for i, n := range o.Notes {
			notes[i] = fmt.Sprintf("%d (target_id %d, issue_id %d)", n.ID, n.TargetID, n.IssueID)
		}
		fmt.Fprintf(&b, ", and secure true or false with a response for %s %s", pluralNoun(len(notes), "note", "notes"), joinAnd(notes))
	} else {
		b.WriteString(", and notes: [] (none to answer)")
	}
	b.WriteString(". Show the person the attestation, questions and notes first: they sign it.")
	return b.String()
}

func targetLabels(targets []haloBlockingTarget) string {
	labels := make([]string, len(targets))
	for i, t := range targets {
		labels[i] = t.label()
	}
	return joinAnd(labels)
}

// joinAnd writes "a, b and c", listing at most maxListedInSummary items and
// saying how many more there are.
func joinAnd(items []string) string {
	if len(items) > maxListedInSummary {
		return strings.Join(items[:maxListedInSummary], ", ") + fmt.Sprintf(" and %d more", len(items)-maxListedInSummary)
	}
	return joinAll(items)
}

// joinAll writes "a, b and c" with every item: refusals must name all that
// is missing.
func joinAll(items []string) string {
	if len(items) <= 1 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// countNoun writes "1 target" or "2 targets".
func countNoun(n int, one, many string) string {
	return strconv.Itoa(n) + " " + pluralNoun(n, one, many)
}

func pluralNoun(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
