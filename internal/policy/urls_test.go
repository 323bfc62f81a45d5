package policy

import "testing"

func TestValidateFetchURL(t *testing.T) {
	tests := []struct {
		url, wantErr string
	}{
		{"https://accounts.google.com", ""},
		{"https://accounts.google.com/", ""},
		{"https://token.actions.githubusercontent.com/.well-known/jwks", ""},
		{"https://example.com:443/jwks", ""},
		{"https://example.com/jwks?tenant=a", ""},
		{"https://sub.example.co.uk/a/b", ""},
		{"https://example.com./jwks", ""},
		{"", "must not be empty"},
		{" https://example.com", "whitespace"},
		{"http://example.com", "https scheme"},
		{"ftp://example.com", "https scheme"},
		{"HTTPS://example.com", ""}, // url.Parse lowercases the scheme
		{"example.com/jwks", "absolute"},
		{"/jwks", "absolute"},
		{"https:example.com", "absolute"},
		{"https://example.com:8443/jwks", "port 443"},
		{"https://example.com:80", "port 443"},
		{"https://user:pw@example.com", "username or password"},
		{"https://user@example.com", "username or password"},
		{"https://example.com/jwks#frag", "fragment"},
		{"https://example.com/jwks#", "fragment"},
		{"https://127.0.0.1/jwks", "not an IP address"},
		{"https://[::1]/jwks", "not an IP address"},
		{"https://[2001:db8::1]:443/", "not an IP address"},
		{"https://10.0.0.300/", "not an IP address"},
		{"https://127.1/", "not an IP address"},
		{"https://0x7f.1/", "not an IP address"},
		{"https://localhost/", "localhost"},
		{"https://LOCALHOST./", "localhost"},
		{"https://api.localhost/", "localhost"},
		{"https://intranet/", "with a dot"},
		{"https://exa mple.com/", "not valid"},
		{"https://-bad.example.com/", "not a valid DNS name"},
		{"https://bad..example.com/", "not a valid DNS name"},
		{"https://bücher.de/", "not a valid DNS name"},
		{"https://%zz/", "not valid"},
		{"https://", "must have a host"},
		{"https://:443/", "must have a host"},
	}
	for _, tt := range tests {
		checkErr(t, "ValidateFetchURL", tt.url, ValidateFetchURL(tt.url), tt.wantErr)
	}
}

func TestValidateFetchURLWithLoopback(t *testing.T) {
	opts := FetchURLOptions{AllowLoopback: true}
	for _, ok := range []string{"http://127.0.0.1:8080/jwks", "https://localhost:9443", "http://[::1]:1/x", "https://accounts.google.com"} {
		checkErr(t, "ValidateFetchURLWithOptions", ok, ValidateFetchURLWithOptions(ok, opts), "")
	}
	for _, tt := range []struct{ url, want string }{
		{"http://10.0.0.1:8080/", "https scheme"},
		{"http://127.0.0.1:8080/#x", "fragment"},
		{"ftp://127.0.0.1/", "https scheme"},
		{"http://example.com/", "https scheme"},
	} {
		checkErr(t, "ValidateFetchURLWithOptions", tt.url, ValidateFetchURLWithOptions(tt.url, opts), tt.want)
	}
}

func TestValidateIssuerURL(t *testing.T) {
	tests := []struct {
		url, wantErr string
	}{
		{"https://accounts.google.com", ""},
		{"https://issuer.example.com/tenant/v2.0", ""},
		// Only string-compared: these are never fetched, so no network limits.
		{"https://127.0.0.1:8443", ""},
		{"https://localhost", ""},
		{"https://idp", ""},
		{"http://issuer.example.com", "https scheme"},
		{"issuer.example.com", "absolute"},
		{"https://issuer.example.com?x=1", "query"},
		{"https://issuer.example.com?", "query"},
		{"https://issuer.example.com#a", "fragment"},
		{"https://u@issuer.example.com", "username"},
		{"", "must not be empty"},
		{"https://", "must have a host"},
	}
	for _, tt := range tests {
		checkErr(t, "ValidateIssuerURL", tt.url, ValidateIssuerURL(tt.url), tt.wantErr)
	}
}

func TestIsLoopbackHost(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "LocalHost": true, "127.0.0.1": true, "127.8.9.10": true, "::1": true,
		"": false, "example.com": false, "localhost.example.com": false, "10.0.0.1": false, "::": false, "[::1]": false,
	} {
		if got := IsLoopbackHost(host); got != want {
			t.Errorf("IsLoopbackHost(%q) = %v, want %v", host, got, want)
		}
	}
}
