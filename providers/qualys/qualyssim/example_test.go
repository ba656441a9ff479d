package qualyssim_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/pci-mcp/pci-mcp/providers/qualys/qualyssim"
)

// Start a sandbox simulator and launch a scan the way the vendor's sample does.
func ExampleStart() {
	srv, err := qualyssim.Start(qualyssim.Options{})
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	body := `{"title":"aa","bandwidth":"Medium","scanType":"IP","targetIps":"10.15.20.25, 2001:df1:f600:247d::a73:7de3","targetDns":"qas.com, fff.com, dnstest1.com","targetAll":"true","launchType":"ondemand"}`
	req, _ := http.NewRequest("POST", srv.URL+"/pci/scan/launch", strings.NewReader(body))
	req.SetBasicAuth(qualyssim.SandboxUsername, qualyssim.SandboxPassword)
	req.Header.Set("apiVersion", "V1")
	req.Header.Set("X-Requested-With", "example")
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Transport: &http.Transport{Proxy: nil}}).Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)

	fmt.Println(resp.StatusCode, string(answer))
	fmt.Println(len(srv.Requests()), "request reached the simulator")
	// Output:
	// 200 {"responseApiVersion":"LATEST - V1","data":{"id":10988,"status":"Launched scan successfully"}}
	// 1 request reached the simulator
}
