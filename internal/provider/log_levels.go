package provider

import "os"

// Terraform collects a provider's logs only when TF_LOG or TF_LOG_PROVIDER
// asks for them; otherwise it discards them. The plugin libraries do not
// know that: with no level set they log at TRACE (several JSON lines per
// request, each formatted, copied to stderr and sent to Terraform over the
// plugin's stdio stream), which was about a third of the provider's CPU in
// a 500-object plan and most of its allocations.
var logLevelEnv = []string{"TF_LOG_PROVIDER", "TF_LOG_SDK", "TF_LOG_SDK_PROTO", "TF_LOG_SDK_FRAMEWORK"}

// QuietUncollectedLogs turns the provider's and the plugin libraries' logs
// off when Terraform will not collect them: neither TF_LOG nor any of
// their own level variables is set. Any of them set leaves every level as
// configured. Call it from main, before serving.
func QuietUncollectedLogs() {
	quietUncollectedLogs(os.LookupEnv, os.Setenv)
}

func quietUncollectedLogs(lookup func(string) (string, bool), set func(string, string) error) {
	for _, name := range append([]string{"TF_LOG"}, logLevelEnv...) {
		if v, ok := lookup(name); ok && v != "" {
			return
		}
	}
	for _, name := range logLevelEnv {
		_ = set(name, "OFF")
	}
}
