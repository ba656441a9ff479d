//go:build e2e

// The two-replica proof behind `make e2e-cluster`: a real redis-server, two
// pci-mcp processes (the built binary) with one state key and one store, a
// fake Qualys that logs every request it receives, and a local OAuth issuer
// whose tokens the replicas verify. Every claim is checked on the fake's
// request log: what Qualys would have received.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pci-mcp/pci-mcp/cmd/pci-mcp/internal/oauth/oauthtest"
	"github.com/pci-mcp/pci-mcp/tools/guard/approval"
	"github.com/pci-mcp/pci-mcp/tools/guard/redisstore/redistest"
)

// clusterStateKey is the confirmation key both replicas share.
const clusterStateKey = "cluster-state-key-0123456789abcdef0123456789abcdef"

// loggedQualys is the fake Qualys of the cluster test: it answers scan
// lists and host removals, logs each request with its body, and holds each
// removal for removalDelay so that a replica can die with one in flight.
type loggedQualys struct {
	srv          *httptest.Server
	removalDelay time.Duration

	mu  sync.Mutex
	log []loggedRequest
}

type loggedRequest struct {
	Method, Path, Body string
}

func newLoggedQualys(t *testing.T, removalDelay time.Duration) *loggedQualys {
	f := &loggedQualys{removalDelay: removalDelay}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.log = append(f.log, loggedRequest{r.Method, r.URL.Path, string(body)})
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch r.Method + " " + r.URL.Path {
		case "GET /pci/scan/list":
			_, _ = io.WriteString(w, `{"responseApiVersion":"V1","data":{"totalCount":0,"fetchRange":"0-0","scanInfoList":[]}}`)
		case "DELETE /pci/asset/delete":
			time.Sleep(f.removalDelay)
			_, _ = io.WriteString(w, `{"responseApiVersion":"V1","data":"removed successfully"}`)
		default:
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"responseApiVersion":"V1","errors":[{"code":404,"message":"Not Found"}]}`)
		}
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// removals counts the DELETEs whose body names host.
func (f *loggedQualys) removals(host string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, r := range f.log {
		if r.Method == http.MethodDelete && strings.Contains(r.Body, `"`+host+`"`) {
			n++
		}
	}
	return n
}

// allRemovals counts every DELETE.
func (f *loggedQualys) allRemovals() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, r := range f.log {
		if r.Method == http.MethodDelete {
			n++
		}
	}
	return n
}

// replica is one pci-mcp process.
type replica struct {
	name   string
	cmd    *exec.Cmd
	url    string // http://127.0.0.1:PORT
	stderr *lockedBuffer
	exited chan struct{}
}

// buildPCIMCP builds the binary once per test run.
func buildPCIMCP(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "pci-mcp")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	return bin
}

// startReplica starts the binary with env on a free port and waits until it
// logs that it is ready, reading the bound address from that line.
func startReplica(t *testing.T, bin, name string, env []string, args ...string) *replica {
	t.Helper()
	r := &replica{name: name, stderr: &lockedBuffer{}, exited: make(chan struct{})}
	r.cmd = exec.Command(bin, append([]string{"--transport", "http", "--addr", "127.0.0.1:0", "--log-format", "json"}, args...)...)
	r.cmd.Env = env
	pipe, err := r.cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, r.cmd.Start())
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pipe)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Bytes()
			r.stderr.Write(append(bytes.Clone(line), '\n'))
			var entry struct {
				Msg string `json:"msg"`
				URL string `json:"url"`
			}
			if json.Unmarshal(line, &entry) == nil && entry.Msg == "pci-mcp ready" && entry.URL != "" {
				select {
				case ready <- strings.TrimSuffix(entry.URL, "/mcp"):
				default:
				}
			}
		}
	}()
	go func() { _ = r.cmd.Wait(); close(r.exited) }()
	t.Cleanup(func() {
		_ = r.cmd.Process.Kill()
		<-r.exited
	})
	select {
	case r.url = <-ready:
	case <-r.exited:
		t.Fatalf("replica %s exited before it was ready:\n%s", name, r.stderr.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("replica %s was not ready within 60s:\n%s", name, r.stderr.String())
	}
	return r
}

// kill ends the process at once, as a crash or OOM kill would.
func (r *replica) kill() {
	_ = r.cmd.Process.Kill()
	<-r.exited
}

// clusterEnv is the environment both replicas share.
func clusterEnv(fake *loggedQualys, redis *redistest.Server, iss *oauthtest.Issuer, extra ...string) []string {
	env := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
		"QUALYS_USERNAME=merchant", "QUALYS_PASSWORD=" + markerPassword, "QUALYS_PCI_URL=" + fake.srv.URL,
		envStateKey + "=" + clusterStateKey, envStoreURL + "=" + redis.URL(0),
		envOAuthIssuer + "=" + iss.URL(), envOAuthAudience + "=" + testAudience,
		"PCI_MCP_LOG_LEVEL=debug",
	}
	return append(env, extra...)
}

// callE is tools/call that returns a transport error instead of failing the
// test: a replica that was killed answers nothing.
func callE(c *client.Client, name string, args map[string]any) (*mcp.CallToolResult, error) {
	var req mcp.CallToolRequest
	req.Params.Name = name
	req.Params.Arguments = args
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return c.CallTool(ctx, req)
}

func hostArgs(host string) map[string]any { return map[string]any{"hosts": []string{host}} }

func statusOf(res *mcp.CallToolResult) string {
	if res == nil || res.StructuredContent == nil {
		return ""
	}
	data, _ := json.Marshal(res.StructuredContent)
	var out struct {
		Status string `json:"status"`
	}
	_ = json.Unmarshal(data, &out)
	return out.Status
}

func readyzCode(t *testing.T, url string) int {
	resp, err := http.Get(url + "/readyz")
	require.NoError(t, err)
	_ = resp.Body.Close()
	return resp.StatusCode
}

const allScopes = "pci:read pci:write pci:destructive"

func TestCluster(t *testing.T) {
	bin := buildPCIMCP(t)
	redis := redistest.Start(t)
	iss := oauthtest.Start(t)
	fake := newLoggedQualys(t, 150*time.Millisecond)
	env := clusterEnv(fake, redis, iss)
	a := startReplica(t, bin, "A", env, "--confirm", "token")
	b := startReplica(t, bin, "B", env, "--confirm", "token")
	alice := mint(t, iss, "alice", allScopes)

	t.Run("a token minted on A executes on B once; replays on A and B are refused", func(t *testing.T) {
		host := "198.51.100.1"
		ca := connectStreamable(t, a.url, alice, mcp.LATEST_PROTOCOL_VERSION, nil)
		cb := connectStreamable(t, b.url, alice, mcp.LATEST_PROTOCOL_VERSION, nil)
		first := callTool(t, ca, "qualys_remove_hosts", hostArgs(host))
		token, _ := structuredOf(t, first)["confirmation_token"].(string)
		require.NotEmpty(t, token, resultText(first))
		assert.Zero(t, fake.removals(host), "the preview sends nothing")

		done := callTool(t, cb, "qualys_remove_hosts", withToken(hostArgs(host), token))
		require.False(t, done.IsError, resultText(done))
		assert.Equal(t, "done", statusOf(done))
		for _, c := range []*client.Client{ca, cb} {
			replay := callTool(t, c, "qualys_remove_hosts", withToken(hostArgs(host), token))
			assert.True(t, replay.IsError)
			assert.Contains(t, resultText(replay), "already used")
		}
		assert.Equal(t, 1, fake.removals(host), "on the upstream's log exactly once")
	})

	t.Run("subject X's confirmation is refused for subject Y", func(t *testing.T) {
		host := "198.51.100.2"
		ca := connectStreamable(t, a.url, alice, mcp.LATEST_PROTOCOL_VERSION, nil)
		bob := connectStreamable(t, b.url, mint(t, iss, "bob", allScopes), mcp.LATEST_PROTOCOL_VERSION, nil)
		first := callTool(t, ca, "qualys_remove_hosts", hostArgs(host))
		token, _ := structuredOf(t, first)["confirmation_token"].(string)
		require.NotEmpty(t, token)
		stolen := callTool(t, bob, "qualys_remove_hosts", withToken(hostArgs(host), token))
		assert.True(t, stolen.IsError)
		assert.Contains(t, resultText(stolen), "issued to another person")
		assert.Zero(t, fake.removals(host), "nothing sent for Y")
	})

	t.Run("subject X's session, opened on A, is refused for subject Y on B and kept for X", func(t *testing.T) {
		id := openSession(t, a.url, alice)
		assert.Equal(t, http.StatusOK, postInSession(t, b.url, alice, id))
		assert.Equal(t, http.StatusNotFound, postInSession(t, b.url, mint(t, iss, "bob", allScopes), id))
	})

	t.Run("a token with the wrong audience gets 401 on both", func(t *testing.T) {
		wrong := iss.Mint(t, oauthtest.Token{Subject: "alice", Audience: []string{"https://another-service.example.test"}, Scope: allScopes})
		for _, r := range []*replica{a, b} {
			resp := post(t, r.url, wrong, initializeBody)
			assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, r.name)
			assert.Contains(t, resp.Header.Get("WWW-Authenticate"), `resource_metadata="`, r.name)
		}
	})

	t.Run("without pci:destructive removals are neither listed nor callable", func(t *testing.T) {
		reader := mint(t, iss, "carol", "pci:read pci:write")
		c := connectStreamable(t, b.url, reader, mcp.LATEST_PROTOCOL_VERSION, nil)
		list, err := c.ListTools(context.Background(), mcp.ListToolsRequest{})
		require.NoError(t, err)
		for _, tool := range list.Tools {
			assert.False(t, strings.HasPrefix(tool.Name, "qualys_remove_"), "listed: %s", tool.Name)
		}
		before := fake.allRemovals()
		resp := post(t, a.url, reader, `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"qualys_remove_hosts","arguments":{"hosts":["198.51.100.3"]}}}`)
		assert.Equal(t, http.StatusForbidden, resp.StatusCode)
		assert.Contains(t, resp.Header.Get("WWW-Authenticate"), `error="insufficient_scope"`)
		assert.Equal(t, before, fake.allRemovals())
	})

	t.Run("Redis stopped: destructive refused with nothing sent, reads work, not ready; back: recovers", func(t *testing.T) {
		host := "198.51.100.4"
		cb := connectStreamable(t, b.url, alice, mcp.LATEST_PROTOCOL_VERSION, nil)
		first := callTool(t, cb, "qualys_remove_hosts", hostArgs(host))
		token, _ := structuredOf(t, first)["confirmation_token"].(string)
		require.NotEmpty(t, token)

		redis.Stop()
		refused := callTool(t, cb, "qualys_remove_hosts", withToken(hostArgs(host), token))
		assert.True(t, refused.IsError)
		assert.Contains(t, resultText(refused), "the guard's store did not answer")
		assert.Zero(t, fake.removals(host), "nothing sent while the store is down")
		fresh := callTool(t, cb, "qualys_remove_hosts", hostArgs(host))
		assert.True(t, fresh.IsError, "no confirmation is handed out while the store is down")
		assert.Contains(t, resultText(fresh), "the guard's store does not answer")
		assert.Zero(t, fake.removals(host), "nothing sent while the store is down")
		read := callTool(t, cb, "qualys_list_scans", map[string]any{"limit": 1})
		assert.False(t, read.IsError, resultText(read))
		assert.Equal(t, http.StatusServiceUnavailable, readyzCode(t, a.url))
		assert.Equal(t, http.StatusServiceUnavailable, readyzCode(t, b.url))
		for _, r := range []*replica{a, b} {
			resp, err := http.Get(r.url + "/healthz")
			require.NoError(t, err)
			_ = resp.Body.Close()
			assert.Equal(t, http.StatusOK, resp.StatusCode, "/healthz stays liveness")
		}

		redis.Restart()
		require.Eventually(t, func() bool { return readyzCode(t, a.url) == 200 && readyzCode(t, b.url) == 200 }, 30*time.Second, 100*time.Millisecond)
		done := callTool(t, cb, "qualys_remove_hosts", withToken(hostArgs(host), token))
		require.False(t, done.IsError, resultText(done))
		assert.Equal(t, 1, fake.removals(host))
	})

	// Last: it kills A.
	t.Run("killing A under load leaves B serving; no confirmed call runs twice or is lost", func(t *testing.T) {
		const flows = 24
		type outcome struct {
			host   string
			status string // done, unknown, refused, none
			token  string
		}
		results := make([]outcome, flows)
		replicas := []*replica{a, b}
		var killed sync.Once
		var started sync.WaitGroup
		var mu sync.Mutex
		completed := 0
		var retried atomic.Int32
		connect := func(r *replica) *client.Client {
			return connectStreamable(t, r.url, alice, mcp.LATEST_PROTOCOL_VERSION, nil)
		}
		clients := map[string]*client.Client{"A": connect(a), "B": connect(b)}
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Add(1)
			started.Add(1)
			go func() {
				defer wg.Done()
				started.Done()
				rng := rand.New(rand.NewPCG(uint64(w), 7))
				for i := w; i < flows; i += 4 {
					host := fmt.Sprintf("198.51.100.%d", 100+i)
					results[i] = outcome{host: host, status: "none"}
					// A read on either replica between the writes.
					_, _ = callE(clients[replicas[rng.IntN(2)].name], "qualys_list_scans", map[string]any{"limit": 1})
					var token string
					for _, r := range []*replica{replicas[rng.IntN(2)], b} { // the preview, again on B if A is gone
						res, err := callE(clients[r.name], "qualys_remove_hosts", hostArgs(host))
						if err == nil {
							token, _ = structuredOf(t, res)["confirmation_token"].(string)
							break
						}
					}
					if token == "" {
						continue
					}
					results[i].token = token
					confirmOn := replicas[rng.IntN(2)]
					res, err := callE(clients[confirmOn.name], "qualys_remove_hosts", withToken(hostArgs(host), token))
					if err != nil {
						retried.Add(1)
						// The replica died with the call, or before it: the
						// client retries through the one left, as a client
						// behind a load balancer would. B executes it only if A
						// never claimed the token; if A did, B refuses, and
						// whether A sent it before dying is unknown.
						res, err = callE(clients["B"], "qualys_remove_hosts", withToken(hostArgs(host), token))
						if err == nil && res.IsError && strings.Contains(resultText(res), "already used") {
							results[i].status = "unknown"
							goto counted
						}
					}
					switch {
					case err != nil:
						results[i].status = "refused: " + err.Error()
					case !res.IsError && statusOf(res) == "done":
						results[i].status = "done"
					case res.IsError && strings.Contains(resultText(res), "outcome"):
						results[i].status = "unknown"
					default:
						results[i].status = "refused: " + resultText(res)
					}
				counted:
					mu.Lock()
					completed++
					if completed == flows/3 {
						go killed.Do(a.kill) // mid-run, while others are in flight
					}
					mu.Unlock()
				}
			}()
		}
		started.Wait()
		wg.Wait()
		killed.Do(a.kill)

		var done, unknown int
		for _, r := range results {
			n := fake.removals(r.host)
			assert.LessOrEqual(t, n, 1, "%s removed twice", r.host)
			switch {
			case r.status == "done":
				done++
				assert.Equal(t, 1, n, "%s reported done: on the log once", r.host)
			case r.status == "unknown":
				unknown++
			case r.status == "none":
				assert.Zero(t, n, "%s never confirmed, never sent", r.host)
			default:
				assert.Zero(t, n, "%s refused (%s): nothing sent", r.host, r.status)
			}
		}
		t.Logf("%d flows: %d done, %d outcome unknown; %d confirmations cut off by A's death and retried on B", flows, done, unknown, retried.Load())
		assert.Positive(t, done)

		// B serves on, and a token A issued before it died, once used,
		// stays used on B.
		cb := clients["B"]
		read := callTool(t, cb, "qualys_list_scans", map[string]any{"limit": 1})
		assert.False(t, read.IsError, resultText(read))
		for _, r := range results {
			if r.token == "" || r.status == "none" {
				continue
			}
			before := fake.removals(r.host)
			replay, err := callE(cb, "qualys_remove_hosts", withToken(hostArgs(r.host), r.token))
			require.NoError(t, err)
			if before == 1 {
				assert.True(t, replay.IsError, "%s executed once; B refuses the replay", r.host)
			}
			assert.LessOrEqual(t, fake.removals(r.host), 1, "%s never twice, replayed or not", r.host)
		}
	})
}

