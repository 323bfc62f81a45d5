package emulator

import (
	"encoding/base64"
	"iter"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
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
	limit int
	// after is the creation sequence of the previous page's last item;
	// hasCursor tells "no cursor" apart from a cursor at sequence 0.
	after           int64
	hasCursor       bool
	includeArchived bool
}

const (
	defaultLimit = 20
	maxLimit     = 100
)

// parseLimit reads the limit query parameter (1..upper, default 20).
func parseLimit(q url.Values, upper int) (int, *apiError) {
	s := q.Get("limit")
	if s == "" {
		return defaultLimit, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > upper {
		return 0, badRequest("limit: must be an integer between 1 and %d (got %q)", upper, s)
	}
	return n, nil
}

func parseIncludeFlag(q url.Values, name string) (bool, *apiError) {
	s := q.Get(name)
	if s == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, badRequest("%s: must be true or false (got %q)", name, s)
	}
	return b, nil
}

// parseListQuery reads limit, page and include_archived; kind namespaces the
// cursor so one list's cursor is refused by another.
func parseListQuery(q url.Values, kind string) (listQuery, *apiError) {
	var lq listQuery
	var err *apiError
	if lq.limit, err = parseLimit(q, maxLimit); err != nil {
		return lq, err
	}
	if s := q.Get("page"); s != "" {
		seq, ok := decodeCursor(s, kind)
		if !ok {
			return lq, badRequest("page: invalid page cursor; use next_page from the previous response")
		}
		lq.after, lq.hasCursor = seq, true
	}
	if lq.includeArchived, err = parseIncludeFlag(q, "include_archived"); err != nil {
		return lq, err
	}
	return lq, nil
}

func encodeCursor(kind string, seq int64) string {
	return encodeKeyCursor(kind, strconv.FormatInt(seq, 10))
}

func decodeCursor(s, kind string) (int64, bool) {
	key, ok := decodeKeyCursor(s, kind)
	if !ok {
		return 0, false
	}
	seq, err := strconv.ParseInt(key, 10, 64)
	if err != nil || seq < 0 {
		return 0, false
	}
	return seq, true
}

// encodeKeyCursor makes an opaque cursor naming one item of a kind of list.
func encodeKeyCursor(kind, key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(kind + ":" + key))
}

func decodeKeyCursor(s, kind string) (string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return "", false
	}
	k, key, ok := strings.Cut(string(b), ":")
	if !ok || k != kind || key == "" {
		return "", false
	}
	return key, true
}

// paginate pages items (held in creation order) after the cursor, oldest
// first. Keying the cursor on the creation sequence keeps pages stable while
// objects are created or archived between calls.
func paginate[T any](items []T, m func(T) *meta, lq listQuery, kind string, render func(T) any) listPage {
	return pageOf(slices.Values(items), m, lq, kind, render, func(seq int64) bool { return seq > lq.after })
}

// paginateNewestFirst pages items (held in creation order) newest first. The
// cursor is still a creation sequence, so objects created between calls
// land before the first page and never shift later ones.
func paginateNewestFirst[T any](items []T, m func(T) *meta, lq listQuery, kind string, render func(T) any) listPage {
	backward := func(yield func(T) bool) {
		for i := len(items) - 1; i >= 0; i-- {
			if !yield(items[i]) {
				return
			}
		}
	}
	return pageOf(backward, m, lq, kind, render, func(seq int64) bool { return seq < lq.after })
}

func pageOf[T any](items iter.Seq[T], m func(T) *meta, lq listQuery, kind string, render func(T) any, pastCursor func(int64) bool) listPage {
	data := []any{}
	var last int64
	more := false
	for it := range items {
		md := m(it)
		if (lq.hasCursor && !pastCursor(md.seq)) || (!lq.includeArchived && !md.live()) {
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

// object is a pointer to one of the emulator's objects (*serviceAccount,
// *issuer, *rule, *workspace), which all embed meta.
type object interface{ base() *meta }

func (m *meta) base() *meta { return m }

// lookup finds an object by id in one of the emulator's indexes; kind names
// it in the 404. Callers hold e.mu.
func lookup[P object](byID map[string]P, kind, id string) (P, *apiError) {
	o, ok := byID[id]
	if !ok {
		return o, notFound("%s %q not found", kind, id)
	}
	return o, nil
}

// liveNamed is the live object of items named name, or nil: names
// are unique among live objects, and an archived one's name is free for
// reuse. Callers hold e.mu.
func liveNamed[P object](items []P, nameOf func(P) string, name string) P {
	for _, o := range items {
		if o.base().live() && nameOf(o) == name {
			return o
		}
	}
	var none P
	return none
}

// getObject answers a GET of one object: the object the path's id names
// (find), served stale while the emulator lags a write (see stale), else
// rendered.
func getObject[P object](e *Emulator, c *call, find func(string) (P, *apiError), render func(P) any) (any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	o, err := find(c.r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if prev, ok := e.stale(o.base()); ok {
		return prev, nil
	}
	return render(o), nil
}

// updated is an update's value of one member: cur when the request leaves
// the member out, else what parse makes of it.
func updated[T, R any](cur T, o opt[R], parse func(opt[R]) (T, *apiError)) (T, *apiError) {
	if !o.Set {
		return cur, nil
	}
	return parse(o)
}

// unchanged refuses an update that gives an immutable member another value
// than cur; why completes "<field>: cannot be changed; ".
func unchanged(o opt[string], field, cur, why string) *apiError {
	if !o.Set {
		return nil
	}
	v, err := o.value(field)
	if err != nil {
		return err
	}
	if v != cur {
		return badRequest("%s: cannot be changed; %s", field, why)
	}
	return nil
}
