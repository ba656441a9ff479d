//go:build bench

// The measurement harness behind `make bench` (see BENCHMARKS.md). It runs
// the built pci-mcp binary as an MCP client would, against a fake Qualys and
// Halo on loopback that answer at once, so what it times is pci-mcp's own
// cost. Each test appends a Markdown section to the report; timings are
// reported, never asserted, since the machine is shared.
//
//	go test -tags bench -run '^TestBench' -count=1 ./cmd/pci-mcp -args -bench.bin=$PWD/bin/pci-mcp
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tiktoken-go/tokenizer"

	"github.com/pci-mcp/pci-mcp/tools"
)

var (
	benchBin    = flag.String("bench.bin", "", "pci-mcp binary to measure (default: built from this package)")
	benchReport = flag.String("bench.report", "", "file the Markdown report is appended to (default: stdout)")
	benchStarts = flag.Int("bench.starts", 30, "cold starts to time")
	benchCalls  = flag.Int("bench.calls", 3000, "tool calls to time per tool, each paired with a direct request")
)

// report appends one Markdown section to the report.
func report(t *testing.T, format string, args ...any) {
	t.Helper()
	text := fmt.Sprintf(format, args...)
	if *benchReport == "" {
		fmt.Print(text)
		return
	}
	f, err := os.OpenFile(*benchReport, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := io.WriteString(f, text); err != nil {
		t.Fatal(err)
	}
}

// binary is the pci-mcp under test: -bench.bin, or a fresh build.
func binary(t *testing.T) string {
	t.Helper()
	if *benchBin != "" {
		return *benchBin
	}
	bin, err := buildBinary()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// The fake upstream's answers: a finished Qualys scan and a Halo summary,
// shaped as the providers document them.
const (
	benchScanID      = 4242
	benchScanDetails = `{"responseApiVersion":"V1","data":{"title":"Q3 external scan","startedOn":"May 26, 2025 at 06:49 AM GMT",` +
		`"launchedBy":"merchant","duration":"00:12:31","activeHosts":"12","launchType":"On Demand","bandwidth":"Medium",` +
		`"scanStatus":"Finished","target":"203.0.113.10-203.0.113.21, 2001:db8::10","scanType":"IP","compliance":"Pass"}}`
	benchHaloSummary = `{"report_count":4,"last_report_id":127346,"status":"pending"}`

	benchQualysUser     = "bench-merchant"
	benchQualysPassword = "bench-password"
	benchHaloKey        = "bench-halo-key"
	// benchAuthToken is required of HTTP clients, as a deployment would.
	benchAuthToken = "bench-auth-token-0123456789abcdef0123456789abcdef"
)

// fakeUpstreamEnv makes the test binary the fake upstream's own process
// (TestFakeUpstreamProcess).
const fakeUpstreamEnv = "PCI_MCP_BENCH_FAKE_UPSTREAM"

// fakeProviders starts the fake Qualys and Halo in a process of their own
// and returns their URL. A separate process is what both pci-mcp and the
// direct net/http baseline reach, as they would reach a real API: a fake in
// the harness's own process would make the baseline's round trip an
// in-process hand-off that no real request enjoys.
func fakeProviders(t testing.TB) fakeUpstream {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestFakeUpstreamProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), fakeUpstreamEnv+"=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = stdin.Close() // the fake stops when its stdin closes
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "http://") {
		t.Fatalf("fake upstream did not start: %q %v", line, err)
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	return fakeUpstream{URL: strings.TrimSpace(line), pid: cmd.Process.Pid}
}

// fakeUpstream is the running fake: its URL and process.
type fakeUpstream struct {
	URL string
	pid int
}

// connections is how many connections the fake has accepted so far.
func (f fakeUpstream) connections(t *testing.T) int {
	t.Helper()
	// A connection of its own, so the query adds exactly one to the count.
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	res, err := c.Get(f.URL + "/bench/connections")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(string(data))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestFakeUpstreamProcess is no test: it is the fake upstream's process,
// started by fakeProviders. It answers the requests the measured tools send
// at once, prints its URL and serves until its stdin closes.
func TestFakeUpstreamProcess(t *testing.T) {
	if os.Getenv(fakeUpstreamEnv) == "" {
		t.Skip("the fake upstream's own process, started by the harness")
	}
	mux := http.NewServeMux()
	answer := func(body string) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, body)
		}
	}
	mux.Handle("GET /pci/scan/{id}/details", answer(benchScanDetails))
	mux.Handle("GET /api/v1/pci/summary.json", answer(benchHaloSummary))
	// Connections accepted so far, so the harness sees whether pci-mcp
	// reuses its connections to the upstream under load.
	var accepted atomic.Int64
	mux.HandleFunc("GET /bench/connections", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, strconv.FormatInt(accepted.Load(), 10))
	})
	srv := httptest.NewUnstartedServer(mux)
	srv.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		if state == http.StateNew {
			accepted.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	fmt.Println(srv.URL)
	_, _ = io.Copy(io.Discard, os.Stdin)
}

