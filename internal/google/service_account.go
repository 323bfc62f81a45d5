package google

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"google.golang.org/api/googleapi"
	iam "google.golang.org/api/iam/v1"
)

// AccountRef is a parsed service account reference: what IAM is asked for
// and how messages name the account.
type AccountRef struct {
	// Resource is projects/{project|-}/serviceAccounts/{email|uniqueId}.
	Resource string
	// Display is what the user wrote, or the email a short ID expands to.
	Display string
}

// AccountIDError is an account ID or project that cannot name a service
// account. Field names the input at fault ("account_id" or "project").
type AccountIDError struct {
	Field, Summary, Detail string
	// NeedsProject marks a short account ID given without a project.
	NeedsProject bool
}

func (e *AccountIDError) Error() string { return e.Summary + ": " + e.Detail }

var (
	// Google's rules for account IDs (the part before @) and project IDs.
	shortAccountIDPattern = regexp.MustCompile(`^[a-z][a-z0-9-]{4,28}[a-z0-9]$`)
	projectPattern        = regexp.MustCompile(`^(?:[a-z0-9][a-z0-9.-]*[a-z0-9]:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$`)
	uniqueIDPattern       = regexp.MustCompile(`^[0-9]{1,30}$`)
)

// ParseAccountID accepts the forms terraform-provider-google's
// google_service_account data source accepts (email, full name
// projects/PROJECT/serviceAccounts/EMAIL, short account ID with project)
// plus a numeric unique ID, which IAM takes in place of the email. project
// may be "". Errors are *AccountIDError.
func ParseAccountID(accountID, project string) (AccountRef, error) {
	bad := func(summary, format string, args ...any) (AccountRef, error) {
		return AccountRef{}, &AccountIDError{Field: "account_id", Summary: summary, Detail: fmt.Sprintf(format, args...)}
	}
	if project != "" && !projectPattern.MatchString(project) {
		return AccountRef{}, &AccountIDError{Field: "project", Summary: "Invalid Google project ID",
			Detail: fmt.Sprintf("project %q is not a Google Cloud project ID: 6-30 lowercase letters, digits and hyphens, starting with a letter.", project)}
	}
	scope := project
	if scope == "" {
		scope = "-"
	}
	if accountID == "" || strings.TrimSpace(accountID) != accountID {
		return bad("Invalid Google service account", "account_id %q is empty or has surrounding spaces.", accountID)
	}

	if rest, ok := strings.CutPrefix(accountID, "projects/"); ok {
		parts := strings.Split(rest, "/")
		if len(parts) != 3 || parts[1] != "serviceAccounts" || parts[0] == "" {
			return bad("Invalid Google service account name",
				"account_id %q starts with projects/ but is not a full name projects/PROJECT/serviceAccounts/EMAIL.", accountID)
		}
		fqnProject, id := parts[0], parts[2]
		if fqnProject != "-" && !projectPattern.MatchString(fqnProject) {
			return bad("Invalid Google service account name", "account_id %q names project %q, which is not a Google Cloud project ID.", accountID, fqnProject)
		}
		if CheckServiceAccountEmail(id) != nil && !uniqueIDPattern.MatchString(id) {
			return bad("Invalid Google service account name",
				"account_id %q must end in the account's email or numeric unique ID, not %q.", accountID, id)
		}
		switch {
		case project == "" || fqnProject == project:
		case fqnProject == "-":
			fqnProject = project
		default:
			return AccountRef{}, &AccountIDError{Field: "project", Summary: "Conflicting Google project",
				Detail: fmt.Sprintf("account_id %q names project %q but project is %q; remove project or make them agree.", accountID, parts[0], project)}
		}
		return AccountRef{Resource: "projects/" + fqnProject + "/serviceAccounts/" + id, Display: id}, nil
	}

	if strings.Contains(accountID, "@") {
		if err := CheckServiceAccountEmail(accountID); err != nil {
			return bad("Invalid Google service account email", "account_id: %s.", err)
		}
		return AccountRef{Resource: "projects/" + scope + "/serviceAccounts/" + accountID, Display: accountID}, nil
	}
	if uniqueIDPattern.MatchString(accountID) {
		return AccountRef{Resource: "projects/" + scope + "/serviceAccounts/" + accountID, Display: "with unique ID " + accountID}, nil
	}
	if !shortAccountIDPattern.MatchString(accountID) {
		return bad("Invalid Google service account",
			"account_id %q is neither an email (NAME@PROJECT.iam.gserviceaccount.com), a full name (projects/PROJECT/serviceAccounts/EMAIL), a numeric "+
				"unique ID, nor a short account ID (6-30 lowercase letters, digits and hyphens, starting with a letter).", accountID)
	}
	if project == "" {
		return AccountRef{}, &AccountIDError{Field: "account_id", Summary: "Missing project for a short account_id", NeedsProject: true,
			Detail: fmt.Sprintf("account_id %q is a short account ID, which names an account only within a project: set project as well, or set "+
				"account_id to the full email %s@PROJECT_ID.iam.gserviceaccount.com.", accountID, accountID)}
	}
	// Domain-scoped projects ("example.com:proj") use a different email domain.
	email := accountID + "@" + project + ".iam.gserviceaccount.com"
	if domain, name, ok := strings.Cut(project, ":"); ok {
		email = accountID + "@" + name + "." + domain + ".iam.gserviceaccount.com"
	}
	return AccountRef{Resource: "projects/" + project + "/serviceAccounts/" + email, Display: email}, nil
}

