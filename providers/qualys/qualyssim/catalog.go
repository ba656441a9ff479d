package qualyssim

import (
	"hash/fnv"
	"time"
)

// vulnerability is one entry of the simulator's knowledge base. The entries
// are modelled on common external-scan findings in the vendor's knowledge
// base; titles, CVEs and scores are realistic, but the QIDs are illustrative
// and must not be relied on as the vendor's.
type vulnerability struct {
	QID           int
	Title         string
	Severity      int // 1 (minimal) to 5 (urgent)
	CVSSBase      float64
	CVSSTemporal  float64
	Category      string
	CVEs          []string
	BugTraqIDs    []string
	VendorRefs    []string
	Threat        string
	Impact        string
	Solution      string
	Patch         string
	Result        string
	Port          int    // for network findings; web findings use the virtual host's port
	Protocol      string // "tcp", "udp" or "icmp"
	Service       string // for network findings; web findings derive it from the port
	AutoFail      bool   // an ASV automatic failure regardless of score
	LastUpdatedOn time.Time
}

// failsPCI applies the ASV Program Guide's rule: a finding fails when its
// CVSS base score is 4.0 or more, when the vendor rates it severity 4 or 5,
// or when it is one of the conditions that fail automatically.
func (v vulnerability) failsPCI() bool {
	return v.Severity >= 4 || v.CVSSBase >= 4.0 || v.AutoFail
}

// day is a knowledge-base update date.
func day(year int, month time.Month, d int) time.Time {
	return time.Date(year, month, d, 0, 0, 0, 0, time.UTC)
}

// networkCatalog is what a scan can find on a host address.
func networkCatalog() []vulnerability {
	return []vulnerability{
		{
			QID: 38628, Title: "SSL/TLS Server supports TLSv1.0", Severity: 3,
			CVSSBase: 4.3, CVSSTemporal: 3.9, Category: "General remote services",
			VendorRefs: []string{"RFC 8996"},
			Threat:     "The server accepts connections using TLS 1.0, a protocol version deprecated by RFC 8996 and no longer allowed for cardholder data environments.",
			Impact:     "An attacker able to intercept traffic may exploit known weaknesses of TLS 1.0 to decrypt or alter it.",
			Solution:   "Disable TLS 1.0 and TLS 1.1 on the service and offer TLS 1.2 or later.",
			Result:     "TLSv1.0 is supported",
			Port:       443, Protocol: "tcp", Service: "https", AutoFail: true,
			LastUpdatedOn: day(2024, time.March, 12),
		},
		{
			QID: 38657, Title: "Birthday attacks against TLS ciphers with 64bit block size vulnerability (Sweet32)", Severity: 3,
			CVSSBase: 5.0, CVSSTemporal: 4.1, Category: "General remote services",
			CVEs:       []string{"CVE-2016-2183", "CVE-2016-6329"},
			BugTraqIDs: []string{"92630", "92631"},
			Threat:     "The server negotiates cipher suites with a 64-bit block cipher such as 3DES, which a long-lived connection exposes to birthday attacks.",
			Impact:     "An attacker who can observe a large volume of traffic on one connection may recover secrets such as session cookies.",
			Solution:   "Remove 3DES, Blowfish and IDEA cipher suites from the server's configuration.",
			Result:     "CIPHER\tKEY-EXCHANGE\tAUTHENTICATION\tMAC\tENCRYPTION(KEY-STRENGTH)\nTLSv1.2 WITH 64-BIT CBC CIPHERS IS SUPPORTED\nDES-CBC3-SHA\tRSA\tRSA\tSHA1\t3DES(168)",
			Port:       443, Protocol: "tcp", Service: "https",
			LastUpdatedOn: day(2023, time.November, 2),
		},
		{
			QID: 38170, Title: "SSL Certificate - Subject Common Name Does Not Match Server FQDN", Severity: 2,
			CVSSBase: 2.6, CVSSTemporal: 2.4, Category: "General remote services",
			Threat:   "The common name and subject alternative names of the server's certificate do not include the name the server was reached by.",
			Impact:   "Clients cannot verify the server's identity, which trains users to accept certificate warnings.",
			Solution: "Install a certificate issued for the host names the service is published under.",
			Result:   "Certificate #0 CN=localhost.localdomain (localhost.localdomain) doesn't resolve",
			Port:     443, Protocol: "tcp", Service: "https",
			LastUpdatedOn: day(2022, time.June, 21),
		},
		{
			QID: 82003, Title: "ICMP Timestamp Request", Severity: 1,
			CVSSBase: 0, CVSSTemporal: 0, Category: "TCP/IP",
			CVEs:     []string{"CVE-1999-0524"},
			Threat:   "The host answers ICMP timestamp requests (type 13) with its clock.",
			Impact:   "The host's time can help an attacker defeat time-based authentication or random number generators.",
			Solution: "Filter incoming ICMP timestamp requests and outgoing timestamp replies at the firewall.",
			Result:   "Timestamp of host (network byte ordering): 14:32:07 GMT",
			Port:     0, Protocol: "icmp", Service: "",
			LastUpdatedOn: day(2021, time.January, 15),
		},
		{
			QID: 38739, Title: "Deprecated SSH Cryptographic Settings", Severity: 2,
			CVSSBase: 2.6, CVSSTemporal: 2.3, Category: "General remote services",
			Threat:   "The SSH server offers key exchange, cipher or MAC algorithms that are deprecated, such as diffie-hellman-group1-sha1 or hmac-sha1-96.",
			Impact:   "Weak algorithms lower the effort needed to break the confidentiality or integrity of SSH sessions.",
			Solution: "Restrict KexAlgorithms, Ciphers and MACs in sshd_config to current algorithms.",
			Result:   "Type\tName\nkey exchange\tdiffie-hellman-group1-sha1\nmac\thmac-sha1-96",
			Port:     22, Protocol: "tcp", Service: "ssh",
			LastUpdatedOn: day(2024, time.February, 6),
		},
		{
			QID: 87522, Title: "Apache HTTP Server Prior to 2.4.58 Multiple Vulnerabilities", Severity: 4,
			CVSSBase: 7.5, CVSSTemporal: 6.5, Category: "Web server",
			CVEs:       []string{"CVE-2023-31122", "CVE-2023-43622", "CVE-2023-45802"},
			VendorRefs: []string{"Apache HTTP Server 2.4.58"},
			Threat:     "The server identifies itself as an Apache HTTP Server release older than 2.4.58, which has published denial-of-service flaws in mod_macro and HTTP/2.",
			Impact:     "A remote attacker may crash the server or exhaust its memory.",
			Solution:   "Upgrade Apache HTTP Server to 2.4.58 or later.",
			Patch:      "Apache HTTP Server 2.4.58 (https://httpd.apache.org/security/vulnerabilities_24.html)",
			Result:     "Server: Apache/2.4.52 (Ubuntu)",
			Port:       443, Protocol: "tcp", Service: "https",
			LastUpdatedOn: day(2024, time.January, 9),
		},
	}
}

