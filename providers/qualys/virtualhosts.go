package qualys

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// VirtualHost is a web site Qualys scans by name on one address and port,
// e.g. shop.example.com on 203.0.113.10:443 under /checkout.
type VirtualHost struct {
	FQDN string
	Port int
	IP   netip.Addr
	Path string // empty, or starting with "/"
	// ipText keeps the caller's spelling of the address for the wire.
	ipText string
}

// VirtualHostSpec is a virtual host as a caller writes it, before checking.
type VirtualHostSpec struct {
	FQDN string
	Port int
	IP   string
	Path string
}

// NewVirtualHost checks spec and returns the virtual host, or a *ListError
// (with Index 0) naming the field at fault.
func NewVirtualHost(spec VirtualHostSpec) (VirtualHost, error) {
	fail := func(field, value, reason string) (VirtualHost, error) {
		return VirtualHost{}, &ListError{Field: field, Value: value, Reason: reason}
	}
	fqdn := strings.TrimSuffix(strings.TrimSpace(spec.FQDN), ".")
	if err := CheckHostName(fqdn); err != nil {
		return fail("fqdn", spec.FQDN, err.Error())
	}
	if spec.Port < 1 || spec.Port > 65535 {
		return fail("port", strconv.Itoa(spec.Port), "is not a TCP port (1-65535)")
	}
	ipText := strings.TrimSpace(spec.IP)
	// The wire format writes IPv6 bare (www.test.com:8008:2001:df1::1/path),
	// so brackets a person may type are removed rather than refused.
	ipText = strings.TrimSuffix(strings.TrimPrefix(ipText, "["), "]")
	ip, err := parseAddr(ipText)
	if err != nil {
		return fail("ip", spec.IP, err.Error())
	}
	if err := checkPath(spec.Path); err != nil {
		return fail("path", spec.Path, err.Error())
	}
	return VirtualHost{FQDN: fqdn, Port: spec.Port, IP: ip, Path: spec.Path, ipText: ipText}, nil
}

// String renders v as Qualys takes it: fqdn:port:ip followed by the path,
// the IP bare even when it is IPv6, exactly as in the seed sample.
func (v VirtualHost) String() string {
	ip := v.ipText
	if ip == "" {
		ip = v.IP.String()
	}
	return v.FQDN + ":" + strconv.Itoa(v.Port) + ":" + ip + v.Path
}

// key identifies v by value: host names ignore case, addresses spelling.
func (v VirtualHost) key() string {
	return strings.ToLower(v.FQDN) + "|" + strconv.Itoa(v.Port) + "|" + v.IP.String() + "|" + v.Path
}

// ParseVirtualHosts checks every spec, removes duplicates keeping the first
// and the order, and refuses an empty list. The first bad entry is reported
// as a *ListError with its index and field.
func ParseVirtualHosts(specs []VirtualHostSpec) ([]VirtualHost, error) {
	if len(specs) == 0 {
		return nil, fmt.Errorf("at least one virtual host is required")
	}
	out := make([]VirtualHost, 0, len(specs))
	seen := make(map[string]bool, len(specs))
	for i, spec := range specs {
		v, err := NewVirtualHost(spec)
		if err != nil {
			if le, ok := err.(*ListError); ok {
				le.Index = i
			}
			return nil, err
		}
		if seen[v.key()] {
			continue
		}
		seen[v.key()] = true
		out = append(out, v)
	}
	return out, nil
}

func joinVirtualHosts(hosts []VirtualHost) string {
	parts := make([]string, len(hosts))
	for i, v := range hosts {
		parts[i] = v.String()
	}
	return strings.Join(parts, listSeparator)
}

// maxHostNameLen is RFC 1123's limit on a host name's text form.
const maxHostNameLen = 253

// CheckHostName reports why name is not a DNS host name under RFC 1123:
// dot-separated labels of 1-63 letters, digits and hyphens, not starting or
// ending with a hyphen, 253 characters at most. An address is refused too,
// since a host name was asked for.
func CheckHostName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("is empty")
	case len(name) > maxHostNameLen:
		return fmt.Errorf("is longer than %d characters", maxHostNameLen)
	}
	if _, err := netip.ParseAddr(name); err == nil {
		return fmt.Errorf("is an IP address, not a host name")
	}
	labels := strings.Split(name, ".")
	for _, label := range labels {
		if err := checkLabel(label); err != nil {
			return err
		}
	}
	// An all-numeric last label would make the name read as an address.
	if tld := labels[len(labels)-1]; strings.Trim(tld, "0123456789") == "" {
		return fmt.Errorf("ends in an all-numeric label %q", tld)
	}
	return nil
}

func checkLabel(label string) error {
	switch {
	case label == "":
		return fmt.Errorf("has an empty label (two dots in a row, or a leading dot)")
	case len(label) > 63:
		return fmt.Errorf("has a label longer than 63 characters")
	case label[0] == '-' || label[len(label)-1] == '-':
		return fmt.Errorf("has a label %q that starts or ends with a hyphen", label)
	}
	for _, r := range label {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
			return fmt.Errorf("has a character %q not allowed in a host name (letters, digits and hyphens only)", r)
		}
	}
	return nil
}

// maxPathLen bounds a virtual host's path; real URLs paths longer than this
// are mistakes, and the bound keeps one entry from dominating a request.
const maxPathLen = 1024

// checkPath allows an empty path or one starting with "/", and refuses what
// would corrupt the comma-separated list Qualys receives.
func checkPath(path string) error {
	if path == "" {
		return nil
	}
	if !strings.HasPrefix(path, "/") {
		return fmt.Errorf("must be empty or start with /")
	}
	if len(path) > maxPathLen {
		return fmt.Errorf("is longer than %d characters", maxPathLen)
	}
	for _, r := range path {
		if r == ',' || r <= ' ' || r == 0x7f {
			return fmt.Errorf("contains %q; commas, spaces and control characters would break the asset list (percent-encode them)", r)
		}
	}
	return nil
}
