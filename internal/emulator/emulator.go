// Package emulator is an in-memory, faithful emulator of Anthropic's Workload
// Identity Federation API: the admin endpoints, the token exchange
// POST /v1/oauth/token, and a minimal POST /v1/messages that proves a
// minted token works. Tests serve it with httptest; cmd/anthropic-emulator
// serves it for demos.
//
// It validates like the real service (sharing internal/policy with the
// provider so both sides agree), answers with the real error envelope and
// status codes, mints ids with the real prefixes, paginates, and can inject
// faults, latency and read-after-write lag so client retry and drift paths
// can be exercised.
//
// Exchanges are verified for real: the issuer's JWKS is found by OIDC
// discovery (or an explicit URL, or inline keys) and cached, the signature
// is checked with go-jose (asymmetric algorithms only, kid required), then
// iss, sub, iat, exp, the JWT lifetime, jti reuse, the rule's matchers and
// the workspace choice. Every denial is the service's one opaque 401; the
// reason goes to the authentication history (AuthHistory, and the
// emulator-only GET /v1/organizations/federation_authentication_history),
// standing in for the Console's history page. That endpoint takes an
// org:admin credential and answers {"data":[...],"next_page":...}, newest
// first, with limit (1-1000, default 100), page and federation_rule_id
// query parameters; an event holds ids, the verified subject, the outcome
// (success, denied, invalid_request) and the reason (match_subject_prefix,
// jti_reused, invalid_request:assertion, ...), never the assertion or token.
//
// The emulator also serves a local Google (package googleemu) on the same
// listener: the metadata server, IAM, IAM Credentials and Google's OIDC
// discovery. Google's issuer URL https://accounts.google.com is mapped to
// that local Google's keys, so rules and examples keep production values and
// nothing leaves the machine. Other issuers are fetched over HTTP; like the
// real service, the emulator refuses non-public URLs (loopback, IP literals,
// plain http) unless Options.AllowLoopbackFetch is set for tests.
//
// Where the official Go SDK (anthropic-sdk-go v1.84.0, the wire-format
// reference) documents behaviour, the emulator follows it, also where the
// API's prose documentation says otherwise: service accounts list newest
// first; adding an existing explicit membership replaces its
// workspace_role; deleting the implicit default membership is a 200 no-op;
// an archived service account lists no memberships; memberships page with
// limit/next_page (the implicit entry rides on top of the first page,
// outside the limit; a cursor names a membership and is a 400 once it no longer matches one); a rule update's
// workspace_id replaces the single enablement (400 when there are several);
// applies_to_all_workspaces: false that would leave no workspace enabled is a
// 400; target.service_account_name is ignored on writes; organization_role:
// null on update leaves it unchanged; unknown references in a rule create or
// update are 400s; workspace_name is null in the enable response; an exchange
// without workspace_id gets the rule's sole workspace, else the default
// workspace if the rule covers it; GET /v1/organizations/workspaces answers
// the pagination.Page shape {data, has_more, first_id, last_id} with after_id,
// before_id, limit (1-1000), include_archived and include_default;
// GET /v1/organizations/me names the organization; the default workspace is an
// ordinary wrkspc_ id (DefaultWorkspaceID) in every response — memberships,
// workspace_ids, enablements, the authentication history — while requests may
// still name it "default" (the SDK documents that literal for the exchange);
// the workspace side of memberships (/v1/organizations/workspaces/{id}/
// service_accounts) acts on the same memberships, lists explicit members of
// live service accounts only, reads the implicit default membership, and
// changes the role of explicit ones only; setting organization_role admin
// needs an interactive credential (a user's OAuth token or a Console session,
// not a token minted by an exchange); demoting an admin is allowed, and an
// org:admin rule whose target is no longer admin is refused at exchange
// (target_not_admin); oauth_scope is a space-separated, duplicate-free
// combination of the known scopes, minted tokens carry it as written;
// applies_to_all_workspaces: true keeps the explicit enablements (ignored at
// exchange while it holds; more can be enabled); inline-key issuers answer
// poll_status null; updating an issuer that backs a rule scoped beyond
// workspace:developer/workspace:inference needs a Console session (403 for
// OAuth callers); the beta surface (?beta=true) renders rules with
// attributes: null and the legacy workspace_id (the sole enablement, else
// null); only the service pauses JWKS polling, so an issuer update's
// jwks_polling_disabled accepts only false, which resumes it (true is a 400;
// create has no such field).
//
// Where both are silent the emulator chooses:
//   - names are unique among non-archived objects of a kind; archiving frees a name;
//   - issuers and rules list oldest first (the SDK documents no order for them);
//   - a reference to an unknown workspace in a membership or enablement body
//     is a 404 naming the field; a reference to an archived object, a 400;
//   - null is accepted only where the API documentation or the SDK says it clears or
//     leaves unchanged (description, jwks.discovery_base, jwks.ca_cert_pem,
//     match members, attributes, organization_role on update,
//     target.service_account_name) and for the write-only workspace_id /
//     applies_to_all_workspaces (null = omitted); elsewhere it is a 400
//     "<field>: must not be null";
//   - attributes is accepted in requests (null or empty only) and never rendered;
//   - on a rule update, workspace_id also turns applies_to_all_workspaces off;
//   - an OAuth caller may not change, archive or re-scope a rule whose scope it
//     could not have granted (403); reads are allowed;
//   - oauth_scope must be single-space separated without surrounding blanks;
//   - the workspace-side member list orders members by when they were added;
//     its cursor names the workspace and the last member's position;
//     updating a membership that does not exist (the implicit default one
//     included) is a 404;
//   - changing an issuer's issuer_url is refused while a live rule on it would
//     fail tenant pinning for the new URL;
//   - rule-workspace lists are returned whole (next_page null; limit and page
//     are accepted and ignored, as the SDK documents);
//   - updated_at strictly increases per object, even under a frozen clock;
//   - an assertion that is not a compact JWS at all is a 400 naming assertion;
//     anything about a well-formed JWT is a 401;
//   - a jti is spent only by a successful exchange, so a denied exchange can
//     be fixed and retried with the same assertion;
//   - org:admin rules go through the same workspace choice; the minted token
//     then works on the admin endpoints, acting as the service account with an
//     OAuth caller's restrictions;
//   - a paused issuer's keys stay as last fetched (no refresh, no refetch on
//     an unknown kid); DisableJWKSPolling pauses polling as the service does
//     after repeated fetch failures; a failed refresh keeps the previous keys;
//   - an archived issuer is reported (issuer_archived) before its archived
//     rule, since an issuer can only be archived after its rules.
package emulator

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/wiflabs/terraform-provider-anthropic/internal/emulator/googleemu"
	"github.com/wiflabs/terraform-provider-anthropic/internal/policy"
)

