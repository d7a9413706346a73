package rest_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"

	"simgate/rest"
)

func TestBearerKey(t *testing.T) {
	for _, tc := range []struct {
		lines []string
		key   string
		ok    bool
	}{
		{[]string{"Bearer k1"}, "k1", true},
		{[]string{"bearer k1"}, "k1", true},
		{[]string{"BEARER   k1  "}, "k1", true},
		{nil, "", false},
		{[]string{""}, "", false},
		{[]string{"Bearer"}, "", false},
		{[]string{"Bearer   "}, "", false},
		{[]string{"Basic ZGVtbzpkZW1v"}, "", false},
		{[]string{"k1"}, "", false},
		{[]string{"Bearer k1", "Bearer k1"}, "", false},
		{[]string{"Bearer k1", "Bearer k2"}, "", false},
	} {
		h := http.Header{}
		for _, l := range tc.lines {
			h.Add("Authorization", l)
		}
		key, ok := rest.BearerKey(h)
		assert.Equal(t, tc.ok, ok, "%q", tc.lines)
		assert.Equal(t, tc.key, key, "%q", tc.lines)
	}
}