// ServiceAccount is what IAM reports about a service account.
type ServiceAccount struct {
	UniqueID, Email, Name, DisplayName, ProjectID, OAuth2ClientID string
	Disabled                                                      bool
}

// LookupErrorKind says why a service account could not be read.
type LookupErrorKind int

const (
	// LookupInvalidConfig: the Config has a configuration problem (Options.Problem).
	LookupInvalidConfig LookupErrorKind = iota + 1
	// LookupNoCredentials: the Google credentials could not be obtained.
	LookupNoCredentials
	// LookupNoClient: the IAM client could not be created.
	LookupNoClient
	// LookupNoAnswer: IAM gave no answer (unreachable, timed out, a token
	// for the request could not be fetched).
	LookupNoAnswer
	// LookupNotFound: IAM answered 404.
	LookupNotFound
	// LookupForbidden: IAM answered 403; it does so too for an account in
	// a project the caller cannot see.
	LookupForbidden
	// LookupUnauthorized: IAM answered 401, refusing the credentials.
	LookupUnauthorized
	// LookupBadRequest: IAM answered 400.
	LookupBadRequest
	// LookupFailed: IAM answered with another error.
	LookupFailed
)

// LookupError is a failed ServiceAccount call. Err is the underlying
// error; ErrorText(Err) shows it safely.
type LookupError struct {
	Kind LookupErrorKind
	Err  error
}

func (e *LookupError) Error() string { return ErrorText(e.Err) }

func (e *LookupError) Unwrap() error { return e.Err }

// ServiceAccount reads a service account with IAM
// projects.serviceAccounts.get, with g's credentials and IAM endpoint.
// Errors are *LookupError.
func (g *Config) ServiceAccount(ctx context.Context, ref AccountRef) (*ServiceAccount, error) {
	opts, err := g.IAMOptions(ctx)
	if err != nil {
		kind := LookupNoCredentials
		if g.problem != nil {
			kind = LookupInvalidConfig
		}
		return nil, &LookupError{Kind: kind, Err: err}
	}
	svc, err := iam.NewService(ctx, opts...)
	if err != nil {
		return nil, &LookupError{Kind: LookupNoClient, Err: err}
	}
	sa, err := svc.Projects.ServiceAccounts.Get(ref.Resource).Context(ctx).Do()
	if err != nil {
		err = g.ExplainTimeout(ctx, err, "IAM", g.settings.IAMEndpoint, DefaultIAMEndpoint)
		return nil, &LookupError{Kind: lookupKind(err), Err: err}
	}
	return &ServiceAccount{
		UniqueID: sa.UniqueId, Email: sa.Email, Name: sa.Name, DisplayName: sa.DisplayName, ProjectID: sa.ProjectId,
		OAuth2ClientID: sa.Oauth2ClientId, Disabled: sa.Disabled,
	}, nil
}

func lookupKind(err error) LookupErrorKind {
	var gerr *googleapi.Error
	if !errors.As(err, &gerr) {
		return LookupNoAnswer
	}
	switch gerr.Code {
	case http.StatusNotFound:
		return LookupNotFound
	case http.StatusForbidden:
		return LookupForbidden
	case http.StatusUnauthorized:
		return LookupUnauthorized
	case http.StatusBadRequest:
		return LookupBadRequest
	default:
		return LookupFailed
	}
}
