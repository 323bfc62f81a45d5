package policy

import (
	"fmt"
	"unicode"
)

// Text hygiene. Values that are compared with token claims or shown to
// people (names, descriptions, claims, audiences, subjects, kids) must not
// carry characters that are invisible or that change how the text around
// them displays: C0 and C1 control characters (NUL, BEL, the ESC of ANSI
// escape sequences, DEL) and the Unicode bidirectional formatting
// characters (the "right-to-left override" of Trojan Source). A
// description may span lines, so tab, line feed and carriage return are
// allowed there and nowhere else.

// Both kinds of text ValidateText checks.
const (
	SingleLine = false
	MultiLine  = true
)

// ValidateText returns an error naming the first control or bidirectional
// formatting character of s and its position (1-based, in characters).
func ValidateText(s string, multiline bool) error {
	pos := 0
	for _, r := range s {
		pos++
		if multiline && (r == '\t' || r == '\n' || r == '\r') {
			continue
		}
		if name, bad := forbiddenRune(r); bad {
			return fmt.Errorf("must not contain %s (character %d is %U %s)", forbiddenKind(r), pos, r, name)
		}
	}
	return nil
}

func forbiddenKind(r rune) string {
	if unicode.IsControl(r) {
		return "control characters"
	}
	return "bidirectional formatting characters, which make text display differently from what it is"
}

// forbiddenRune reports whether r is a control or bidirectional formatting
// character, with a short name for messages.
func forbiddenRune(r rune) (string, bool) {
	if name, ok := runeNames[r]; ok {
		return name, true
	}
	switch {
	case unicode.IsControl(r): // C0, DEL and C1
		return "(control)", true
	case unicode.Is(unicode.Bidi_Control, r):
		return "(bidirectional formatting)", true
	}
	return "", false
}

var runeNames = map[rune]string{
	0x00: "NUL", 0x07: "BEL", 0x08: "BACKSPACE", 0x09: "TAB", 0x0A: "LINE FEED", 0x0D: "CARRIAGE RETURN", 0x1B: "ESC", 0x7F: "DEL",
	0x061C: "ARABIC LETTER MARK", 0x200E: "LEFT-TO-RIGHT MARK", 0x200F: "RIGHT-TO-LEFT MARK",
	0x202A: "LEFT-TO-RIGHT EMBEDDING", 0x202B: "RIGHT-TO-LEFT EMBEDDING", 0x202C: "POP DIRECTIONAL FORMATTING",
	0x202D: "LEFT-TO-RIGHT OVERRIDE", 0x202E: "RIGHT-TO-LEFT OVERRIDE",
	0x2066: "LEFT-TO-RIGHT ISOLATE", 0x2067: "RIGHT-TO-LEFT ISOLATE", 0x2068: "FIRST STRONG ISOLATE", 0x2069: "POP DIRECTIONAL ISOLATE",
}
