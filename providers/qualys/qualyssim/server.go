package qualyssim

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// Server is a Simulator listening on a loopback port.
type Server struct {
	// URL is the base URL to give a client, such as "http://127.0.0.1:49152".
	URL string
	// Simulator is the handler behind URL, for Requests, Reset and friends.
	*Simulator

	http      *http.Server
	done      chan error
	closeOnce sync.Once
	closeErr  error
}

// Start runs a new Simulator configured by opts on an ephemeral port of
// 127.0.0.1. It uses net/http directly rather than net/http/httptest, which
// would register a global command-line flag in the pci-mcp binary.
func Start(opts Options) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("qualyssim: listen on a loopback port: %w", err)
	}
	sim := New(opts)
	srv := &Server{
		URL:       "http://" + ln.Addr().String(),
		Simulator: sim,
		http:      &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second},
		done:      make(chan error, 1),
	}
	go func() { srv.done <- srv.http.Serve(ln) }()
	return srv, nil
}

// Close stops the server at once, dropping open connections, and waits for
// it to finish. Closing again returns the first result.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		err := s.http.Close()
		if serveErr := <-s.done; !errors.Is(serveErr, http.ErrServerClosed) && err == nil {
			err = serveErr
		}
		if err != nil {
			s.closeErr = fmt.Errorf("qualyssim: close the server at %s: %w", s.URL, err)
		}
	})
	return s.closeErr
}
