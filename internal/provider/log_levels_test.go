package provider

import (
	"maps"
	"testing"
)

func TestQuietUncollectedLogs(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want map[string]string
	}{
		{"nothing collects the logs", map[string]string{},
			map[string]string{"TF_LOG_PROVIDER": "OFF", "TF_LOG_SDK": "OFF", "TF_LOG_SDK_PROTO": "OFF", "TF_LOG_SDK_FRAMEWORK": "OFF"}},
		{"empty values count as unset", map[string]string{"TF_LOG": ""},
			map[string]string{"TF_LOG": "", "TF_LOG_PROVIDER": "OFF", "TF_LOG_SDK": "OFF", "TF_LOG_SDK_PROTO": "OFF", "TF_LOG_SDK_FRAMEWORK": "OFF"}},
		{"TF_LOG set", map[string]string{"TF_LOG": "DEBUG"}, map[string]string{"TF_LOG": "DEBUG"}},
		{"provider level set", map[string]string{"TF_LOG_PROVIDER": "TRACE"}, map[string]string{"TF_LOG_PROVIDER": "TRACE"}},
		{"framework level set", map[string]string{"TF_LOG_SDK_FRAMEWORK": "INFO"}, map[string]string{"TF_LOG_SDK_FRAMEWORK": "INFO"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := maps.Clone(tc.env)
			lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
			set := func(k, v string) error { env[k] = v; return nil }
			quietUncollectedLogs(lookup, set)
			if !maps.Equal(env, tc.want) {
				t.Errorf("env = %v, want %v", env, tc.want)
			}
		})
	}
}
