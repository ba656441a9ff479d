package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBusyAddressExitsTwoNamingTheFlagAndVariable: with the port taken,
// pci-mcp says so, names what sets the address, and never claims to be
// ready.
func TestBusyAddressExitsTwoNamingTheFlagAndVariable(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer taken.Close()
	addr := taken.Addr().String()

	for name, run := range map[string]func() (int, string, string){
		"flag": func() (int, string, string) {
			return runMain(t, env(), "--sandbox", "--transport", "http", "--addr", addr)
		},
		"environment": func() (int, string, string) {
			return runMain(t, env("PCI_MCP_ADDR", addr, "PCI_MCP_TRANSPORT", "http"), "--sandbox")
		},
	} {
		t.Run(name, func(t *testing.T) {
			code, stdout, stderr := run()
			assert.Equal(t, exitUsage, code)
			assert.Empty(t, stdout)
			assert.Contains(t, stderr, "pci-mcp: --addr "+addr+": the address is already in use")
			assert.Contains(t, stderr, "choose another address with --addr or PCI_MCP_ADDR")
			assert.NotContains(t, stderr, "pci-mcp ready")
			assert.NotContains(t, stderr, "Point a client at it")
			assert.Equal(t, 1, strings.Count(stderr, "\n"), "the taken address is all that is said: %s", stderr)
		})
	}
}

// TestReadyOnlyOnceBound: the ready line carries the address the socket is
// bound to (a port the system picked, not :0), and the server answers there
// as soon as the line is out; the client hint comes after it.
func TestReadyOnlyOnceBound(t *testing.T) {
	stderr := &lockedBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	exit := make(chan int, 1)
	go func() {
		exit <- run(ctx, []string{"pci-mcp", "--sandbox", "--transport", "http", "--addr", "127.0.0.1:0"}, env(), strings.NewReader(""), io.Discard, stderr)
	}()
	defer func() {
		cancel()
		assert.Equal(t, exitOK, <-exit)
	}()

	ready := regexp.MustCompile(`pci-mcp ready .*url=(http://127\.0\.0\.1:(\d+)/mcp)`)
	var m []string
	require.Eventually(t, func() bool {
		m = ready.FindStringSubmatch(stderr.String())
		return m != nil
	}, 30*time.Second, 10*time.Millisecond, "no ready line: %s", stderr.String())
	assert.NotEqual(t, "0", m[2])
	res, err := http.Get(strings.TrimSuffix(m[1], "/mcp") + "/healthz")
	require.NoError(t, err, "ready was logged before the server could answer")
	_ = res.Body.Close()
	assert.Equal(t, http.StatusOK, res.StatusCode)

	require.Eventually(t, func() bool { return strings.Contains(stderr.String(), "Ctrl-C stops it.") }, 30*time.Second, 10*time.Millisecond)
	logs := stderr.String()
	hint := strings.Index(logs, "Point a client at it")
	assert.Greater(t, hint, strings.Index(logs, "pci-mcp ready"), "the hint follows the ready line")
	assert.Contains(t, logs[hint:], `"url": "`+m[1]+`"`, "the hint shows the bound URL")
	assert.Contains(t, logs[hint:], "claude mcp add --transport http pci-sandbox "+m[1])
}

// openPTY opens a pseudo-terminal: tty is what pci-mcp gets as stdin or
// stdout, and everything written to it can be read from the returned func
// once tty is closed.
func openPTY(t *testing.T) (tty *os.File, output func() string) {
	t.Helper()
	ptmx, tty, err := pty.Open()
	require.NoError(t, err)
	var buf bytes.Buffer
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, _ = io.Copy(&buf, ptmx) // ends with EIO once tty is closed
	}()
	var once sync.Once
	closeAll := func() {
		once.Do(func() {
			_ = tty.Close()
			wg.Wait()
			_ = ptmx.Close()
		})
	}
	t.Cleanup(closeAll)
	return tty, func() string {
		closeAll()
		// The terminal turns each \n into \r\n.
		return strings.ReplaceAll(buf.String(), "\r\n", "\n")
	}
}

