package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAuditLogMustBeARegularPrivateFile: PCI_MCP_AUDIT_LOG pointing at a
// symlink, a FIFO, a directory, a device, or an existing file its group or
// others can read or write is refused at start-up with exit status 2 and a
// message, within a second (a FIFO never hangs it); nothing is written
// through a link.
func TestAuditLogMustBeARegularPrivateFile(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "elsewhere.log")
	require.NoError(t, os.WriteFile(target, nil, 0o600))
	link := filepath.Join(dir, "link.log")
	require.NoError(t, os.Symlink(target, link))
	dangling := filepath.Join(dir, "dangling.log")
	require.NoError(t, os.Symlink(filepath.Join(dir, "created-through-link.log"), dangling))
	fifo := filepath.Join(dir, "fifo.log")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	open := filepath.Join(dir, "open.log")
	require.NoError(t, os.WriteFile(open, nil, 0o600))
	require.NoError(t, os.Chmod(open, 0o666))
	group := filepath.Join(dir, "group.log")
	require.NoError(t, os.WriteFile(group, nil, 0o600))
	require.NoError(t, os.Chmod(group, 0o640))

	for _, tt := range []struct{ name, path, want string }{
		{"symlink", link, "is a symbolic link"},
		{"dangling symlink", dangling, "is a symbolic link"},
		{"FIFO", fifo, "is a FIFO (named pipe)"},
		{"directory", dir, "is a directory"},
		{"device", os.DevNull, "is a device"},
		{"0666 file", open, "may be read or written by its group or others (mode 0666); run `chmod 600 " + open + "`"},
		{"0640 file", group, "(mode 0640); run `chmod 600"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, getenv := qualysSim(t, "PCI_MCP_AUDIT_LOG", tt.path)
			start := time.Now()
			code, stdout, stderr := runMain(t, getenv)
			assert.Less(t, time.Since(start), time.Second, "refused at once")
			assert.Equal(t, exitUsage, code, stderr)
			assert.Empty(t, stdout)
			assert.Contains(t, stderr, "PCI_MCP_AUDIT_LOG")
			assert.Contains(t, stderr, tt.want)
		})
	}
	data, err := os.ReadFile(target)
	require.NoError(t, err)
	assert.Empty(t, data, "nothing was written through the link")
	_, err = os.Lstat(filepath.Join(dir, "created-through-link.log"))
	assert.ErrorIs(t, err, os.ErrNotExist, "no file was created through the dangling link")
	info, err := os.Stat(open)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o666), info.Mode().Perm(), "a refused file is left as it is")
}

// TestAuditLogIsCreatedPrivate: a path that does not exist is created 0600
// and receives the trail.
func TestAuditLogIsCreatedPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	_, getenv := qualysSim(t, "PCI_MCP_AUDIT_LOG", path)
	code, _, stderr := runCall(t, getenv, "", "qualys_add_hosts", `{"hosts":["203.0.113.77"]}`)
	require.Equal(t, 0, code, stderr)
	info, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.True(t, strings.Contains(string(data), `"tool":"qualys_add_hosts"`), string(data))
}
