// Package redistest runs a real redis-server for tests: on a free loopback
// port, in a temporary directory, with persistence off unless the test's
// arguments turn it on, stopped when the test ends. Without redis-server installed the test fails, naming the
// Debian package (.ci/run installs it).
package redistest

import (
	"bufio"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Server is one redis-server process the test controls.
type Server struct {
	t    testing.TB
	bin  string
	dir  string
	port int
	// password is --requirepass, when set.
	password string
	// args are the test's own redis-server arguments, after ours.
	args []string

	mu  sync.Mutex
	cmd *exec.Cmd
}

// Start starts redis-server and registers its stop with t.Cleanup.
func Start(t testing.TB) *Server {
	t.Helper()
	return StartWithPassword(t, "")
}

// StartWithPassword starts a redis-server that requires password (AUTH).
func StartWithPassword(t testing.TB, password string) *Server {
	t.Helper()
	return start(t, password, nil)
}

// StartWithArgs starts redis-server with more arguments, which win over
// the defaults ("--appendonly", "yes" turns persistence on).
func StartWithArgs(t testing.TB, args ...string) *Server {
	t.Helper()
	return start(t, "", args)
}

func start(t testing.TB, password string, args []string) *Server {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("redis-server is not installed (apt-get install -y redis-server; .ci/run does): %v", err)
	}
	s := &Server{t: t, bin: bin, dir: t.TempDir(), port: freePort(t), password: password, args: args}
	s.Restart()
	t.Cleanup(s.Stop)
	return s
}

// Addr is host:port.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// URL is the redis:// URL of database db, with the password if any.
func (s *Server) URL(db int) string {
	if s.password != "" {
		return fmt.Sprintf("redis://:%s@%s/%d", s.password, s.Addr(), db)
	}
	return fmt.Sprintf("redis://%s/%d", s.Addr(), db)
}

// Restart starts the server again on the same port (after Stop), and waits
// until it accepts connections.
func (s *Server) Restart() {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return
	}
	args := []string{"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--dir", s.dir, "--save", "", "--appendonly", "no",
		"--logfile", "", "--daemonize", "no"}
	if s.password != "" {
		args = append(args, "--requirepass", s.password)
	}
	args = append(args, s.args...)
	cmd := exec.Command(s.bin, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		s.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("starting redis-server: %v", err)
	}
	ready := make(chan struct{})
	var log strings.Builder
	go func() {
		sc := bufio.NewScanner(stdout)
		signalled := false
		for sc.Scan() {
			if !signalled {
				log.WriteString(sc.Text() + "\n")
			}
			if !signalled && strings.Contains(sc.Text(), "Ready to accept connections") {
				signalled = true
				close(ready)
			}
		}
		if !signalled {
			close(ready)
		}
	}()
	select {
	case <-ready:
	case <-time.After(60 * time.Second):
	}
	// The log line says it; a connection proves it.
	deadline := time.Now().Add(60 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", s.Addr(), time.Second)
		if err == nil {
			_ = c.Close()
			break
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			s.t.Fatalf("redis-server did not accept connections on %s: %v\n%s", s.Addr(), err, log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.cmd = cmd
}

// Stop stops the server (it can be started again with Restart).
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}

// freePort asks the kernel for a free loopback port. Another process could
// take it before redis-server binds; on a test machine that is rare, and
// the start then fails loudly rather than talking to a stranger.
func freePort(t testing.TB) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
