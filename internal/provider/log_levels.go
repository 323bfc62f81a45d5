package provider

import (
	"os"
	"strings"
)

// Terraform collects a provider's logs only when one of the TF_LOG
// variables asks for them ("logging is off for all subsystems by
// default"); otherwise it discards them. The plugin libraries do not know
// that: with no level set they log at TRACE (several JSON lines per
// request, each formatted, copied to stderr and sent to Terraform over the
// plugin's stdio stream), which was about a third of the provider's CPU in
// a 500-object plan and most of its allocations.
var logLevelEnv = []string{"TF_LOG_PROVIDER", "TF_LOG_SDK", "TF_LOG_SDK_PROTO", "TF_LOG_SDK_FRAMEWORK"}

// QuietUncollectedLogs turns the provider's and the plugin libraries' logs
// off when no TF_LOG* variable is set. Any of them set (TF_LOG,
// TF_LOG_PROVIDER, TF_LOG_PROVIDER_ANTHROPIC, TF_LOG_SDK_FRAMEWORK, even
// TF_LOG_PATH alone) leaves every level as configured. Call it from main,
// before serving.
func QuietUncollectedLogs() {
	quietUncollectedLogs(os.Environ(), os.Setenv)
}

func quietUncollectedLogs(environ []string, set func(string, string) error) {
	for _, kv := range environ {
		name, value, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "TF_LOG") && value != "" {
			return
		}
	}
	for _, name := range logLevelEnv {
		_ = set(name, "OFF")
	}
}
