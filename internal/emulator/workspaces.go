package emulator

import (
	"crypto/sha256"
	mrand "math/rand/v2"
	"net/url"
	"time"

	"github.com/wiflabs/terraform-provider-anthropic/internal/policy"
)

// workspace is a seeded workspace; the emulator cannot create or archive them.
// Every workspace, the default one included, has an ordinary wrkspc_ id.
type workspace struct {
	meta
	name          string
	isDefault     bool
	compartmentID string
	displayColor  string
}

// workspaceColors are Console-style display colors, handed out in turn.
var workspaceColors = []string{"#6C5BB9", "#D97757", "#4A90A4", "#7A9E3E", "#C2A03A"}

// derivedReader is a deterministic random stream for ids derived from the
// organization, so adding one never shifts the seeded object ids.
func derivedReader(orgID, purpose string) *mrand.ChaCha8 {
	return mrand.NewChaCha8(sha256.Sum256([]byte(orgID + "\x00" + purpose)))
}

// addWorkspace seeds a workspace. The default workspace's id is derived from
// the organization id, so emulators of one organization agree on it.
func (e *Emulator) addWorkspace(isDefault bool, name string, created time.Time) {
	id := policy.NewID(policy.PrefixWorkspace, e.idRand)
	if isDefault {
		id = policy.NewID(policy.PrefixWorkspace, derivedReader(e.orgID, "default-workspace"))
	}
	w := &workspace{name: name, isDefault: isDefault}
	w.compartmentID = newUUID(derivedReader(e.orgID, "compartment:"+id))
	w.displayColor = workspaceColors[len(e.workspaces)%len(workspaceColors)]
	w.meta = meta{id: id, seq: e.nextSeq(), createdAt: created, updatedAt: created}
	e.workspaces = append(e.workspaces, w)
	e.wsByID[id] = w
	if isDefault {
		e.defaultWS = w
	}
}

// DefaultWorkspaceID is the default workspace's wrkspc_ id: what every
// response shows for it (memberships, workspace_ids, enablements, the
// authentication history) and how GET /v1/organizations/workspaces lists it
// with include_default=true. Requests may also name it by the literal
// "default" (policy.DefaultWorkspaceID), which the SDK documents for the
// token exchange; the emulator accepts that alias everywhere and never
// answers with it.
func (e *Emulator) DefaultWorkspaceID() string { return e.defaultWS.id }

// workspaceJSON is the SDK's Workspace object.
type workspaceJSON struct {
	Type          string            `json:"type"`
	ID            string            `json:"id"`
	Name          string            `json:"name"`
	CreatedAt     string            `json:"created_at"`
	ArchivedAt    *string           `json:"archived_at"`
	CompartmentID string            `json:"compartment_id"`
	DataResidency dataResidencyJSON `json:"data_residency"`
	DisplayColor  string            `json:"display_color"`
	// ExternalKeyID is null: the emulated organization has no customer-managed keys.
	ExternalKeyID *string           `json:"external_key_id"`
	Tags          map[string]string `json:"tags"`
}

type dataResidencyJSON struct {
	AllowedInferenceGeos any    `json:"allowed_inference_geos"`
	DefaultInferenceGeo  string `json:"default_inference_geo"`
	WorkspaceGeo         string `json:"workspace_geo"`
}

func (w *workspace) render() workspaceJSON {
	return workspaceJSON{
		Type:          "workspace",
		ID:            w.id,
		Name:          w.name,
		CreatedAt:     fmtTime(w.createdAt),
		ArchivedAt:    fmtTimePtr(w.archivedAt),
		CompartmentID: w.compartmentID,
		DataResidency: dataResidencyJSON{AllowedInferenceGeos: "unrestricted", DefaultInferenceGeo: "global", WorkspaceGeo: "us"},
		DisplayColor:  w.displayColor,
		Tags:          map[string]string{},
	}
}

// idPage is the Admin API's older list shape (pagination.Page in the SDK):
// the page is addressed by the ids of its neighbours, not by a cursor.
type idPage struct {
	Data    any     `json:"data"`
	HasMore bool    `json:"has_more"`
	FirstID *string `json:"first_id"`
	LastID  *string `json:"last_id"`
}

// maxWorkspaceLimit is the workspace list's largest page, per the SDK.
const maxWorkspaceLimit = 1000

