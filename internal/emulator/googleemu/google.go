// Package googleemu is a faithful local stand-in for the Google pieces the
// provider touches: the GCE metadata server's identity endpoint, Google's
// OIDC discovery document and JWKS, IAM v1 serviceAccounts.get and IAM
// Credentials generateIdToken. Tokens are signed like Google's (RS256, kid,
// iss https://accounts.google.com, numeric sub) with a key that only this
// process holds, so tests and demos keep production-looking values.
//
// Mount Handler at the root of a server (it owns /computeMetadata/,
// /.well-known/openid-configuration, /oauth2/v3/certs and /google/), then
// point clients at it:
//
//	GCE_METADATA_HOST=127.0.0.1:PORT
//	IAM endpoint             http://127.0.0.1:PORT/google/iam/
//	IAM Credentials endpoint http://127.0.0.1:PORT/google/iamcredentials/
//	OIDC discovery           http://127.0.0.1:PORT/.well-known/openid-configuration
//	                         (also under http://127.0.0.1:PORT/google/oidc/)
package googleemu

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	mrand "math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Issuer is the iss of every token the emulator mints, as Google's.
const Issuer = "https://accounts.google.com"

// Seeded projects and identities.
const (
	DemoProject      = "wif-demo-project"
	ForbiddenProject = "forbidden-project"

	// DefaultCaller is the identity behind Options.AccessToken: the
	// principal Terraform runs as when it calls IAM.
	DefaultCaller = "terraform@" + DemoProject + ".iam.gserviceaccount.com"

	// WorkloadAccount is the metadata server's default service account.
	WorkloadAccount = "workload@" + DemoProject + ".iam.gserviceaccount.com"
	CIRunnerAccount = "ci-runner@" + DemoProject + ".iam.gserviceaccount.com"
	DisabledAccount = "disabled-sa@" + DemoProject + ".iam.gserviceaccount.com"
	SecretAccount   = "secret@" + ForbiddenProject + ".iam.gserviceaccount.com"
)

// Path prefixes (with trailing slash) where the Google API clients must be
// pointed with option.WithEndpoint(baseURL + prefix).
const (
	IAMPathPrefix            = "/google/iam/"
	IAMCredentialsPathPrefix = "/google/iamcredentials/"
	// OIDCPathPrefix is an alternative home of the discovery document and
	// JWKS for servers that already use /.well-known for something else.
	OIDCPathPrefix = "/google/oidc/"
)

// tokenLifetime is how long Google's ID tokens live.
const tokenLifetime = time.Hour

// Options configures New.
type Options struct {
	// AccessToken is the bearer token accepted by the IAM APIs as
	// DefaultCaller. "" generates "ya29.emu-<random>".
	AccessToken string
	// Now is the clock for iat/exp. nil means time.Now.
	Now func() time.Time
	// Seed, when non-zero, makes generated access tokens deterministic.
	// Signing keys stay random: Go 1.26 ignores custom randomness in RSA key
	// generation. Use SigningKey to share or fix a key.
	Seed int64
	// SigningKey is the RSA key tokens are signed with. nil generates an
	// RSA-2048 key (tens of milliseconds); pass one to share it across many
	// emulators in a test binary.
	SigningKey *rsa.PrivateKey
}

// ServiceAccount is a Google service account as IAM reports it.
type ServiceAccount struct {
	Email          string
	ProjectID      string
	UniqueID       string // 21 digits; keep it a string
	DisplayName    string
	OAuth2ClientID string
	Disabled       bool
}

// Instance describes the fake VM the metadata server runs on; it feeds the
// google.compute_engine claims of format=full tokens.
type Instance struct {
	ProjectID         string
	ProjectNumber     int64
	Zone              string
	InstanceID        string
	InstanceName      string
	CreationTimestamp int64
}

// Google is one emulated Google. Safe for concurrent use.
type Google struct {
	now         func() time.Time
	accessToken string
	kid         string
	signer      jose.Signer
	keySet      jose.JSONWebKeySet
	jwks        []byte
	instance    Instance

	mu            sync.RWMutex
	rnd           *mrand.Rand // nil: crypto/rand
	accounts      []ServiceAccount
	callers       map[string]string  // bearer token -> principal email
	grants        map[[2]string]bool // (caller, target) token-creator grants
	viewers       map[[2]string]bool // (caller, project) iam.serviceAccounts.get
	metadataToken string             // the default account's access token
}

