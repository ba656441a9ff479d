package qualys

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestComplianceReportKeepsWhatItCannotName: members it names are typed,
// unknown members and members of another shape than guessed are kept as
// sent, at every level; the scan id travels as the guessed scanId.
func TestComplianceReportKeepsWhatItCannotName(t *testing.T) {
	c, got := fakeQualys(t, http.StatusOK, `{"responseApiVersion":"V1","data":{
		"assetDetails":[{"ip":"203.0.113.11","dns":"","complianceStatus":"Fail","qids":[38657,"38739"],"os":"Linux"}],
		"specialNotes":{"unexpected":"shape"},
		"nonCompliantIps":["203.0.113.11"],
		"reportDate":"Nov 25, 2026"}}`)
	r, err := c.ComplianceReport(context.Background(), 10988)
	require.NoError(t, err)
	require.Len(t, *got, 1)
	assert.Equal(t, "GET /pci/reporting/reportGeneration/fetch scanId=10988", (*got)[0].Method+" "+(*got)[0].Path+" "+(*got)[0].RawQuery)

	require.Len(t, r.Assets, 1)
	assert.Equal(t, "Fail", string(r.Assets[0].Status))
	assert.Len(t, r.Assets[0].QIDs, 2)
	assert.JSONEq(t, `"Linux"`, string(r.Assets[0].Other["os"]))
	assert.Equal(t, []string{"203.0.113.11"}, r.NonCompliantIPs)
	assert.Empty(t, r.SpecialNotes)
	assert.JSONEq(t, `{"unexpected":"shape"}`, string(r.Other["specialNotes"]), "a member of another shape is kept as sent")
	assert.JSONEq(t, `"Nov 25, 2026"`, string(r.Other["reportDate"]))

	out, err := json.Marshal(r)
	require.NoError(t, err)
	assert.Contains(t, string(out), `"specialNotes":[]`)

	_, err = c.ComplianceReport(context.Background(), 0)
	require.NoError(t, err)
	assert.Empty(t, (*got)[1].RawQuery, "no scan: no parameter")
}