// Options configures an Emulator. The zero value is usable.
type Options struct {
	// AdminToken is the bearer token seeded as an org:admin OAuth caller
	// (acting as a user_… actor). "" generates "sk-ant-oat01-emu-<random>".
	AdminToken string
	// OrganizationID is the organization UUID. "" generates one.
	OrganizationID string
	// OrganizationName is what GET /v1/organizations/me answers as name.
	// "" means "Emulated Organization".
	OrganizationName string
	// Seed makes ids deterministic when non-zero (ChaCha8 seeded from it);
	// 0 uses crypto/rand.
	Seed int64
	// Latency is added to every request of the Anthropic API (not to the
	// local Google's).
	Latency time.Duration
	// FaultRate (0..1) is the fraction of requests answered 529
	// overloaded_error at random.
	FaultRate float64
	// Now is the clock for timestamps and stale-read windows; nil uses time.Now.
	Now func() time.Time
	// Logger receives one line per request; it never sees credential values.
	Logger *slog.Logger

	// Google is the local Google served on the same listener, whose keys
	// stand in for https://accounts.google.com. nil creates one on this
	// emulator's clock; emulators created that way in one process share a
	// signing key (one Google, as in production), which keeps New cheap.
	Google *googleemu.Google
	// FetchClient fetches OIDC discovery documents and JWKS of issuers other
	// than Google. nil uses a client with a 10 s timeout. An issuer's
	// ca_cert_pem replaces the root CAs of its transport when that transport
	// is an *http.Transport (or nil).
	FetchClient *http.Client
	// AllowLoopbackFetch lets issuers use http/https URLs on loopback (any
	// port) for discovery_base, issuer_url and jwks.url, and lets discovery
	// point jwks_uri there. The real service refuses them; tests that serve
	// an OIDC issuer with httptest turn this on.
	AllowLoopbackFetch bool
	// JWKSCacheTTL is how long fetched keys are used before being fetched
	// again; an unknown kid forces one refetch regardless. 0 means one hour,
	// the service's polling interval.
	JWKSCacheTTL time.Duration
}

// Workspace is a seeded workspace of the emulated organization.
type Workspace struct{ ID, Name string }