// benchEnv configures both providers against the fake, and nothing else.
// HOME is set as a user's session sets it: pci-mcp looks there for the
// approvers file when PCI_MCP_APPROVERS_FILE is not set.
func benchEnv(fakeURL string) []string {
	return []string{
		"QUALYS_USERNAME=" + benchQualysUser, "QUALYS_PASSWORD=" + benchQualysPassword, "QUALYS_PCI_URL=" + fakeURL,
		"HALO_API_KEY=" + benchHaloKey, "HALO_API_URL=" + fakeURL + "/api/v1",
		"HOME=" + benchHome,
	}
}

// benchHome is an empty home directory for the measured processes.
var benchHome = func() string {
	dir, err := os.MkdirTemp("", "pci-mcp-bench-home")
	if err != nil {
		panic(err)
	}
	return dir
}()

// stdioPeer is a minimal MCP client on the binary's stdin and stdout: one
// request at a time, lines in and out, so the client adds next to nothing to
// what is timed.
type stdioPeer struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout *bufio.Reader
	lastID int
}

func startPeer(bin string, env []string) (*stdioPeer, error) {
	cmd := exec.Command(bin)
	cmd.Env = env
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	// stderr (the log) goes to /dev/null.
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return &stdioPeer{cmd: cmd, stdin: stdin, stdout: bufio.NewReaderSize(stdout, 64<<10)}, nil
}

// send writes a request and returns its id.
func (p *stdioPeer) send(method, params string) (int, error) {
	p.lastID++
	line := `{"jsonrpc":"2.0","id":` + strconv.Itoa(p.lastID) + `,"method":"` + method + `","params":` + params + "}\n"
	_, err := io.WriteString(p.stdin, line)
	return p.lastID, err
}

func (p *stdioPeer) notify(method string) error {
	_, err := io.WriteString(p.stdin, `{"jsonrpc":"2.0","method":"`+method+`"}`+"\n")
	return err
}