// TestClusterApprovalAcrossReplicas: an approval requested through A,
// approved through B's approval API (with an OAuth access token), executes
// through A once. With four eyes, the requester cannot approve it, and no
// other person can use it.
func TestClusterApprovalAcrossReplicas(t *testing.T) {
	bin := buildPCIMCP(t)
	redis := redistest.Start(t)
	iss := oauthtest.Start(t)
	fake := newLoggedQualys(t, 0)
	approvers, secret := enrolApprover(t, "Alice Example")
	file, err := approval.OpenApprovers(approvers)
	require.NoError(t, err)
	require.NoError(t, file.SetSubject("Alice Example", "alice", time.Now()))
	daveSecret, _, err := approval.NewTOTPKey("Dave Example")
	require.NoError(t, err)
	require.NoError(t, file.SetTOTP("Dave Example", "Analyst", daveSecret, time.Now()))
	require.NoError(t, file.SetSubject("Dave Example", "dave", time.Now()))
	env := clusterEnv(fake, redis, iss, "PCI_MCP_APPROVERS_FILE="+approvers, envFourEyes+"=true")
	a := startReplica(t, bin, "A", env, "--confirm", "approval")
	b := startReplica(t, bin, "B", env, "--confirm", "approval")
	requester := mint(t, iss, "dave", allScopes)
	approverToken := mint(t, iss, "alice", "pci:read")
	host := "198.51.100.50"

	ca := connectStreamable(t, a.url, requester, mcp.LATEST_PROTOCOL_VERSION, nil)
	first := callTool(t, ca, "qualys_remove_hosts", hostArgs(host))
	out := structuredOf(t, first)
	require.Equal(t, "approval_required", out["status"], resultText(first))
	id := out["approval_id"].(string)
	assert.Zero(t, fake.removals(host))

	// The pending approval is in the shared store: B's metrics count it too.
	_, page := scrape(t, b.url+"/metrics", approverToken)
	assert.Contains(t, page, "pci_mcp_pending_approvals 1")

	viaB := b.url + "/approvals/" + id
	assert.Equal(t, http.StatusUnauthorized, approveByAPI(t, viaB, "", "Alice Example", secret), "B's approval API needs an access token")
	// Four eyes: dave asked, so neither dave's token nor dave's enrolment approves.
	assert.Equal(t, http.StatusForbidden, approveByAPI(t, viaB, requester, "Alice Example", secret), "the requester's own token")
	assert.Equal(t, http.StatusForbidden, approveByAPI(t, viaB, approverToken, "Dave Example", daveSecret), "the requester's own enrolment")
	assert.Zero(t, fake.removals(host))
	require.Equal(t, http.StatusOK, approveByAPI(t, viaB, approverToken, "Alice Example", secret))
	_, page = scrape(t, a.url+"/metrics", approverToken)
	assert.Contains(t, page, "pci_mcp_pending_approvals 0")

	// Only the person who asked may use the approval.
	bob := connectStreamable(t, b.url, mint(t, iss, "bob", allScopes), mcp.LATEST_PROTOCOL_VERSION, nil)
	stolen := callTool(t, bob, "qualys_remove_hosts", withApprovalID(hostArgs(host), id))
	assert.True(t, stolen.IsError)
	assert.Contains(t, resultText(stolen), "requested by another person")
	assert.Zero(t, fake.removals(host))

	done := callTool(t, ca, "qualys_remove_hosts", withApprovalID(hostArgs(host), id))
	require.False(t, done.IsError, resultText(done))
	assert.Equal(t, "done", statusOf(done))
	again := callTool(t, connectStreamable(t, b.url, requester, mcp.LATEST_PROTOCOL_VERSION, nil), "qualys_remove_hosts", withApprovalID(hostArgs(host), id))
	assert.True(t, again.IsError, "the approval is spent, on B too")
	assert.Equal(t, 1, fake.removals(host), "executed once")
}

