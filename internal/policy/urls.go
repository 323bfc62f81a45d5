package policy

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// MaxURLLength is the longest URL accepted anywhere (issuer_url, discovery
// base, JWKS url), in bytes: 2 KiB, the length beyond which URLs stop
// working reliably across HTTP clients and servers. (inferred: the public
// API material states no limit.)
const MaxURLLength = 2048

// FetchURLOptions relaxes ValidateFetchURLWithOptions for local setups.
type FetchURLOptions struct {
	// AllowLoopback also accepts http or https URLs on localhost, 127.0.0.0/8
	// and ::1 with any port. The real service never fetches such URLs; only an
	// emulator run that serves its own OIDC discovery on loopback wants this.
	AllowLoopback bool
}

// ValidateFetchURL checks a URL that Anthropic itself fetches (discovery_base,
// issuer_url in discovery mode, an explicit JWKS url). The service reaches
// only public https endpoints, so the URL must be https on port 443 (or no
// port), name its host by a DNS name containing a dot (no IP literal, no
// localhost), and carry no userinfo or fragment.
func ValidateFetchURL(raw string) error {
	return ValidateFetchURLWithOptions(raw, FetchURLOptions{})
}

// ValidateFetchURLWithOptions is ValidateFetchURL with opts applied.
func ValidateFetchURLWithOptions(raw string, opts FetchURLOptions) error {
	u, err := parseAbsoluteURL(raw)
	if err != nil {
		return err
	}
	if opts.AllowLoopback && IsLoopbackHost(u.Hostname()) && (u.Scheme == "http" || u.Scheme == "https") {
		return checkNoUserinfoFragment(u, raw)
	}
	if u.Scheme != "https" {
		return fmt.Errorf("url must use https scheme (got %q)", u.Scheme)
	}
	if err := checkNoUserinfoFragment(u, raw); err != nil {
		return err
	}
	if p := u.Port(); p != "" && p != "443" {
		return fmt.Errorf("url must use the default https port 443 (got port %s)", quoteForMessage(p))
	}
	return checkPublicDNSName(u.Hostname())
}

// ValidateIssuerURL checks issuer_url where it is only compared with the
// token's iss claim (explicit_url and inline JWKS modes): an absolute https
// URL without query or fragment, since an iss never carries those.
func ValidateIssuerURL(raw string) error {
	u, err := parseAbsoluteURL(raw)
	if err != nil {
		return err
	}
	if u.Scheme != "https" {
		return fmt.Errorf("url must use https scheme (got %q)", u.Scheme)
	}
	if u.RawQuery != "" || u.ForceQuery {
		return errors.New("url must not have a query string")
	}
	return checkNoUserinfoFragment(u, raw)
}

func parseAbsoluteURL(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, errors.New("url must not be empty")
	}
	if n := len(raw); n > MaxURLLength {
		return nil, fmt.Errorf("url must be at most %d bytes (got %d)", MaxURLLength, n)
	}
	if err := ValidateText(raw, SingleLine); err != nil {
		return nil, errors.New("url " + err.Error())
	}
	if strings.TrimSpace(raw) != raw {
		return nil, errors.New("url must not have leading or trailing whitespace")
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error repeats the whole input; the reason alone is enough.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("url is not valid: %v", err)
	}
	if !u.IsAbs() || u.Opaque != "" {
		return nil, fmt.Errorf("url must be absolute, like https://issuer.example.com (got %s)", quoteForMessage(raw))
	}
	if u.Host == "" || u.Hostname() == "" {
		return nil, errors.New("url must have a host")
	}
	return u, nil
}

// raw is consulted for the fragment because url.URL drops an empty one ("x#").
func checkNoUserinfoFragment(u *url.URL, raw string) error {
	if u.User != nil {
		return errors.New("url must not contain a username or password")
	}
	if strings.Contains(raw, "#") {
		return errors.New("url must not have a fragment")
	}
	return nil
}

func checkPublicDNSName(host string) error {
	if net.ParseIP(host) != nil {
		return fmt.Errorf("url host must be a DNS name, not an IP address (got %s)", quoteForMessage(host))
	}
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return errors.New("url host must be a public DNS name, not localhost")
	}
	if !strings.Contains(h, ".") {
		return fmt.Errorf("url host must be a fully qualified DNS name with a dot (got %s)", quoteForMessage(host))
	}
	labels := strings.Split(h, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return fmt.Errorf("url host is not a valid DNS name (got %s)", quoteForMessage(host))
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return fmt.Errorf("url host is not a valid DNS name (got %s)", quoteForMessage(host))
			}
		}
	}
	// A top-level label is never numeric; a host like "127.1" or "10.0.0.300"
	// is an IP address in disguise that resolvers may still accept.
	if tld := labels[len(labels)-1]; strings.Trim(tld, "0123456789") == "" || strings.HasPrefix(tld, "0x") {
		return fmt.Errorf("url host must be a DNS name, not an IP address (got %s)", quoteForMessage(host))
	}
	return nil
}

// IsLoopbackHost reports whether host (a URL's Hostname) is localhost or a
// loopback IP: plain http there stays on this machine, the only case where
// the provider sends credentials without TLS. It is the one loopback check
// of the provider, the Google client and the URL rules.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
