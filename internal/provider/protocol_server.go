package provider

import (
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"

	"github.com/wiflabs/terraform-provider-anthropic/internal/protocol"
)

// ProtocolServer is the provider's plugin-protocol server, for main and for
// tests: the framework's server, with each unary RPC's context released
// when the RPC returns (see internal/protocol for why).
func ProtocolServer(version string) func() (tfprotov6.ProviderServer, error) {
	return protocolServer(New(version)())
}

// protocolServer wraps the framework's server of p (tests pass providers
// with a tuned client or clock).
func protocolServer(p provider.Provider) func() (tfprotov6.ProviderServer, error) {
	return func() (tfprotov6.ProviderServer, error) {
		s, err := providerserver.NewProtocol6WithError(p)()
		if err != nil {
			return nil, err
		}
		return protocol.ReleaseRequestContexts(s)
	}
}