// TestStdioOnATerminalSaysHowToTryIt: typed at a prompt, pci-mcp --sandbox
// says in one line on stderr that it speaks MCP on stdin and stdout, and
// what to run instead; a client's pipe gets no such line.
func TestStdioOnATerminalSaysHowToTryIt(t *testing.T) {
	tty, _ := openPTY(t)
	stderr := &lockedBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	exit := make(chan int, 1)
	go func() {
		exit <- run(ctx, []string{"./bin/pci-mcp", "--sandbox"}, env(), tty, io.Discard, stderr)
	}()
	require.Eventually(t, func() bool { return strings.Contains(stderr.String(), "pci-mcp ready") }, 30*time.Second, 10*time.Millisecond)
	cancel()
	assert.Equal(t, exitOK, <-exit)

	var hints []string
	for _, line := range strings.Split(stderr.String(), "\n") {
		if strings.Contains(line, "speaks MCP") {
			hints = append(hints, line)
		}
	}
	require.Len(t, hints, 1, stderr.String())
	for _, want := range []string{"on stdin and stdout", "make run", "call --sandbox qualys_list_scans", "client's config"} {
		assert.Contains(t, hints[0], want)
	}
	wd, err := os.Getwd()
	require.NoError(t, err)
	assert.Contains(t, hints[0], wd+"/bin/pci-mcp call", "the program as it can be typed again")

	code, _, stderrPipe := runMain(t, env(), "--sandbox") // stdin is an empty pipe-like reader
	assert.Equal(t, exitOK, code)
	assert.NotContains(t, stderrPipe, "speaks MCP")
}

// TestCallPrettyPrintsOnATerminal: on a terminal the JSON result is
// indented; into a pipe or file it stays one line.
func TestCallPrettyPrintsOnATerminal(t *testing.T) {
	tty, output := openPTY(t)
	var stderr bytes.Buffer
	code := run(context.Background(), []string{"pci-mcp", "call", "--sandbox", "qualys_list_scans", `{"limit": 1}`}, env(), strings.NewReader(""), tty, &stderr)
	require.Equal(t, exitOK, code, stderr.String())
	shown := output()
	assert.Contains(t, shown, "{\n  \"account\": \"sandbox-us\",\n  \"totalCount\": 1,\n")
	assert.Contains(t, shown, "\n  \"scanInfoList\": [\n    {\n      \"scanId\": 10987,\n")

	code, piped, stderrPipe := runMain(t, env(), "call", "--sandbox", "qualys_list_scans", `{"limit": 1}`)
	require.Equal(t, exitOK, code, stderrPipe)
	assert.Equal(t, 1, strings.Count(piped, "\n"), piped)
	assert.True(t, strings.HasPrefix(piped, `{"account":"sandbox-us","totalCount":1,`), piped)
}

// TestMakeRunNamesRunAddrWhenTheAddressIsTaken runs `make run` (with the
// binary the tests built) on a taken address: pci-mcp's message names
// --addr and PCI_MCP_ADDR, make's names RUN_ADDR, and no banner or ready
// line claims a server that is not there.
func TestMakeRunNamesRunAddrWhenTheAddressIsTaken(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make")
	}
	bin, err := buildBinary()
	require.NoError(t, err)
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer taken.Close()
	addr := taken.Addr().String()

	// -o build: use the binary already built instead of building again.
	cmd := exec.Command("make", "-s", "-C", "../..", "-o", "build", "run", "BIN="+bin, "RUN_ADDR="+addr)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, "%s", out)
	text := string(out)
	assert.Contains(t, text, "pci-mcp: --addr "+addr+": the address is already in use")
	assert.Contains(t, text, "--addr or PCI_MCP_ADDR")
	assert.Contains(t, text, "make run: pci-mcp could not start on RUN_ADDR="+addr)
	assert.Contains(t, text, "make run RUN_ADDR=")
	assert.NotContains(t, text, "pci-mcp ready")
	assert.NotContains(t, text, "Point a client at it")
	assert.NotContains(t, text, "SANDBOX MODE", "nothing starts before the address is bound")
}
