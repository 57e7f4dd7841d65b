package app

import (
	"net/url"
	"strconv"
)

// ftoa formats a float without exponent and trailing zeros.
func ftoa(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// utoa formats an unsigned integer.
func utoa(v uint64) string { return strconv.FormatUint(v, 10) }

// mustURL parses a URL known to be valid (tests and constants).
func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		return &url.URL{Path: "/"}
	}
	return u
}