// TestClusterGracefulShutdown: SIGTERM with a confirmed call in flight —
// the call finishes (on the log once, reported done) before the replica
// exits, and its token stays used for the other replica.
func TestClusterGracefulShutdown(t *testing.T) {
	bin := buildPCIMCP(t)
	redis := redistest.Start(t)
	iss := oauthtest.Start(t)
	fake := newLoggedQualys(t, 2*time.Second)
	env := clusterEnv(fake, redis, iss)
	a := startReplica(t, bin, "A", env, "--confirm", "token")
	b := startReplica(t, bin, "B", env, "--confirm", "token")
	alice := mint(t, iss, "alice", allScopes)
	host := "198.51.100.60"

	ca := connectStreamable(t, a.url, alice, mcp.LATEST_PROTOCOL_VERSION, nil)
	first := callTool(t, ca, "qualys_remove_hosts", hostArgs(host))
	token, _ := structuredOf(t, first)["confirmation_token"].(string)
	require.NotEmpty(t, token)
	type answer struct {
		res *mcp.CallToolResult
		err error
	}
	answered := make(chan answer, 1)
	go func() {
		res, err := callE(ca, "qualys_remove_hosts", withToken(hostArgs(host), token))
		answered <- answer{res, err}
	}()
	require.Eventually(t, func() bool { return fake.removals(host) == 1 }, 30*time.Second, 10*time.Millisecond, "the DELETE is in flight")
	require.NoError(t, a.cmd.Process.Signal(syscall.SIGTERM))
	got := <-answered
	require.NoError(t, got.err)
	assert.Equal(t, "done", statusOf(got.res), resultText(got.res))
	select {
	case <-a.exited:
	case <-time.After(30 * time.Second):
		t.Fatal("A did not exit after its call finished")
	}
	assert.Equal(t, 0, a.cmd.ProcessState.ExitCode())

	replay := callTool(t, connectStreamable(t, b.url, alice, mcp.LATEST_PROTOCOL_VERSION, nil), "qualys_remove_hosts", withToken(hostArgs(host), token))
	assert.True(t, replay.IsError)
	assert.Equal(t, 1, fake.removals(host), "once, across the shutdown")
}

