package soap_test

import (
	"errors"
	"net/http"
	"testing"

	gowsdl "github.com/hooklift/gowsdl/soap"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"simgate/soap"
	"simgate/wsdl/authentication"
	"simgate/wsdl/services"
)

func ptr(s string) *string { return &s }

// The generated client talks to the server over HTTP: login, activate,
// read the service back, and receive a fault.
func TestGeneratedClientRoundTrip(t *testing.T) {
	e := newEnv(t)
	auth := authentication.NewAuthenticationPortType(gowsdl.NewClient(e.url + soap.PathAuthentication))
	login, err := auth.Login(&authentication.Login{Username: "demo-rsp", Password: "demo-rsp-pass"})
	require.NoError(t, err)
	require.Len(t, login.Token, 64)

	svc := services.NewServicesPortType(gowsdl.NewClient(e.url + soap.PathServices))
	res, err := svc.ActivateService(&services.ActivateService{
		LoginToken: login.Token, SQ_ID: ptr("581408"), Sim_number: ptr("498172582"),
	})
	require.NoError(t, err)
	assert.True(t, res.Value)

	detail, err := svc.ServiceDetail(&services.ServiceDetail{LoginToken: login.Token, Service_id: "581408"})
	require.NoError(t, err)
	require.NotNil(t, detail.Service)
	assert.Equal(t, "61464917053", detail.Service.Service_identifier)
	assert.Equal(t, "5702", detail.Service.Service_type_id)
	assert.Equal(t, "TelstraMarketExtender", detail.Service.Service_type)
	assert.Equal(t, "Active", detail.Service.Status)
	assert.Equal(t, "498172582", detail.Service.Sim_number)
	assert.Equal(t, "42123212", detail.Service.Product_id)

	// Activating it again is a fault; gowsdl reports faults as HTTP errors
	// with the envelope as body.
	_, err = svc.ActivateService(&services.ActivateService{
		LoginToken: login.Token, Service_identifier: ptr("61464917053"), Service_type_id: ptr("5702"), Sim_number: ptr("498172583"),
	})
	var httpErr *gowsdl.HTTPError
	require.True(t, errors.As(err, &httpErr), "%v", err)
	assert.Equal(t, http.StatusInternalServerError, httpErr.StatusCode)
	f := parseFault(t, string(httpErr.ResponseBody))
	assert.Equal(t, "Service identifier already allocated against the same service type", f.String)
	assert.Equal(t, "SERVICE_IDENTIFIER_ALLOCATED", f.Reason)
}
