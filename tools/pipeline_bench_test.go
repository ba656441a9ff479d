package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/server"

	"github.com/pci-mcp/pci-mcp/providers/halo"
	"github.com/pci-mcp/pci-mcp/providers/qualys"
	"github.com/pci-mcp/pci-mcp/providers/upstream"
)

// The hot paths of a tool call, benchmarked with `make bench` (see
// BENCHMARKS.md); budget_test.go holds their allocation budgets. The
// fixtures are shared by both.

// benchHostsArgs is a qualys_add_hosts argument of 20 entries in every form
// the tool accepts: IPv4 and IPv6 addresses, ranges and CIDR blocks.
var benchHostsArgs = func() json.RawMessage {
	var hosts []string
	for i := range 5 {
		hosts = append(hosts,
			fmt.Sprintf("203.0.113.%d", 10+i),
			fmt.Sprintf("2001:db8::%x", 0x10+i),
			fmt.Sprintf("198.51.100.%d-198.51.100.%d", 16*i, 16*i+9),
			fmt.Sprintf("192.0.2.%d/29", 8*i))
	}
	data, _ := json.Marshal(map[string]any{"hosts": hosts})
	return data
}()

// benchVirtualHostsArgs is a qualys_add_virtual_hosts argument of 20 sites,
// half on IPv6, half with a path.
var benchVirtualHostsArgs = func() json.RawMessage {
	var sites []map[string]any
	for i := range 20 {
		site := map[string]any{"fqdn": fmt.Sprintf("shop%d.example.com", i), "port": 443, "ip": fmt.Sprintf("203.0.113.%d", 10+i)}
		if i%2 == 1 {
			site["ip"] = fmt.Sprintf("2001:db8::%x", 0x10+i)
			site["path"] = "/checkout"
		}
		sites = append(sites, site)
	}
	data, _ := json.Marshal(map[string]any{"virtual_hosts": sites})
	return data
}()

// benchScanDetails is a finished scan as Qualys answers GET
// /pci/scan/{id}/details.
const benchScanDetails = `{"responseApiVersion":"V1","data":{"title":"Q3 external scan","startedOn":"May 26, 2025 at 06:49 AM GMT",` +
	`"launchedBy":"merchant","duration":"00:12:31","activeHosts":"12","launchType":"On Demand","bandwidth":"Medium",` +
	`"scanStatus":"Finished","target":"203.0.113.10-203.0.113.21, 2001:db8::10","scanType":"IP","compliance":"Pass"}}`

// memoryTransport answers every request in memory with one JSON body, so a
// benchmark times pci-mcp's code and not a socket.
type memoryTransport struct{ body string }

func (m memoryTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		_ = r.Body.Close()
	}
	return &http.Response{
		StatusCode: http.StatusOK, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": {"application/json"}},
		Body:          io.NopCloser(strings.NewReader(m.body)),
		ContentLength: int64(len(m.body)),
		Request:       r,
	}, nil
}

// memorySettings sends a provider's requests to body, once each.
func memorySettings(body string) upstream.Settings {
	return upstream.Settings{HTTPClient: &http.Client{Transport: memoryTransport{body}}, MaxAttempts: 1}
}

// memoryServer is the full catalog served by NewServer, with both providers
// answering from memory.
func memoryServer(tb testing.TB, qualysBody, haloBody string) *server.MCPServer {
	tb.Helper()
	qc, err := qualys.New(qualys.Config{BaseURL: "https://qualys.invalid", Username: testQualysUser, Password: testQualysPassword, Settings: memorySettings(qualysBody)})
	if err != nil {
		tb.Fatal(err)
	}
	hc, err := halo.New(halo.Config{BaseURL: "https://halo.invalid/api/v1", APIKey: "bench-halo-key", Settings: memorySettings(haloBody)})
	if err != nil {
		tb.Fatal(err)
	}
	srv, _, err := NewServer(Options{
		Version: "bench", Qualys: qc, Halo: hc,
		Redactor: upstream.NewRedactor(append(upstream.BasicAuthSecrets(testQualysUser, testQualysPassword), "bench-halo-key")...),
	})
	if err != nil {
		tb.Fatal(err)
	}
	return srv
}

// toolsCallMessage is a JSON-RPC tools/call request as a client sends it.
func toolsCallMessage(id int, name string, args json.RawMessage) json.RawMessage {
	return json.RawMessage(`{"jsonrpc":"2.0","id":` + strconv.Itoa(id) + `,"method":"tools/call","params":{"name":"` + name + `","arguments":` + string(args) + `}}`)
}

func BenchmarkDecodeArguments(b *testing.B) {
	b.Run("hosts=20", func(b *testing.B) {
		schema := compileSchema("qualys_add_hosts", schemaFor(new(hostsInput), true))
		b.SetBytes(int64(len(benchHostsArgs)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := decodeArguments[hostsInput](schema, benchHostsArgs); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("virtual_hosts=20", func(b *testing.B) {
		schema := compileSchema("qualys_add_virtual_hosts", schemaFor(new(virtualHostsInput), true))
		b.SetBytes(int64(len(benchVirtualHostsArgs)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := decodeArguments[virtualHostsInput](schema, benchVirtualHostsArgs); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkStructuredResult(b *testing.B) {
	d := &Deps{Redactor: upstream.NewRedactor(upstream.BasicAuthSecrets(testQualysUser, testQualysPassword)...)}
	var env struct {
		Data qualys.ScanDetails `json:"data"`
	}
	if err := json.Unmarshal([]byte(benchScanDetails), &env); err != nil {
		b.Fatal(err)
	}
	out := &scanDetailsOutput{ScanID: 4242, ScanDetails: env.Data}
	b.ReportAllocs()
	for b.Loop() {
		d.structuredResult(out)
	}
}

// BenchmarkToolCall is a whole tools/call on the server side, from the
// JSON-RPC request's bytes to the response message, with the upstream
// answering from memory: what a call costs pci-mcp and mcp-go in CPU,
// without the transport.
func BenchmarkToolCall(b *testing.B) {
	srv := memoryServer(b, benchScanDetails, `{"report_count":4,"last_report_id":127346,"status":"pending"}`)
	ctx := context.Background()
	for _, c := range []struct {
		tool string
		args json.RawMessage
	}{
		{"qualys_get_scan", json.RawMessage(`{"scan_id":4242}`)},
		{"halo_pci_summary", json.RawMessage(`{}`)},
	} {
		b.Run(c.tool, func(b *testing.B) {
			msg := toolsCallMessage(1, c.tool, c.args)
			b.ReportAllocs()
			for b.Loop() {
				res := srv.HandleMessage(ctx, msg)
				data, err := json.Marshal(res)
				if err != nil {
					b.Fatal(err)
				}
				if bytes.Contains(data, []byte(`"isError":true`)) {
					b.Fatalf("%s", data)
				}
			}
		})
	}
}