// rpcResponse is the part of a JSON-RPC response the harness checks.
type rpcResponse struct {
	ID     *int            `json:"id"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Message string `json:"message"`
	} `json:"error"`
}

// await reads lines until the response to id, and returns it with the time
// its line arrived (before the harness parses it).
func (p *stdioPeer) await(id int) ([]byte, time.Time, error) {
	for {
		line, err := p.stdout.ReadBytes('\n')
		arrived := time.Now()
		if err != nil {
			return nil, arrived, fmt.Errorf("reading the response to request %d: %w", id, err)
		}
		var res rpcResponse
		if err := json.Unmarshal(line, &res); err != nil {
			return nil, arrived, fmt.Errorf("response to request %d: %w: %s", id, err, line)
		}
		if res.ID == nil || *res.ID != id {
			continue // a notification or another request's answer
		}
		if res.Error != nil {
			return nil, arrived, fmt.Errorf("request %d failed: %s", id, res.Error.Message)
		}
		return res.Result, arrived, nil
	}
}

func (p *stdioPeer) call(method, params string) ([]byte, error) {
	id, err := p.send(method, params)
	if err != nil {
		return nil, err
	}
	res, _, err := p.await(id)
	return res, err
}

// close ends the session as a client does, by closing stdin.
func (p *stdioPeer) close() error {
	_ = p.stdin.Close()
	return p.cmd.Wait()
}

const initializeParams = `{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"pci-mcp-bench","version":"1"}}`

// initialize performs the handshake.
func (p *stdioPeer) initialize() error {
	if _, err := p.call("initialize", initializeParams); err != nil {
		return err
	}
	return p.notify("notifications/initialized")
}

// procStatus reads a kB field (VmRSS, VmHWM) of /proc/PID/status, in bytes.
func procStatus(pid int, field string) (int64, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("/proc/%d/status has no %s", pid, field)
}

// cpuTime is the CPU time (user and system) a process has used so far.
func cpuTime(pid string) (time.Duration, error) {
	data, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0, err
	}
	// Fields after the command name, which is in parentheses and may hold
	// spaces: utime and stime are the 12th and 13th.
	f := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%s/stat: too few fields", pid)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%s/stat: %v %v", pid, err1, err2)
	}
	const ticksPerSecond = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / ticksPerSecond, nil
}

// machineBusy is the CPU time every process on the machine has used so far
// (the busy jiffies of /proc/stat's first line).
func machineBusy() (time.Duration, error) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	line, _, _ := strings.Cut(string(data), "\n")
	f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal ...
	if len(f) < 9 || f[0] != "cpu" {
		return 0, fmt.Errorf("/proc/stat: unexpected first line %q", line)
	}
	var busy int64
	for i, v := range f[1:9] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, err
		}
		busy += n
	}
	const ticksPerSecond = 100 // USER_HZ on Linux
	return time.Duration(busy) * time.Second / ticksPerSecond, nil
}

// durations summarises a sample.
type durations []time.Duration

func (d durations) sorted() durations {
	s := slices.Clone(d)
	slices.Sort(s)
	return s
}

// quantile is the nearest-rank quantile q (0 < q ≤ 1).
func (d durations) quantile(q float64) time.Duration {
	s := d.sorted()
	rank := int(q*float64(len(s))+0.999999) - 1
	return s[max(0, min(rank, len(s)-1))]
}

func (d durations) median() time.Duration { return d.quantile(0.5) }
func (d durations) max() time.Duration    { return slices.Max(d) }
func (d durations) min() time.Duration    { return slices.Min(d) }

// ms renders a duration in milliseconds with three decimals.
func ms(d time.Duration) string { return fmt.Sprintf("%.3f ms", float64(d)/float64(time.Millisecond)) }

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// coldStart starts bin once with env and times process start → initialize
// result and → first tools/list result over stdio; it returns the list and
// the process's resident memory after it.
func coldStart(bin string, env []string) (toInit, toList time.Duration, list []byte, rss, hwm int64, err error) {
	start := time.Now()
	p, err := startPeer(bin, env)
	if err != nil {
		return
	}
	defer func() {
		if cerr := p.close(); err == nil && cerr != nil {
			err = fmt.Errorf("%s exited: %w", bin, cerr)
		}
	}()
	id, err := p.send("initialize", initializeParams)
	if err != nil {
		return
	}
	_, initAt, err := p.await(id)
	if err != nil {
		return
	}
	if err = p.notify("notifications/initialized"); err != nil {
		return
	}
	if id, err = p.send("tools/list", "{}"); err != nil {
		return
	}
	list, listAt, err := p.await(id)
	if err != nil {
		return
	}
	rss, err = procStatus(p.cmd.Process.Pid, "VmRSS")
	if err != nil {
		return
	}
	hwm, err = procStatus(p.cmd.Process.Pid, "VmHWM")
	return initAt.Sub(start), listAt.Sub(start), list, rss, hwm, err
}

// benchBaseline is mcp-go's own examples/everything at the version go.mod
// requires, built by .ci/bench: the reference pci-mcp's start-up is held to.
var benchBaseline = flag.String("bench.baseline", "", "mcp-go's examples/everything binary, started in turn with pci-mcp for the start-up ratio")

// TestBenchColdStart times process start → initialize result and → first
// tools/list result over stdio, with both providers configured. With
// -bench.baseline, mcp-go's examples/everything is started in turn with
// each run, so both see the same machine and the ratio holds on any one.
func TestBenchColdStart(t *testing.T) {
	bin := binary(t)
	fake := fakeProviders(t)
	env := benchEnv(fake.URL)
	runs := *benchStarts
	var toInit, toList, baseInit, baseList durations
	var rss, hwm []int64
	var lastList []byte
	loadBefore := loadAverage()
	for i := 0; i < runs+1; i++ {
		// The first run of each warms the page cache; the order alternates
		// so neither always runs right after the other.
		if *benchBaseline != "" && i%2 == 1 {
			bi, bl, _, _, _, err := coldStart(*benchBaseline, nil)
			if err != nil {
				t.Fatal(err)
			}
			if i > 0 {
				baseInit, baseList = append(baseInit, bi), append(baseList, bl)
			}
		}
		ti, tl, list, r, h, err := coldStart(bin, env)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(list, []byte(`"halo_pci_summary"`)) || !bytes.Contains(list, []byte(`"qualys_get_scan"`)) {
			t.Fatalf("tools/list lacks a provider's tools: %.200s", list)
		}
		if *benchBaseline != "" && i%2 == 0 {
			bi, bl, _, _, _, err := coldStart(*benchBaseline, nil)
			if err != nil {
				t.Fatal(err)
			}
			if i > 0 {
				baseInit, baseList = append(baseInit, bi), append(baseList, bl)
			}
		}
		if i == 0 {
			continue
		}
		toInit = append(toInit, ti)
		toList = append(toList, tl)
		lastList = list
		rss = append(rss, r)
		hwm = append(hwm, h)
	}
	loadAfter := loadAverage()
	slices.Sort(rss)
	slices.Sort(hwm)

	// Where start-up goes: `pci-mcp version` is the process, the Go runtime
	// and every package's init, without the catalog or the handshake.
	var version durations
	for range runs {
		start := time.Now()
		if out, err := exec.Command(bin, "version").CombinedOutput(); err != nil {
			t.Fatalf("pci-mcp version: %v: %s", err, out)
		}
		version = append(version, time.Since(start))
	}
	inits, initTotal := initTrace(t, bin)

	if *benchBaseline != "" {
		report(t, "### 1. Cold start over stdio against mcp-go's examples/everything (%d runs each, interleaved)\n\n"+
			"| from process start to | pci-mcp median | `examples/everything` median (same mcp-go) | ratio of medians |\n|---|---|---|---|\n"+
			"| `initialize` result | %s | %s | **%.2f×** |\n"+
			"| first `tools/list` result | %s | %s | **%.2f×** |\n\n"+
			"Load average of the machine (1, 5, 15 min) before the runs: %s; after: %s.\n\n",
			runs, ms(toInit.median()), ms(baseInit.median()), float64(toInit.median())/float64(baseInit.median()),
			ms(toList.median()), ms(baseList.median()), float64(toList.median())/float64(baseList.median()),
			loadBefore, loadAfter)
	}
	report(t, "### 1b. Cold start over stdio: spread, `pci-mcp version`, package inits, memory (%d runs, both providers configured)\n\n"+
		"| from process start to | median | min | max |\n|---|---|---|---|\n"+
		"| `initialize` result | %s | %s | %s |\n"+
		"| first `tools/list` result | %s | %s | %s |\n"+
		"| *for comparison:* `pci-mcp version` exits (process, runtime, package init; no catalog) | %s | %s | %s |\n\n"+
		"Package initialisation (`GODEBUG=inittrace=1`) takes %s in all; the largest: %s.\n\n"+
		"Resident memory after the first `tools/list` (idle, stdio): median %s (VmRSS), peak so far %s (VmHWM).\n\n",
		runs, ms(toInit.median()), ms(toInit.min()), ms(toInit.max()),
		ms(toList.median()), ms(toList.min()), ms(toList.max()),
		ms(version.median()), ms(version.min()), ms(version.max()),
		ms(initTotal), strings.Join(inits, ", "),
		mib(rss[len(rss)/2]), mib(hwm[len(hwm)/2]))
	if *benchBaseline != "" {
		benchStartFloor(t, bin, env, lastList, runs)
	}
}

// loadAverage is the machine's load average, as /proc/loadavg gives it.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(data))
	return strings.Join(f[:min(3, len(f))], " ")
}

// initTrace runs `pci-mcp version` with the runtime's init trace and
// returns the three slowest package inits and the total.
func initTrace(t *testing.T, bin string) ([]string, time.Duration) {
	t.Helper()
	cmd := exec.Command(bin, "version")
	cmd.Env = []string{"GODEBUG=inittrace=1"}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("pci-mcp version: %v: %s", err, out)
	}
	type pkgInit struct {
		name  string
		clock time.Duration
	}
	var inits []pkgInit
	var total time.Duration
	for _, line := range strings.Split(string(out), "\n") {
		// init net/http @7.8 ms, 0.037 ms clock, 4712 bytes, 49 allocs
		f := strings.Fields(line)
		if len(f) < 7 || f[0] != "init" || f[6] != "clock," {
			continue
		}
		v, err := strconv.ParseFloat(f[4], 64)
		if err != nil {
			continue
		}
		d := time.Duration(v * float64(time.Millisecond))
		inits = append(inits, pkgInit{f[1], d})
		total += d
	}
	slices.SortFunc(inits, func(a, b pkgInit) int { return int(b.clock - a.clock) })
	var top []string
	for _, in := range inits[:min(3, len(inits))] {
		top = append(top, fmt.Sprintf("`%s` %s", in.name, ms(in.clock)))
	}
	return top, total
}

// TestBenchContextCost measures what the catalog costs a model's context:
// the bytes and tokens of the full tools/list result and of each tool.
func TestBenchContextCost(t *testing.T) {
	fake := fakeProviders(t)
	p, err := startPeer(binary(t), benchEnv(fake.URL))
	if err != nil {
		t.Fatal(err)
	}
	defer p.close()
	initResult, err := p.call("initialize", initializeParams)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.notify("notifications/initialized"); err != nil {
		t.Fatal(err)
	}
	var init struct {
		Instructions string `json:"instructions"`
	}
	if err := json.Unmarshal(initResult, &init); err != nil {
		t.Fatal(err)
	}
	result, err := p.call("tools/list", "{}")
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Tools []json.RawMessage `json:"tools"`
	}
	if err := json.Unmarshal(result, &list); err != nil {
		t.Fatal(err)
	}
	enc, err := tokenizer.Get(tokenizer.O200kBase)
	if err != nil {
		t.Fatal(err)
	}
	count := func(b []byte) int {
		n, err := enc.Count(string(b))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	type row struct {
		name                          string
		visible, visibleTokens, whole int
	}
	var rows []row
	visibleTotal, visibleTokens := 0, 0
	for _, raw := range list.Tools {
		var tool struct {
			Name string `json:"name"`
		}
		if err := json.Unmarshal(raw, &tool); err != nil {
			t.Fatal(err)
		}
		visible, err := tools.ModelVisible(raw)
		if err != nil {
			t.Fatal(err)
		}
		r := row{tool.Name, len(visible), count(visible), len(raw)}
		visibleTotal += r.visible
		visibleTokens += r.visibleTokens
		rows = append(rows, r)
	}
	slices.SortStableFunc(rows, func(a, b row) int { return b.visible - a.visible })
	var b strings.Builder
	fmt.Fprintf(&b, "### 2. Context cost of `tools/list` (%d tools, both providers)\n\n", len(rows))
	fmt.Fprintf(&b, "What a model reads of each tool is its name, title, description, input schema and annotations (*model-visible*); "+
		"the output schema goes to the client's validation, not to the model. "+
		"Tokens are counted with OpenAI's o200k_base BPE (github.com/tiktoken-go/tokenizer, vocabulary compiled in); "+
		"Claude's tokenizer is not public, so treat them as approximate.\n\n")
	fmt.Fprintf(&b, "| | bytes | tokens (o200k_base) | per tool |\n|---|---|---|---|\n")
	fmt.Fprintf(&b, "| **model-visible, all tools** | **%d** | **%d** | **%.0f bytes** (budget: at most %d on average) |\n",
		visibleTotal, visibleTokens, float64(visibleTotal)/float64(len(rows)), tools.ModelVisibleAverageMax)
	fmt.Fprintf(&b, "| whole `tools/list` result, output schemas included | %d | %d | %.0f bytes |\n",
		len(result), count(result), float64(len(result))/float64(len(rows)))
	fmt.Fprintf(&b, "| *also read by most clients:* `initialize` instructions | %d | %d | |\n\n",
		len(init.Instructions), count([]byte(init.Instructions)))
	fmt.Fprintf(&b, "| tool | model-visible bytes | tokens | whole bytes |\n|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| `%s` | %d | %d | %d |\n", r.name, r.visible, r.visibleTokens, r.whole)
	}
	b.WriteString("\n")
	report(t, "%s", b.String())
}

// directQualysRequest is the upstream request qualys_get_scan sends, made
// with net/http alone: the baseline a tool call is compared with.
func directQualysRequest(c *http.Client, base string) func() error {
	url := base + "/pci/scan/" + strconv.Itoa(benchScanID) + "/details"
	return func() error {
		req, err := http.NewRequest(http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		req.Header.Set("apiVersion", "V1")
		req.Header.Set("X-Requested-With", "pci-mcp")
		req.Header.Set("Accept", "application/json")
		req.SetBasicAuth(benchQualysUser, benchQualysPassword)
		return doDirect(c, req)
	}
}

// directHaloRequest is the upstream request halo_pci_summary sends.
func directHaloRequest(c *http.Client, base string) func() error {
	url := base + "/api/v1/pci/summary.json"
	return func() error {
		req, err := http.NewRequest(http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		req.Header.Set("Accept", "application/json")
		req.Header.Set("x-apikey", benchHaloKey)
		return doDirect(c, req)
	}
}

func doDirect(c *http.Client, req *http.Request) error {
	res, err := c.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK || len(body) == 0 {
		return fmt.Errorf("direct request: HTTP %d", res.StatusCode)
	}
	return nil
}

// TestBenchCallOverhead pairs each tool call over stdio with the same
// upstream request made directly with net/http, alternating them so both
// see the same machine, and reports what pci-mcp adds.
func TestBenchCallOverhead(t *testing.T) {
	fake := fakeProviders(t)
	p, err := startPeer(binary(t), benchEnv(fake.URL))
	if err != nil {
		t.Fatal(err)
	}
	defer p.close()
	if err := p.initialize(); err != nil {
		t.Fatal(err)
	}
	direct := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	cases := []struct {
		tool, args string
		direct     func() error
	}{
		{"halo_pci_summary", `{}`, directHaloRequest(direct, fake.URL)},
		{"qualys_get_scan", `{"scan_id":` + strconv.Itoa(benchScanID) + `}`, directQualysRequest(direct, fake.URL)},
	}
	n := *benchCalls
	var b strings.Builder
	fmt.Fprintf(&b, "### 3. Per-call overhead over stdio (%d calls per tool, each paired with a direct request)\n\n", n)
	b.WriteString("| tool | direct `net/http` median / p99 | `tools/call` over stdio median / p99 | overhead median / p99 | ratio (median) |\n|---|---|---|---|---|\n")
	for _, c := range cases {
		params := `{"name":"` + c.tool + `","arguments":` + c.args + `}`
		callOnce := func() (time.Duration, error) {
			start := time.Now()
			id, err := p.send("tools/call", params)
			if err != nil {
				return 0, err
			}
			res, arrived, err := p.await(id)
			if err != nil {
				return 0, err
			}
			if bytes.Contains(res, []byte(`"isError":true`)) {
				return 0, fmt.Errorf("%s: %s", c.tool, res)
			}
			return arrived.Sub(start), nil
		}
		directOnce := func() (time.Duration, error) {
			start := time.Now()
			err := c.direct()
			return time.Since(start), err
		}
		var viaMCP, viaHTTP durations
		const warmUp = 200
		for i := 0; i < warmUp+n; i++ {
			d1, err := directOnce()
			if err != nil {
				t.Fatal(err)
			}
			d2, err := callOnce()
			if err != nil {
				t.Fatal(err)
			}
			if i >= warmUp {
				viaHTTP = append(viaHTTP, d1)
				viaMCP = append(viaMCP, d2)
			}
		}
		fmt.Fprintf(&b, "| `%s` | %s / %s | %s / %s | **%s** / %s | %.1f× |\n", c.tool,
			ms(viaHTTP.median()), ms(viaHTTP.quantile(0.99)),
			ms(viaMCP.median()), ms(viaMCP.quantile(0.99)),
			ms(viaMCP.median()-viaHTTP.median()), ms(viaMCP.quantile(0.99)-viaHTTP.quantile(0.99)),
			float64(viaMCP.median())/float64(viaHTTP.median()))
	}

	// Where the overhead goes: a ping is the pipe and mcp-go's dispatch
	// alone; a call with a bad argument adds our decoding and the error
	// result, but sends nothing upstream.
	b.WriteString("\nWhere it goes — round trips over the same stdio session that reach no upstream:\n\n" +
		"| request | median | p99 |\n|---|---|---|\n")
	for _, r := range []struct{ label, method, params string }{
		{"`ping` (pipe + JSON-RPC dispatch)", "ping", `{}`},
		{"`tools/call qualys_get_scan` refused by validation (`scan_id: 0`)", "tools/call", `{"name":"qualys_get_scan","arguments":{"scan_id":0}}`},
	} {
		var rt durations
		for i := 0; i < 200+n; i++ {
			start := time.Now()
			id, err := p.send(r.method, r.params)
			if err != nil {
				t.Fatal(err)
			}
			if _, arrived, err := p.await(id); err != nil {
				t.Fatal(err)
			} else if i >= 200 {
				rt = append(rt, arrived.Sub(start))
			}
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", r.label, ms(rt.median()), ms(rt.quantile(0.99)))
	}
	b.WriteString("\n")
	report(t, "%s", b.String())
}

var (
	benchSessions = flag.Int("bench.sessions", 50, "concurrent Streamable HTTP sessions")
	benchLoadFor  = flag.Duration("bench.load", 10*time.Second, "how long the Streamable HTTP load runs")
)

// freeAddr returns a loopback address nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// httpSession is one MCP client over Streamable HTTP: its session id, if the
// server gave one, sent back on every request.
type httpSession struct {
	client   *http.Client
	endpoint string
	id       string
	next     int
}

// post sends one JSON-RPC message and returns the response to it, read from
// a JSON body or from an event stream; a notification returns nil.
func (s *httpSession) post(method, params string, notification bool) ([]byte, error) {
	var body string
	var id int
	if notification {
		body = `{"jsonrpc":"2.0","method":"` + method + `"}`
	} else {
		s.next++
		id = s.next
		body = `{"jsonrpc":"2.0","id":` + strconv.Itoa(id) + `,"method":"` + method + `","params":` + params + `}`
	}
	req, err := http.NewRequest(http.MethodPost, s.endpoint, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("MCP-Protocol-Version", "2025-11-25")
	req.Header.Set("Authorization", "Bearer "+benchAuthToken)
	if s.id != "" {
		req.Header.Set("Mcp-Session-Id", s.id)
	}
	res, err := s.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if sid := res.Header.Get("Mcp-Session-Id"); sid != "" && s.id == "" {
		s.id = sid
	}
	if res.StatusCode/100 != 2 {
		data, _ := io.ReadAll(io.LimitReader(res.Body, 512))
		return nil, fmt.Errorf("%s: HTTP %d: %s", method, res.StatusCode, data)
	}
	if notification {
		_, _ = io.Copy(io.Discard, res.Body)
		return nil, nil
	}
	var messages [][]byte
	if strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 64<<10), 4<<20)
		for sc.Scan() {
			if data, ok := bytes.CutPrefix(sc.Bytes(), []byte("data:")); ok {
				messages = append(messages, bytes.Clone(bytes.TrimSpace(data)))
			}
		}
		if err := sc.Err(); err != nil {
			return nil, err
		}
	} else {
		data, err := io.ReadAll(res.Body)
		if err != nil {
			return nil, err
		}
		messages = append(messages, data)
	}
	for _, m := range messages {
		var r rpcResponse
		if json.Unmarshal(m, &r) != nil || r.ID == nil || *r.ID != id {
			continue
		}
		if r.Error != nil {
			return nil, fmt.Errorf("%s: %s", method, r.Error.Message)
		}
		return r.Result, nil
	}
	return nil, fmt.Errorf("%s: no response to request %d", method, id)
}

// loadResult is what a load run saw.
type loadResult struct {
	calls   int
	errors  int
	first   error
	elapsed time.Duration
	latency durations
}

// httpLoad runs sessions concurrent sessions against endpoint for d, each
// calling tool with args as fast as answers come back.
func httpLoad(endpoint string, sessions int, d time.Duration, tool, args string) loadResult {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = sessions
	client := &http.Client{Transport: transport, Timeout: 30 * time.Second}
	params := `{"name":"` + tool + `","arguments":` + args + `}`
	var mu sync.Mutex
	var total loadResult
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(d)
	for range sessions {
		wg.Go(func() {
			var mine loadResult
			mine.latency = make(durations, 0, 4096)
			s := &httpSession{client: client, endpoint: endpoint}
			fail := func(err error) {
				mine.errors++
				if mine.first == nil {
					mine.first = err
				}
			}
			_, err := s.post("initialize", initializeParams, false)
			if err == nil {
				_, err = s.post("notifications/initialized", "", true)
			}
			if err != nil {
				fail(err)
			} else {
				for time.Now().Before(deadline) {
					t0 := time.Now()
					res, err := s.post("tools/call", params, false)
					took := time.Since(t0)
					switch {
					case err != nil:
						fail(err)
					case bytes.Contains(res, []byte(`"isError":true`)):
						fail(fmt.Errorf("%s: %s", tool, res))
					default:
						mine.calls++
						mine.latency = append(mine.latency, took)
					}
				}
			}
			mu.Lock()
			defer mu.Unlock()
			total.calls += mine.calls
			total.errors += mine.errors
			if total.first == nil {
				total.first = mine.first
			}
			total.latency = append(total.latency, mine.latency...)
		})
	}
	wg.Wait()
	total.elapsed = time.Since(start)
	transport.CloseIdleConnections()
	return total
}

// TestBenchHTTPLoad serves the binary over Streamable HTTP and loads it with
// concurrent sessions calling a read tool: throughput, latency, errors, and
// the server's resident memory idle and at its peak.
func TestBenchHTTPLoad(t *testing.T) {
	fake := fakeProviders(t)
	addr := freeAddr(t)
	cmd := exec.Command(binary(t), "--transport", "http", "--addr", addr)
	cmd.Env = append(benchEnv(fake.URL), "PCI_MCP_AUTH_TOKEN="+benchAuthToken)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	}()

	// Ready when /healthz answers 200.
	ready := time.Now().Add(10 * time.Second)
	for {
		select {
		case err := <-exited:
			exited <- err
			lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
			report(t, "### 4. Streamable HTTP under load\n\n**Pending**: this binary does not serve `--transport http` yet (`%s`). "+
				"`make bench` measures it once the HTTP transports are merged.\n\n", lines[len(lines)-1])
			t.Skipf("pci-mcp --transport http exited: %v: %s", err, stderr.String())
		default:
		}
		res, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(ready) {
			t.Fatalf("pci-mcp did not become ready on %s: %v; log: %s", addr, err, stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	pid := cmd.Process.Pid
	idle, err := procStatus(pid, "VmRSS")
	if err != nil {
		t.Fatal(err)
	}

	endpoint := "http://" + addr + "/mcp"
	tool, args := "qualys_get_scan", `{"scan_id":`+strconv.Itoa(benchScanID)+`}`
	httpLoad(endpoint, *benchSessions, time.Second, tool, args) // warm-up, not reported

	// The three processes share the machine, so what each spends per call
	// says more about pci-mcp than the throughput alone does.
	procs := []struct{ label, pid string }{
		{"pci-mcp", strconv.Itoa(pid)}, {"load generator (this test)", "self"}, {"fake upstream", strconv.Itoa(fake.pid)},
	}
	before := make([]time.Duration, len(procs))
	for i, p := range procs {
		if before[i], err = cpuTime(p.pid); err != nil {
			t.Fatal(err)
		}
	}
	busyBefore, err := machineBusy()
	if err != nil {
		t.Fatal(err)
	}
	connsBefore := fake.connections(t)
	res := httpLoad(endpoint, *benchSessions, *benchLoadFor, tool, args)
	busyAfter, err := machineBusy()
	if err != nil {
		t.Fatal(err)
	}
	others := busyAfter - busyBefore
	dialled := fake.connections(t) - connsBefore - 1 // less the harness's own query
	var cpu strings.Builder
	for i, p := range procs {
		after, err := cpuTime(p.pid)
		if err != nil {
			t.Fatal(err)
		}
		used := after - before[i]
		others -= used
		fmt.Fprintf(&cpu, "| %s | %.2f s (%.0f%% of one core) | %.0f µs |\n", p.label, used.Seconds(),
			100*used.Seconds()/res.elapsed.Seconds(), float64(used.Microseconds())/float64(max(res.calls, 1)))
	}
	fmt.Fprintf(&cpu, "| everything else on the machine | %.2f s (%.0f%% of one core) | |\n",
		max(others, 0).Seconds(), 100*max(others, 0).Seconds()/res.elapsed.Seconds())
	peak, err := procStatus(pid, "VmHWM")
	if err != nil {
		t.Fatal(err)
	}
	if res.errors > 0 {
		t.Errorf("%d calls failed; the first: %v", res.errors, res.first)
	}
	if res.calls == 0 {
		t.Fatal("no call succeeded")
	}
	report(t, "### 4. Streamable HTTP under load (%d sessions calling `%s` for %s)\n\n"+
		"| calls/s | p50 | p99 | max | errors | idle RSS after start | peak RSS (VmHWM) |\n|---|---|---|---|---|---|---|\n"+
		"| %.0f | %s | %s | %s | %d | %s | %s |\n\n",
		*benchSessions, tool, *benchLoadFor,
		float64(res.calls)/res.elapsed.Seconds(), ms(res.latency.median()), ms(res.latency.quantile(0.99)), ms(res.latency.max()),
		res.errors, mib(idle), mib(peak))
	report(t, "CPU used during the measured load (all three share the %d cores):\n\n"+
		"| process | CPU time | per call |\n|---|---|---|\n%s\n"+
		"Connections pci-mcp opened to the upstream during the measured load: %d.\n\n", runtime.NumCPU(), cpu.String(), dialled)
}

// BenchmarkStreamableHTTPCall is a tools/call over Streamable HTTP with
// pci-mcp's HTTP serving (token check, origin and rebinding checks, limits)
// running in this process, from 50 concurrent sessions, against the fake
// upstream in its own process: the way to profile where an HTTP call's CPU
// goes,
//
//	go test -tags bench -run '^$' -bench StreamableHTTPCall -cpuprofile cpu.out ./cmd/pci-mcp
//	go tool pprof -top -cum -focus 'conn\).serve' cpu.out
//
// The client's own work is in the same profile; -focus leaves it out.
func BenchmarkStreamableHTTPCall(b *testing.B) {
	fake := fakeProviders(b)
	vars := map[string]string{"PCI_MCP_AUTH_TOKEN": benchAuthToken}
	for _, kv := range benchEnv(fake.URL) {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.WithValue(context.Background(), httpTestHooksKey{}, &httpTestHooks{listener: ln}))
	served := make(chan int, 1)
	go func() {
		served <- run(ctx, []string{"pci-mcp", "--transport", "http", "--addr", ln.Addr().String(), "--log-level", "warn"},
			func(k string) string { return vars[k] }, strings.NewReader(""), io.Discard, io.Discard)
	}()
	defer func() {
		cancel()
		if code := <-served; code != exitOK {
			b.Errorf("pci-mcp exited with status %d", code)
		}
	}()

	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 64
	client := &http.Client{Transport: transport}
	defer transport.CloseIdleConnections()
	endpoint := "http://" + ln.Addr().String() + "/mcp"
	params := `{"name":"qualys_get_scan","arguments":{"scan_id":` + strconv.Itoa(benchScanID) + `}}`
	b.SetParallelism(max(1, 50/runtime.GOMAXPROCS(0)))
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		s := &httpSession{client: client, endpoint: endpoint}
		if _, err := s.post("initialize", initializeParams, false); err != nil {
			b.Error(err)
			return
		}
		for pb.Next() {
			res, err := s.post("tools/call", params, false)
			if err != nil || bytes.Contains(res, []byte(`"isError":true`)) {
				b.Errorf("tools/call: %v %s", err, res)
				return
			}
		}
	})
}
