package soap_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A mainstream SOAP stack imports the served WSDLs and calls the service:
// the node soap client builds its bindings from the WSDL at run time.
// `make test` installs it (make node-deps); CI requires it.
func TestNodeSOAPClientImportsWSDL(t *testing.T) {
	dir := "../testdata/clients/node"
	if _, err := exec.LookPath("node"); err != nil {
		missing(t, "node is not installed")
	}
	if _, err := os.Stat(dir + "/node_modules/soap"); err != nil {
		missing(t, "the node soap client is not installed: run make node-deps")
	}
	e := newEnv(t)
	out, err := exec.Command("node", dir+"/client.mjs", e.url).Output()
	require.NoError(t, err)
	var res struct {
		Error             string
		AuthOperations    []string
		ServiceOperations []string
		Token             string
		Activated         bool
		Detail            map[string]string
		Fault             map[string]string
	}
	require.NoError(t, json.Unmarshal(out, &res), string(out))
	require.Empty(t, res.Error)
	assert.Equal(t, []string{"login"}, res.AuthOperations)
	assert.Equal(t, []string{"ActivateService", "serviceDetail"}, res.ServiceOperations)
	assert.Len(t, res.Token, 64)
	assert.True(t, res.Activated)
	assert.Equal(t, "61464917100", res.Detail["service_identifier"])
	assert.Equal(t, "498172584", res.Detail["sim_number"])
	assert.Equal(t, map[string]string{
		"faultcode": "SOAP-ENV:Client", "faultstring": "SQ not in appropriate status for Activation", "reason": "SQ_STATUS_NOT_READY",
	}, res.Fault)
}

func missing(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatal(why)
	}
	t.Skip(why)
}
