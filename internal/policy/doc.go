// Package policy holds the validation rules of the Anthropic Workload
// Identity Federation API that both sides of this repository must agree on:
// the Terraform provider checks them at plan time so users see mistakes
// before apply, and the emulator enforces the same rules server-side so tests
// exercise real rejections. Everything here is pure (no HTTP, no Terraform
// types) and safe for concurrent use.
//
// It also owns the wire shapes of the objects those rules judge (a rule's
// Match and RuleTarget, an issuer's JWKS): internal/client sends and
// receives them under aliases, the emulator returns them, and the checks
// take them as they travel.
//
// Validators return errors whose messages do not name the field: callers
// prefix the field they validated ("issuer_url: url must use https scheme"),
// which is the message style of the service. Rule-match checks return
// Findings that carry their own attribute path.
//
// Tenant pinning on shared issuers (CheckTenantPin) is decided, not
// pattern-matched: a rule counts as pinned only if no token from another
// tenant can match it. pin.go states the attacker model, the algorithm
// (CEL partial evaluation, then an abstract evaluation of the residual) and
// why it is sound; the provider's plan-time guards and the emulator call
// the same functions, so they agree.
package policy
