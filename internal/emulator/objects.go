package emulator

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/wiflabs/terraform-provider-anthropic/internal/policy"
)

// timeLayout renders timestamps in UTC with millisecond precision, always the
// same width.
const timeLayout = "2006-01-02T15:04:05.000Z07:00"

func fmtTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func fmtTimePtr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := fmtTime(*t)
	return &s
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// meta is what every stored object has: identity, audit fields and the
// previous rendering for stale reads.
type meta struct {
	id         string
	seq        int64
	createdAt  time.Time
	createdBy  string
	updatedAt  time.Time
	updatedBy  string
	archivedAt *time.Time
	archivedBy string

	// prev is the object's rendering before its last update or archive and
	// writtenAt when that happened; GET serves prev inside the stale window.
	prev      any
	writtenAt time.Time
}

func (m *meta) live() bool { return m.archivedAt == nil }

// now reads the clock truncated to the rendered precision.
func (e *Emulator) clock() time.Time { return e.now().UTC().Truncate(time.Millisecond) }

func (e *Emulator) initMeta(m *meta, prefix string, who caller) {
	now := e.clock()
	*m = meta{id: e.newID(prefix), seq: e.nextSeq(), createdAt: now, createdBy: who.actorID, updatedAt: now, updatedBy: who.actorID}
}

// touch records an update: it keeps the previous rendering for stale reads and
// keeps updated_at strictly increasing, so a client polling "until updated_at
// is at least my write's" can always tell versions apart even when the clock
// is coarse or frozen.
func (e *Emulator) touch(m *meta, before any, who caller) time.Time {
	now := e.clock()
	if !now.After(m.updatedAt) {
		now = m.updatedAt.Add(time.Millisecond)
	}
	m.prev = before
	m.writtenAt = e.now()
	m.updatedAt = now
	m.updatedBy = who.actorID
	return now
}

// stale returns the previous rendering when a GET falls in the stale window.
func (e *Emulator) stale(m *meta) (any, bool) {
	if e.staleFor <= 0 || m.prev == nil {
		return nil, false
	}
	if e.now().Before(m.writtenAt.Add(e.staleFor)) {
		return m.prev, true
	}
	return nil, false
}

// metaJSON is the audit block every object renders.
type metaJSON struct {
	CreatedAt         string  `json:"created_at"`
	CreatedByActorID  string  `json:"created_by_actor_id"`
	UpdatedAt         string  `json:"updated_at"`
	UpdatedByActorID  string  `json:"updated_by_actor_id"`
	ArchivedAt        *string `json:"archived_at"`
	ArchivedByActorID *string `json:"archived_by_actor_id"`
}

func (m *meta) metaJSON() metaJSON {
	return metaJSON{
		CreatedAt:         fmtTime(m.createdAt),
		CreatedByActorID:  m.createdBy,
		UpdatedAt:         fmtTime(m.updatedAt),
		UpdatedByActorID:  m.updatedBy,
		ArchivedAt:        fmtTimePtr(m.archivedAt),
		ArchivedByActorID: strPtr(m.archivedBy),
	}
}

// archive marks m archived; it reports false when it already was, so the
// first archived_at is kept.
func (e *Emulator) archive(m *meta, before any, who caller) bool {
	if !m.live() {
		return false
	}
	now := e.touch(m, before, who)
	m.archivedAt = &now
	m.archivedBy = who.actorID
	return true
}

// listPage is the shape of every list response.
type listPage struct {
	Data     any     `json:"data"`
	NextPage *string `json:"next_page"`
}

// listQuery is a parsed list request.
type listQuery struct {
	limit           int
	after           int64 // creation sequence of the previous page's last item
	includeArchived bool
}

const (
	defaultLimit = 20
	maxLimit     = 100
)

// parseListQuery reads limit, page and include_archived; kind namespaces the
// cursor so one list's cursor is refused by another.
func parseListQuery(q url.Values, kind string) (listQuery, *apiError) {
	lq := listQuery{limit: defaultLimit}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxLimit {
			return lq, badRequest("limit: must be an integer between 1 and %d (got %q)", maxLimit, s)
		}
		lq.limit = n
	}
	if s := q.Get("page"); s != "" {
		seq, ok := decodeCursor(s, kind)
		if !ok {
			return lq, badRequest("page: invalid page cursor; use next_page from the previous response")
		}
		lq.after = seq
	}
	if s := q.Get("include_archived"); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return lq, badRequest("include_archived: must be true or false (got %q)", s)
		}
		lq.includeArchived = b
	}
	return lq, nil
}

func encodeCursor(kind string, seq int64) string {
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "%s:%d", kind, seq))
}

func decodeCursor(s, kind string) (int64, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return 0, false
	}
	k, n, ok := strings.Cut(string(b), ":")
	if !ok || k != kind {
		return 0, false
	}
	seq, err := strconv.ParseInt(n, 10, 64)
	if err != nil || seq < 0 {
		return 0, false
	}
	return seq, true
}

// paginate pages items (in creation order) after the cursor. Keying the
// cursor on the creation sequence keeps pages stable while objects are
// created or archived between calls.
func paginate[T any](items []T, m func(T) *meta, lq listQuery, kind string, render func(T) any) listPage {
	data := []any{}
	var last int64
	more := false
	for _, it := range items {
		md := m(it)
		if md.seq <= lq.after || (!lq.includeArchived && !md.live()) {
			continue
		}
		if len(data) == lq.limit {
			more = true
			break
		}
		data = append(data, render(it))
		last = md.seq
	}
	page := listPage{Data: data}
	if more {
		c := encodeCursor(kind, last)
		page.NextPage = &c
	}
	return page
}

// workspace is a seeded workspace; the emulator cannot create or archive them.
type workspace struct {
	meta
	name string
}

func (e *Emulator) addWorkspace(id, name string, created time.Time) {
	w := &workspace{name: name}
	w.meta = meta{id: id, seq: e.nextSeq(), createdAt: created, updatedAt: created}
	e.workspaces = append(e.workspaces, w)
	e.wsByID[id] = w
}

type workspaceJSON struct {
	Type       string  `json:"type"`
	ID         string  `json:"id"`
	Name       string  `json:"name"`
	CreatedAt  string  `json:"created_at"`
	ArchivedAt *string `json:"archived_at"`
}

// listWorkspaces lists the named workspaces. Like the real Admin API it leaves
// out the default workspace, which has no wrkspc_ id.
func (e *Emulator) listWorkspaces(c *call) (any, error) {
	lq, err := parseListQuery(c.r.URL.Query(), "wrk")
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	named := e.workspaces[1:]
	return paginate(named, func(w *workspace) *meta { return &w.meta }, lq, "wrk", func(w *workspace) any {
		return workspaceJSON{Type: "workspace", ID: w.id, Name: w.name, CreatedAt: fmtTime(w.createdAt), ArchivedAt: fmtTimePtr(w.archivedAt)}
	}), nil
}

// lookupWorkspace resolves a request's workspace_id; callers hold e.mu.
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