// seededWorkspaceNames are created in every emulated organization so tools
// and tests have non-default workspaces to enable rules in.
var seededWorkspaceNames = []string{"production", "staging", "research"}

// caller is an authenticated principal.
type caller struct {
	actorID string
	// console marks a Console session, which may do what an OAuth access
	// token may not (rules with privileged scopes and their issuers).
	console bool
	// interactive marks a human's credential: a Console session or a user's
	// OAuth token. Only an interactive caller may create or promote an admin
	// service account; a token minted by a federation exchange is not one.
	interactive bool
}

// Emulator is an http.Handler emulating the Anthropic WIF admin API for one
// organization. It is safe for concurrent use.
type Emulator struct {
	now     func() time.Time
	logger  *slog.Logger
	latency time.Duration
	mux     *http.ServeMux
	// pathMux knows every route's path without its method, to tell 405 from 404.
	pathMux *http.ServeMux

	orgID        string
	orgName      string
	adminToken   string
	consoleToken string
	userID       string
	callers      map[string]caller

	mu        sync.Mutex
	idRand    io.Reader // object ids: deterministic under a seed
	reqRand   io.Reader // request ids: separate stream so they don't perturb object ids
	faultRand *mrand.Rand
	random    RandomFaults
	faults    map[string][]*Fault
	counts    map[string]int
	total     int
	staleFor  time.Duration
	seq       int64

	workspaces []*workspace
	wsByID     map[string]*workspace
	defaultWS  *workspace
	sas        []*serviceAccount
	saByID     map[string]*serviceAccount
	issuers    []*issuer
	issByID    map[string]*issuer
	rules      []*rule
	ruleByID   map[string]*rule

	// Federation state (guarded by mu): minted access tokens, spent jtis and
	// the authentication history.
	tokens     map[string]*mintedToken
	tokenSweep int
	jtis       map[string]time.Time
	jtiSweep   int
	history    []authRecord // oldest first, at most maxAuthHistory
	historySeq int64

	google      *googleemu.Google
	root        *http.ServeMux
	fetchClient *http.Client
	fetchOpts   policy.FetchURLOptions
	jwksTTL     time.Duration

	keysMu   sync.Mutex
	keyCache map[string]*keyCacheEntry // issuer id -> last fetched keys
	condMu   sync.Mutex
	conds    map[string]*policy.Condition // condition source -> compiled program
}

// New returns an emulator with a fresh organization: the default workspace
// plus "production", "staging" and "research", no service accounts, issuers
// or rules.
func New(opts Options) *Emulator {
	e := &Emulator{
		now:       opts.Now,
		logger:    opts.Logger,
		latency:   opts.Latency,
		random:    RandomFaults{Rate: opts.FaultRate},
		faults:    map[string][]*Fault{},
		counts:    map[string]int{},
		wsByID:    map[string]*workspace{},
		saByID:    map[string]*serviceAccount{},
		issByID:   map[string]*issuer{},
		ruleByID:  map[string]*rule{},
		tokens:    map[string]*mintedToken{},
		jtis:      map[string]time.Time{},
		keyCache:  map[string]*keyCacheEntry{},
		conds:     map[string]*policy.Condition{},
		google:    opts.Google,
		fetchOpts: policy.FetchURLOptions{AllowLoopback: opts.AllowLoopbackFetch},
		jwksTTL:   opts.JWKSCacheTTL,
	}
	if e.now == nil {
		e.now = time.Now
	}
	if e.jwksTTL <= 0 {
		e.jwksTTL = jwksPollInterval
	}
	e.fetchClient = opts.FetchClient
	if e.fetchClient == nil {
		e.fetchClient = &http.Client{Timeout: fetchTimeout, CheckRedirect: e.checkFetchRedirect}
	}
	if e.google == nil {
		e.google = googleemu.New(googleemu.Options{Now: e.now, Seed: opts.Seed, SigningKey: sharedGoogleKey()})
	}
	if opts.Seed != 0 {
		e.idRand = mrand.NewChaCha8(seedBytes(opts.Seed, 1))
		e.reqRand = mrand.NewChaCha8(seedBytes(opts.Seed, 2))
		e.faultRand = mrand.New(mrand.NewChaCha8(seedBytes(opts.Seed, 3)))
	} else {
		e.idRand = rand.Reader
		e.reqRand = rand.Reader
		var s [32]byte
		_, _ = rand.Read(s[:])
		e.faultRand = mrand.New(mrand.NewChaCha8(s))
	}

	e.orgID = opts.OrganizationID
	if e.orgID == "" {
		e.orgID = newUUID(e.idRand)
	}
	e.userID = policy.NewID(policy.PrefixUser, e.idRand)
	e.adminToken = opts.AdminToken
	if e.adminToken == "" {
		e.adminToken = "sk-ant-oat01-emu-" + randomToken(e.idRand)
	}
	// The Console session belongs to the same human as the OAuth token: the
	// difference between them is the kind of credential, not the actor.
	e.consoleToken = "sk-ant-sid01-emu-" + randomToken(e.idRand)
	e.callers = map[string]caller{
		e.adminToken:   {actorID: e.userID, interactive: true},
		e.consoleToken: {actorID: e.userID, console: true, interactive: true},
	}

	e.orgName = opts.OrganizationName
	if e.orgName == "" {
		e.orgName = "Emulated Organization"
	}
	created := e.now().UTC()
	e.addWorkspace(true, "Default", created)
	for _, name := range seededWorkspaceNames {
		e.addWorkspace(false, name, created)
	}
	e.mux, e.pathMux = e.routes()
	e.root = http.NewServeMux()
	googleHandler := e.logged(e.google.Handler())
	for _, p := range googleemu.Routes() {
		e.root.Handle(p, googleHandler)
	}
	e.root.HandleFunc("/", e.serveAPI)
	return e
}

