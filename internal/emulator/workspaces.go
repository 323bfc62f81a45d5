package emulator

import (
	"crypto/sha256"
	mrand "math/rand/v2"
	"net/url"
	"time"

	"github.com/wiflabs/terraform-provider-anthropic/internal/policy"
)

// workspace is a seeded workspace; the emulator cannot create or archive them.
type workspace struct {
	meta
	name string
	// taggedID is the wrkspc_ id GET /v1/organizations/workspaces shows. It
	// equals id except for the default workspace, whose id in the WIF API is
	// the literal "default" while the Admin API lists its real tagged id.
	taggedID      string
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

func (e *Emulator) addWorkspace(id, name string, created time.Time) {
	w := &workspace{name: name, taggedID: id}
	if id == DefaultWorkspaceID {
		w.taggedID = policy.NewID(policy.PrefixWorkspace, derivedReader(e.orgID, "default-workspace"))
	}
	w.compartmentID = newUUID(derivedReader(e.orgID, "compartment:"+w.taggedID))
	w.displayColor = workspaceColors[len(e.workspaces)%len(workspaceColors)]
	w.meta = meta{id: id, seq: e.nextSeq(), createdAt: created, updatedAt: created}
	e.workspaces = append(e.workspaces, w)
	e.wsByID[id] = w
	if w.taggedID != id {
		e.wsByID[w.taggedID] = w
	}
}

// DefaultWorkspaceTaggedID is the default workspace's wrkspc_ id, as
// GET /v1/organizations/workspaces?include_default=true lists it. The WIF
// endpoints accept it as an alias of "default" and always answer with
// "default".
func (e *Emulator) DefaultWorkspaceTaggedID() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.wsByID[DefaultWorkspaceID].taggedID
}

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
		ID:            w.taggedID,
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
// with after_id / before_id paging. The default workspace (listed by its
// tagged id) is left out unless include_default=true, archived ones unless
// include_archived=true.
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
		if (includeDefault || w.id != DefaultWorkspaceID) && (includeArchived || w.live()) {
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
		if !ok || id == DefaultWorkspaceID {
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

// lookupWorkspace resolves a request's workspace_id, the default workspace's
// tagged id included; callers hold e.mu.
func (e *Emulator) lookupWorkspace(id string) (*workspace, *apiError) {
	if err := policy.ValidateWorkspaceID(id); err != nil {
		return nil, fieldErr("workspace_id", err)
	}
	w, ok := e.wsByID[id]
	if !ok {
		return nil, notFound("workspace_id: workspace %q not found", id)
	}
	return w, nil
}
