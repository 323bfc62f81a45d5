package client

import (
	"bytes"
	"strings"
	"testing"
	"testing/iotest"
)

// TestReadCapped covers the announced length being right, wrong or
// missing, and bodies at and around the limit, read in small pieces.
func TestReadCapped(t *testing.T) {
	const limit = 10
	for _, tc := range []struct {
		body     string
		size     int64
		want     string
		tooLarge bool
	}{
		{"", -1, "", false},
		{"", 0, "", false},
		{"abc", 3, "abc", false},
		{"abc", -1, "abc", false},
		{"abc", 1, "abc", false},   // announced too short
		{"abc", 100, "abc", false}, // announced too long
		{"0123456789", 10, "0123456789", false},
		{"0123456789A", 11, "0123456789", true},
		{"0123456789ABCDEF", 3, "0123456789", true},
		{strings.Repeat("x", 2000), -1, strings.Repeat("x", limit), true},
	} {
		got, tooLarge, err := readCapped(iotest.HalfReader(strings.NewReader(tc.body)), tc.size, limit)
		if err != nil || string(got) != tc.want || tooLarge != tc.tooLarge {
			t.Errorf("readCapped(%q, %d) = %q, %v, %v; want %q, %v", tc.body, tc.size, got, tooLarge, err, tc.want, tc.tooLarge)
		}
	}
	big := bytes.Repeat([]byte("y"), 3000)
	got, tooLarge, err := readCapped(bytes.NewReader(big), -1, 1<<20)
	if err != nil || tooLarge || !bytes.Equal(got, big) {
		t.Errorf("3000 bytes under a 1 MiB limit: %d bytes, %v, %v", len(got), tooLarge, err)
	}
	_, _, err = readCapped(iotest.ErrReader(iotest.ErrTimeout), 5, limit)
	if err != iotest.ErrTimeout {
		t.Errorf("read error = %v, want it returned", err)
	}
}