// New returns an emulator seeded with the demo identities. It panics only if
// the system's secure random source fails.
func New(opts Options) *Google {
	g := &Google{
		now:     opts.Now,
		callers: map[string]string{},
		grants:  map[[2]string]bool{},
		viewers: map[[2]string]bool{},
	}
	if g.now == nil {
		g.now = time.Now
	}
	if opts.Seed != 0 {
		var seed [32]byte
		binary.LittleEndian.PutUint64(seed[:], uint64(opts.Seed))
		g.rnd = mrand.New(mrand.NewChaCha8(seed))
	}
	key := opts.SigningKey
	if key == nil {
		var err error
		if key, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(fmt.Sprintf("googleemu: generating signing key: %v", err))
		}
	}
	if err := g.setKey(key); err != nil {
		panic(fmt.Sprintf("googleemu: %v", err))
	}

	g.accessToken = opts.AccessToken
	if g.accessToken == "" {
		g.accessToken = "ya29.emu-" + g.randomHex(24)
	}
	g.callers[g.accessToken] = DefaultCaller
	g.metadataToken = "ya29.emu-md-" + g.randomHex(24)
	g.callers[g.metadataToken] = WorkloadAccount

	for _, sa := range []ServiceAccount{
		{Email: WorkloadAccount, DisplayName: "Workload (metadata default)"},
		{Email: CIRunnerAccount, DisplayName: "CI runner"},
		{Email: DisabledAccount, DisplayName: "Disabled account", Disabled: true},
		{Email: SecretAccount, DisplayName: "Secret"},
	} {
		g.AddServiceAccount(sa)
	}
	g.GrantTokenCreator(DefaultCaller, WorkloadAccount)
	g.GrantTokenCreator(DefaultCaller, CIRunnerAccount)
	g.GrantProjectViewer(DefaultCaller, DemoProject)
	g.GrantProjectViewer(WorkloadAccount, DemoProject)

	g.instance = Instance{
		ProjectID:         DemoProject,
		ProjectNumber:     ProjectNumberFor(DemoProject),
		Zone:              "us-central1-a",
		InstanceID:        digitsFor("instance/wif-demo-vm", 19),
		InstanceName:      "wif-demo-vm",
		CreationTimestamp: 1735689600, // 2025-01-01T00:00:00Z: fixed so claims are stable
	}
	return g
}

func (g *Google) setKey(key *rsa.PrivateKey) error {
	pub := jose.JSONWebKey{Key: &key.PublicKey, Algorithm: string(jose.RS256), Use: "sig"}
	tp, err := pub.Thumbprint(crypto.SHA256)
	if err != nil {
		return fmt.Errorf("thumbprint: %w", err)
	}
	// Google's kids are 40 hex digits.
	g.kid = hex.EncodeToString(tp[:20])
	pub.KeyID = g.kid
	signer, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: g.kid}},
		(&jose.SignerOptions{}).WithType("JWT"),
	)
	if err != nil {
		return fmt.Errorf("signer: %w", err)
	}
	g.signer = signer
	g.keySet = jose.JSONWebKeySet{Keys: []jose.JSONWebKey{pub}}
	if g.jwks, err = json.Marshal(g.keySet); err != nil {
		return fmt.Errorf("jwks: %w", err)
	}
	return nil
}

func (g *Google) randomHex(n int) string {
	b := make([]byte, n)
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.rnd != nil {
		for i := range b {
			b[i] = byte(g.rnd.Uint32())
		}
	} else {
		_, _ = rand.Read(b)
	}
	return hex.EncodeToString(b)[:n]
}

// AccessToken returns the bearer token the IAM APIs accept as DefaultCaller.
func (g *Google) AccessToken() string { return g.accessToken }

// IssueAccessToken returns a new bearer token whose holder the IAM APIs
// treat as caller (any principal email), for tests of other callers.
func (g *Google) IssueAccessToken(caller string) string {
	tok := "ya29.emu-" + g.randomHex(32)
	g.mu.Lock()
	defer g.mu.Unlock()
	g.callers[tok] = caller
	return tok
}

func (g *Google) callerFor(token string) (string, bool) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	c, ok := g.callers[token]
	return c, ok
}

// KeyID returns the kid of the signing key.
func (g *Google) KeyID() string { return g.kid }

// JWKS returns the public JWK set JSON ({"keys":[...]}) served at /oauth2/v3/certs.
func (g *Google) JWKS() []byte { return slices.Clone(g.jwks) }

// KeySet returns the public keys.
func (g *Google) KeySet() jose.JSONWebKeySet {
	return jose.JSONWebKeySet{Keys: slices.Clone(g.keySet.Keys)}
}

// Instance returns the fake VM behind the metadata server.
func (g *Google) Instance() Instance { return g.instance }

// Mint signs an ID token for the account (email or unique id) as Google
// would: iss, aud, sub = uniqueId, azp = oauth2ClientId, iat, exp = iat+1h,
// no jti; email and email_verified when includeEmail; extra is merged last
// and may override anything.
func (g *Google) Mint(accountEmail, audience string, includeEmail bool, extra map[string]any) (string, error) {
	sa, ok := g.Lookup(accountEmail)
	if !ok {
		return "", fmt.Errorf("googleemu: unknown service account %q", accountEmail)
	}
	if audience == "" {
		return "", fmt.Errorf("googleemu: audience is required")
	}
	now := g.now().Truncate(time.Second)
	claims := map[string]any{
		"iss": Issuer,
		"aud": audience,
		"sub": sa.UniqueID,
		"azp": sa.OAuth2ClientID,
		"iat": now.Unix(),
		"exp": now.Add(tokenLifetime).Unix(),
	}
	if includeEmail {
		claims["email"] = sa.Email
		claims["email_verified"] = true
	}
	for k, v := range extra {
		claims[k] = v
	}
	return g.SignClaims(claims)
}

