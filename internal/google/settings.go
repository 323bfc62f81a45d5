package google

import (
	"fmt"
	"strings"
)

// Inputs are the values of the provider's google block; nil means not
// set, so the environment is consulted.
type Inputs struct {
	Credentials, AccessToken, Impersonate *string
	// Delegates are the impersonation delegates (only ever configured).
	Delegates                           []string
	IAMEndpoint, IAMCredentialsEndpoint *string
}

// ResolveSettings applies environment defaults (getenv, normally
// os.Getenv) to the block's values. Anything set in the block beats every
// environment variable, so a token in the configuration is not silently
// overridden by a CI runner's GOOGLE_OAUTH_ACCESS_TOKEN; among the
// variables, the access token beats the credentials. Endpoints are
// normalised. The block's own values are assumed checked already (plan-time
// validation); an error names the environment variable or attribute at
// fault.
func ResolveSettings(in Inputs, getenv func(string) string) (Settings, error) {
	var s Settings
	switch {
	case in.AccessToken != nil:
		s.AccessToken, s.AccessTokenFrom = *in.AccessToken, "google.access_token"
	case in.Credentials != nil:
		s.Credentials, s.CredentialsFrom = *in.Credentials, "google.credentials"
	case getenv(EnvAccessToken) != "":
		s.AccessToken, s.AccessTokenFrom = getenv(EnvAccessToken), EnvAccessToken
	case getenv(EnvCredentials) != "":
		s.Credentials, s.CredentialsFrom = getenv(EnvCredentials), EnvCredentials
	}

	s.Impersonate = strings.TrimSpace(valueOrGetenv(in.Impersonate, EnvImpersonate, getenv))
	s.Delegates = in.Delegates
	if s.Impersonate != "" && in.Impersonate == nil {
		if err := CheckImpersonationTarget(s.Impersonate); err != nil {
			return s, fmt.Errorf("%s: %w", EnvImpersonate, err)
		}
	}

	var err error
	for _, e := range []struct {
		value       *string
		env, attr   string
		destination *string
	}{
		{in.IAMEndpoint, EnvIAMEndpoint, "iam_custom_endpoint", &s.IAMEndpoint},
		{in.IAMCredentialsEndpoint, EnvIAMCredentialsEndpoint, "iam_credentials_custom_endpoint", &s.IAMCredentialsEndpoint},
	} {
		raw := valueOrGetenv(e.value, e.env, getenv)
		if raw == "" {
			continue
		}
		if *e.destination, err = NormalizeEndpoint(raw); err != nil {
			from := "google." + e.attr
			if e.value == nil {
				from = e.env
			}
			return s, fmt.Errorf("%s: %w", from, err)
		}
	}
	return s, nil
}

func valueOrGetenv(v *string, env string, getenv func(string) string) string {
	if v != nil {
		return *v
	}
	return getenv(env)
}