// TestClusterShutdownTimeoutRecordsOutcomeUnknown: when the shutdown
// timeout passes with a confirmed call still waiting on Qualys, the call is
// cut off and recorded as outcome_unknown (it may have happened); its token
// stays used, so no other replica runs it again.
func TestClusterShutdownTimeoutRecordsOutcomeUnknown(t *testing.T) {
	bin := buildPCIMCP(t)
	redis := redistest.Start(t)
	iss := oauthtest.Start(t)
	fake := newLoggedQualys(t, 6*time.Second)
	audit := filepath.Join(t.TempDir(), "audit-a.jsonl")
	a := startReplica(t, bin, "A", clusterEnv(fake, redis, iss, envAuditLog+"="+audit), "--confirm", "token", "--shutdown-timeout", "1s")
	b := startReplica(t, bin, "B", clusterEnv(fake, redis, iss), "--confirm", "token")
	alice := mint(t, iss, "alice", allScopes)
	host := "198.51.100.70"

	ca := connectStreamable(t, a.url, alice, mcp.LATEST_PROTOCOL_VERSION, nil)
	first := callTool(t, ca, "qualys_remove_hosts", hostArgs(host))
	token, _ := structuredOf(t, first)["confirmation_token"].(string)
	require.NotEmpty(t, token)
	go func() { _, _ = callE(ca, "qualys_remove_hosts", withToken(hostArgs(host), token)) }()
	require.Eventually(t, func() bool { return fake.removals(host) == 1 }, 30*time.Second, 10*time.Millisecond, "the DELETE is in flight")
	require.NoError(t, a.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case <-a.exited:
	case <-time.After(30 * time.Second):
		t.Fatal("A did not exit after its shutdown timeout")
	}

	var outcomes []string
	for _, l := range auditLines(t, audit) {
		if l["tool"] == "qualys_remove_hosts" {
			outcomes = append(outcomes, fmt.Sprint(l["outcome"]))
		}
	}
	assert.Equal(t, []string{"confirmation_required", "outcome_unknown"}, outcomes, "the cut-off call is on the audit trail as outcome_unknown")
	replay := callTool(t, connectStreamable(t, b.url, alice, mcp.LATEST_PROTOCOL_VERSION, nil), "qualys_remove_hosts", withToken(hostArgs(host), token))
	assert.True(t, replay.IsError, "the token stays used: B does not run it again")
	assert.Contains(t, resultText(replay), "already used")
	assert.Equal(t, 1, fake.removals(host))
}
