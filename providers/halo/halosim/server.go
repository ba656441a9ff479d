package halosim

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Server is a Simulator listening on an ephemeral loopback port. It uses net/http directly
// rather than net/http/httptest, which registers a command-line flag the pci-mcp binary must
// not carry.
type Server struct {
	// URL is the API base to configure a Halo client with: http://127.0.0.1:PORT/api/v1.
	URL string
	// Simulator is the handler behind URL, for Requests().
	Simulator *Simulator

	http     *http.Server
	stopped  chan struct{} // closed when Serve has returned
	serveErr error         // what Serve returned; read only after stopped is closed
}

// Start serves New(opts) on 127.0.0.1 at a port the kernel picks. Close it when done.
func Start(opts Options) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("halosim: listening on loopback: %w", err)
	}
	sim := New(opts)
	srv := &Server{
		URL:       "http://" + ln.Addr().String() + "/api/v1",
		Simulator: sim,
		// The header timeout keeps a stuck client from holding a connection forever.
		http:    &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second},
		stopped: make(chan struct{}),
	}
	go func() {
		srv.serveErr = srv.http.Serve(ln)
		close(srv.stopped)
	}()
	return srv, nil
}

// Close stops the server at once, closing open connections, and waits for it to stop.
// Closing twice is harmless.
func (s *Server) Close() error {
	err := s.http.Close()
	<-s.stopped
	if !errors.Is(s.serveErr, http.ErrServerClosed) && err == nil {
		err = s.serveErr
	}
	if err != nil {
		return fmt.Errorf("halosim: closing the server: %w", err)
	}
	return nil
}