// SignClaims signs arbitrary claims with the emulator's key (RS256, kid),
// for tests that need expired, future-dated or otherwise odd tokens.
func (g *Google) SignClaims(claims map[string]any) (string, error) {
	tok, err := jwt.Signed(g.signer).Claims(claims).Serialize()
	if err != nil {
		return "", fmt.Errorf("googleemu: signing: %w", err)
	}
	return tok, nil
}

// ServiceAccounts returns all accounts in insertion order.
func (g *Google) ServiceAccounts() []ServiceAccount {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return slices.Clone(g.accounts)
}

// AddServiceAccount adds or replaces (by email) an account. Empty ProjectID
// is taken from an "@PROJECT.iam.gserviceaccount.com" email, empty UniqueID
// from UniqueIDFor, empty OAuth2ClientID from UniqueID.
func (g *Google) AddServiceAccount(sa ServiceAccount) {
	sa.Email = strings.ToLower(strings.TrimSpace(sa.Email))
	if sa.ProjectID == "" {
		sa.ProjectID = projectOfEmail(sa.Email)
	}
	if sa.ProjectID == "" {
		sa.ProjectID = DemoProject
	}
	if sa.UniqueID == "" {
		sa.UniqueID = UniqueIDFor(sa.Email)
	}
	if sa.OAuth2ClientID == "" {
		sa.OAuth2ClientID = sa.UniqueID
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for i := range g.accounts {
		if g.accounts[i].Email == sa.Email {
			g.accounts[i] = sa
			return
		}
	}
	g.accounts = append(g.accounts, sa)
}

// Lookup finds an account by email (case-insensitive) or unique id.
func (g *Google) Lookup(emailOrUniqueID string) (ServiceAccount, bool) {
	key := strings.ToLower(strings.TrimSpace(emailOrUniqueID))
	g.mu.RLock()
	defer g.mu.RUnlock()
	for _, sa := range g.accounts {
		if sa.Email == key || sa.UniqueID == key {
			return sa, true
		}
	}
	return ServiceAccount{}, false
}

// DefaultServiceAccount returns the metadata server's default account.
func (g *Google) DefaultServiceAccount() ServiceAccount {
	sa, _ := g.Lookup(WorkloadAccount)
	return sa
}

// GrantTokenCreator lets caller mint tokens for target (directly, or as one
// hop of a delegation chain): Google's roles/iam.serviceAccountOpenIdTokenCreator
// and roles/iam.serviceAccountTokenCreator folded into one grant.
func (g *Google) GrantTokenCreator(caller, target string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.grants[[2]string{strings.ToLower(caller), strings.ToLower(target)}] = true
}

// RevokeTokenCreator undoes GrantTokenCreator.
func (g *Google) RevokeTokenCreator(caller, target string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.grants, [2]string{strings.ToLower(caller), strings.ToLower(target)})
}

func (g *Google) granted(caller, target string) bool {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.grants[[2]string{strings.ToLower(caller), strings.ToLower(target)}]
}

// GrantProjectViewer lets caller read service accounts of project
// (iam.serviceAccounts.get). DefaultCaller can read DemoProject but not
// ForbiddenProject.
func (g *Google) GrantProjectViewer(caller, project string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.viewers[[2]string{strings.ToLower(caller), project}] = true
}

func (g *Google) canView(caller, project string) bool {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.viewers[[2]string{strings.ToLower(caller), project}]
}

// UniqueIDFor is the deterministic 21-digit unique id the emulator gives an
// account that was added without one.
func UniqueIDFor(email string) string {
	return "1" + digitsFor("uniqueId/"+strings.ToLower(email), 20)
}

// ProjectNumberFor is the deterministic 12-digit project number of a project id.
func ProjectNumberFor(projectID string) int64 {
	var n int64
	for _, c := range "1" + digitsFor("projectNumber/"+projectID, 11) {
		n = n*10 + int64(c-'0')
	}
	return n
}

// digitsFor returns n decimal digits derived from a hash of s.
func digitsFor(s string, n int) string {
	sum := sha256.Sum256([]byte("googleemu/" + s))
	v := new(big.Int).SetBytes(sum[:])
	mod := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
	return fmt.Sprintf("%0*s", n, v.Mod(v, mod).String())
}

func projectOfEmail(email string) string {
	_, domain, ok := strings.Cut(email, "@")
	if !ok {
		return ""
	}
	project, ok := strings.CutSuffix(domain, ".iam.gserviceaccount.com")
	if !ok {
		return ""
	}
	return project
}