// listWorkspaces serves GET /v1/organizations/workspaces in creation order
// with after_id / before_id paging. The default workspace is left out unless
// include_default=true, archived ones unless include_archived=true.
func (e *Emulator) listWorkspaces(c *call) (any, error) {
	q := c.r.URL.Query()
	limit, err := parseLimit(q, maxWorkspaceLimit)
	if err != nil {
		return nil, err
	}
	includeArchived, err := parseIncludeFlag(q, "include_archived")
	if err != nil {
		return nil, err
	}
	includeDefault, err := parseIncludeFlag(q, "include_default")
	if err != nil {
		return nil, err
	}
	if q.Get("after_id") != "" && q.Get("before_id") != "" {
		return nil, badRequest("before_id: cannot be combined with after_id")
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	var listed []*workspace
	for _, w := range e.workspaces {
		if (includeDefault || !w.isDefault) && (includeArchived || w.live()) {
			listed = append(listed, w)
		}
	}
	lo, hi, err := e.workspaceWindow(q, listed, limit)
	if err != nil {
		return nil, err
	}
	data := make([]workspaceJSON, 0, hi-lo)
	for _, w := range listed[lo:hi] {
		data = append(data, w.render())
	}
	page := idPage{Data: data}
	if len(data) > 0 {
		first, last := data[0].ID, data[len(data)-1].ID
		page.FirstID, page.LastID = &first, &last
	}
	// has_more looks in the direction of travel: backwards for before_id.
	if q.Get("before_id") != "" {
		page.HasMore = lo > 0
	} else {
		page.HasMore = hi < len(listed)
	}
	return page, nil
}

// workspaceWindow returns the half-open range of listed that the page covers.
// A cursor id is located by creation order, so it works even for a workspace
// the current filters leave out.
func (e *Emulator) workspaceWindow(q url.Values, listed []*workspace, limit int) (lo, hi int, err *apiError) {
	seqOf := func(field string) (int64, *apiError) {
		id := q.Get(field)
		w, ok := e.wsByID[id]
		if !ok {
			return 0, badRequest("%s: no workspace %q in this organization", field, id)
		}
		return w.seq, nil
	}
	switch {
	case q.Get("after_id") != "":
		seq, err := seqOf("after_id")
		if err != nil {
			return 0, 0, err
		}
		lo = len(listed)
		for i, w := range listed {
			if w.seq > seq {
				lo = i
				break
			}
		}
		return lo, min(lo+limit, len(listed)), nil
	case q.Get("before_id") != "":
		seq, err := seqOf("before_id")
		if err != nil {
			return 0, 0, err
		}
		for hi < len(listed) && listed[hi].seq < seq {
			hi++
		}
		return max(0, hi-limit), hi, nil
	}
	return 0, min(limit, len(listed)), nil
}

// workspaceNamed resolves a workspace id or the "default" alias; callers
// hold e.mu (wsByID changes only in New, but defaultWS is read with it).
func (e *Emulator) workspaceNamed(id string) (*workspace, bool) {
	if id == policy.DefaultWorkspaceID {
		return e.defaultWS, true
	}
	w, ok := e.wsByID[id]
	return w, ok
}

// lookupWorkspace resolves a request's workspace_id (a wrkspc_ id or the
// "default" alias); callers hold e.mu.
func (e *Emulator) lookupWorkspace(id string) (*workspace, *apiError) {
	if err := policy.ValidateWorkspaceID(id); err != nil {
		return nil, fieldErr("workspace_id", err)
	}
	w, ok := e.workspaceNamed(id)
	if !ok {
		return nil, notFound("workspace_id: workspace %q not found", id)
	}
	return w, nil
}

// getWorkspace serves GET /v1/organizations/workspaces/{id}; archived
// workspaces stay readable.
func (e *Emulator) getWorkspace(c *call) (any, error) {
	id := c.r.PathValue("id")
	e.mu.Lock()
	defer e.mu.Unlock()
	w, ok := e.workspaceNamed(id)
	if !ok {
		return nil, notFound("workspace %q not found", id)
	}
	return w.render(), nil
}

// organizationJSON is the SDK's OrganizationInfo.
type organizationJSON struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Type string `json:"type"`
}

// getOrganization serves GET /v1/organizations/me: how a caller learns its
// organization id from its credential alone.
func (e *Emulator) getOrganization(*call) (any, error) {
	return organizationJSON{ID: e.orgID, Name: e.orgName, Type: "organization"}, nil
}
