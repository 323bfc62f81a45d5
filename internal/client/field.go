package client

import (
	"bytes"
	"encoding/json"
)

// Field is one member of a partial update: omitted (the zero value), an
// explicit JSON null (clears the attribute), or a value. Use it with the
// `json:",omitzero"` tag so omitted fields are not sent at all.
type Field[T any] struct {
	set   bool
	null  bool
	value T
}

// Set returns a Field carrying v.
func Set[T any](v T) Field[T] { return Field[T]{set: true, value: v} }

// Null returns a Field that is sent as JSON null.
func Null[T any]() Field[T] { return Field[T]{set: true, null: true} }

// IsZero reports an omitted field; encoding/json's omitzero consults it.
func (f Field[T]) IsZero() bool { return !f.set }

// IsNull reports an explicit null.
func (f Field[T]) IsNull() bool { return f.set && f.null }

// Value returns the value and whether the field is set and not null.
func (f Field[T]) Value() (T, bool) {
	if !f.set || f.null {
		var zero T
		return zero, false
	}
	return f.value, true
}

// MarshalJSON emits null or the value. An omitted Field marshals as null
// too, which only happens when the omitzero tag was forgotten.
func (f Field[T]) MarshalJSON() ([]byte, error) {
	if !f.set || f.null {
		return []byte("null"), nil
	}
	return json.Marshal(f.value)
}

// UnmarshalJSON makes Field round-trip (useful to servers and tests): a
// present null becomes Null, anything else Set. An absent member never
// reaches this method and stays omitted.
func (f *Field[T]) UnmarshalJSON(b []byte) error {
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		*f = Null[T]()
		return nil
	}
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*f = Set(v)
	return nil
}