// webCatalog is what a scan can find on a virtual host.
func webCatalog() []vulnerability {
	return []vulnerability{
		{
			QID: 150001, Title: "Reflected Cross-Site Scripting (XSS) Vulnerabilities", Severity: 3,
			CVSSBase: 4.3, CVSSTemporal: 3.9, Category: "Web Application",
			Threat:        "A request parameter is written back into the page without encoding, so script injected through a crafted link runs in the victim's browser.",
			Impact:        "An attacker can steal session tokens or change what a shopper sees, including payment pages.",
			Solution:      "Encode all user-supplied data for the context it is written into and validate input on the server.",
			Result:        "GET /search?q=%22%3E%3Cscript%3Ealert(1)%3C/script%3E returned the payload unencoded",
			Protocol:      "tcp",
			AutoFail:      true,
			LastUpdatedOn: day(2023, time.August, 30),
		},
		{
			QID: 11827, Title: "HTTP Security Header Not Detected", Severity: 2,
			CVSSBase: 0, CVSSTemporal: 0, Category: "CGI",
			Threat:        "The site does not send one or more protective headers such as Strict-Transport-Security, X-Content-Type-Options or Content-Security-Policy.",
			Impact:        "Browsers cannot apply protections that limit the effect of other flaws.",
			Solution:      "Send Strict-Transport-Security, X-Content-Type-Options: nosniff and a Content-Security-Policy on every response.",
			Result:        "Strict-Transport-Security Header missing",
			Protocol:      "tcp",
			LastUpdatedOn: day(2024, time.May, 14),
		},
		{
			QID: 86763, Title: "Web Server Uses Plain-Text Form Based Authentication", Severity: 2,
			CVSSBase: 2.6, CVSSTemporal: 2.3, Category: "Web server",
			Threat:        "A login form posts credentials over plain HTTP.",
			Impact:        "Anyone on the network path can read users' passwords.",
			Solution:      "Serve the form and its target only over HTTPS and redirect plain HTTP to HTTPS.",
			Result:        "<form action=\"/account/login\" method=\"post\"> is served over http",
			Protocol:      "tcp",
			LastUpdatedOn: day(2022, time.October, 3),
		},
		{
			QID: 150124, Title: "Clickjacking - Framable Page", Severity: 3,
			CVSSBase: 4.3, CVSSTemporal: 3.8, Category: "Web Application",
			Threat:        "The page can be loaded inside a frame on another site because it sends neither X-Frame-Options nor a frame-ancestors directive.",
			Impact:        "An attacker can overlay the page and trick shoppers into clicking controls they cannot see.",
			Solution:      "Send Content-Security-Policy: frame-ancestors 'self' (or X-Frame-Options: DENY).",
			Result:        "X-Frame-Options and Content-Security-Policy frame-ancestors are missing",
			Protocol:      "tcp",
			LastUpdatedOn: day(2023, time.April, 18),
		},
	}
}

// pickVulns chooses zero to two distinct catalog entries for an asset from a
// hash of its name, so the same asset always has the same findings and
// tests can predict them.
func pickVulns(assetName string, catalog []vulnerability) []vulnerability {
	h := fnv.New64a()
	_, _ = h.Write([]byte(assetName))
	sum := h.Sum64()
	n := len(catalog)
	first := int((sum >> 8) % uint64(n))
	second := (first + 1 + int((sum>>24)%uint64(n-1))) % n
	switch sum % 3 {
	case 1:
		return []vulnerability{catalog[first]}
	case 2:
		return []vulnerability{catalog[first], catalog[second]}
	}
	return nil
}