// sharedGoogleKey is the signing key of every Google the emulator creates
// itself: RSA key generation is the slowest part of New, and a test binary
// creates many emulators.
var sharedGoogleKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(fmt.Sprintf("emulator: generating the local Google's signing key: %v", err))
	}
	return k
})

// checkFetchRedirect holds redirects to the same rules as the URLs an issuer
// names, so a public URL cannot bounce a fetch to a private address.
func (e *Emulator) checkFetchRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 5 {
		return errors.New("stopped after 5 redirects")
	}
	return policy.ValidateFetchURLWithOptions(req.URL.String(), e.fetchOpts)
}

// Google is the local Google served on the emulator's listener; its keys
// sign the tokens of https://accounts.google.com issuers.
func (e *Emulator) Google() *googleemu.Google { return e.google }

func seedBytes(seed int64, stream byte) [32]byte {
	var b [32]byte
	binary.LittleEndian.PutUint64(b[:8], uint64(seed))
	b[31] = stream
	return b
}

func newUUID(r io.Reader) string {
	var b [16]byte
	_, _ = io.ReadFull(r, b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func randomToken(r io.Reader) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	var b [32]byte
	_, _ = io.ReadFull(r, b[:])
	out := make([]byte, len(b))
	for i, c := range b {
		out[i] = alphabet[int(c)%len(alphabet)]
	}
	return string(out)
}

// AdminToken is the bearer token of the seeded org:admin OAuth caller: a
// user's OAuth token, so an interactive credential (it may create and promote
// admin service accounts) but not a Console session (it may only manage rules
// scoped to workspace:developer and/or workspace:inference).
func (e *Emulator) AdminToken() string { return e.adminToken }

// ConsoleToken is a bearer token acting as a Console session: it may use any
// oauth_scope and manage the rules and issuers that grant them, which an
// OAuth access token may not. Use it to seed privileged objects in tests.
func (e *Emulator) ConsoleToken() string { return e.consoleToken }

// OrganizationID is the emulated organization's UUID.
func (e *Emulator) OrganizationID() string { return e.orgID }

// UserID is the user_… actor id both seeded tokens act as.
func (e *Emulator) UserID() string { return e.userID }

// Workspaces lists the organization's workspaces: the default workspace
// first, then the seeded named ones in creation order.
func (e *Emulator) Workspaces() []Workspace {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]Workspace, 0, len(e.workspaces))
	for _, w := range e.workspaces {
		out = append(out, Workspace{ID: w.id, Name: w.name})
	}
	return out
}

// WorkspaceByName finds a workspace by its name ("Default" for the default one).
func (e *Emulator) WorkspaceByName(name string) (Workspace, bool) {
	for _, w := range e.Workspaces() {
		if w.Name == name {
			return w, true
		}
	}
	return Workspace{}, false
}

// nextSeq orders objects by creation; callers hold e.mu.
func (e *Emulator) nextSeq() int64 {
	e.seq++
	return e.seq
}

// newID mints an object id; callers hold e.mu (idRand is not goroutine-safe).
func (e *Emulator) newID(prefix string) string {
	return policy.NewID(prefix, e.idRand)
}
