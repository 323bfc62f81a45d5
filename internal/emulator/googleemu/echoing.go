package googleemu

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// Echo styles of EchoingHandler.
const (
	EchoText  = "text"  // plain text
	EchoJSON  = "json"  // a Google JSON error envelope
	EchoUpper = "upper" // plain text in upper case
)

// EchoingHandler is a Google front end gone wrong, for redaction tests: it
// answers every request with 500 and an echo of the request — its
// Authorization header, every other header and a URL with a password — in
// the given style (EchoText, EchoJSON or EchoUpper). Whatever the client
// makes of that answer must not carry the caller's token or the password
// ("hunter2") on.
func EchoingHandler(style string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		echo := fmt.Sprintf("backend failure for %s %s; Authorization: %s; upstream https://svc:hunter2@backend.internal/; headers %v",
			r.Method, r.URL.Path, r.Header.Get("Authorization"), r.Header)
		switch style {
		case EchoJSON:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusInternalServerError)
			_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": 500, "message": echo, "status": "INTERNAL"}})
		case EchoUpper:
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte(strings.ToUpper(echo)))
		default:
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte(echo))
		}
	})
}
