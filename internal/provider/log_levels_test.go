package provider

import (
	"maps"
	"testing"
)

func TestQuietUncollectedLogs(t *testing.T) {
	off := map[string]string{"TF_LOG_PROVIDER": "OFF", "TF_LOG_SDK": "OFF", "TF_LOG_SDK_PROTO": "OFF", "TF_LOG_SDK_FRAMEWORK": "OFF"}
	for _, tc := range []struct {
		name    string
		environ []string
		want    map[string]string // what is set
	}{
		{"nothing collects the logs", []string{"HOME=/root", "TF_IN_AUTOMATION=1"}, off},
		{"empty values count as unset", []string{"TF_LOG="}, off},
		{"TF_LOG set", []string{"TF_LOG=DEBUG"}, map[string]string{}},
		{"provider level set", []string{"TF_LOG_PROVIDER=TRACE"}, map[string]string{}},
		{"named provider level set", []string{"TF_LOG_PROVIDER_ANTHROPIC=DEBUG"}, map[string]string{}},
		{"framework level set", []string{"TF_LOG_SDK_FRAMEWORK=INFO"}, map[string]string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := map[string]string{}
			quietUncollectedLogs(tc.environ, func(k, v string) error { got[k] = v; return nil })
			if !maps.Equal(got, tc.want) {
				t.Errorf("set %v, want %v", got, tc.want)
			}
		})
	}
}
