package plextest

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// The stand-in Auth App: its page offers the approval, /link approves a
// live PIN's code (and only that), after which the PIN carries a token that
// opens the fixture user's account.
func TestAuthAppApproval(t *testing.T) {
	srv := NewServer()
	defer srv.Close()
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if st, page := get("/auth"); st != 200 || !strings.Contains(page, `action="/link"`) {
		t.Fatalf("/auth: %d %q", st, page)
	}
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v2/pins?strong=true", nil)
	req.Header.Set("X-Plex-Client-Identifier", "device-1")
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		ID   int64
		Code string
	}
	json.NewDecoder(resp.Body).Decode(&p)
	resp.Body.Close()
	if resp.StatusCode != 201 || p.ID != FirstPinID {
		t.Fatalf("create: %d %+v", resp.StatusCode, p)
	}
	if st, _ := get("/link?code=wrong"); st != 404 {
		t.Errorf("/link with an unknown code: %d, want 404", st)
	}
	if st, _ := get("/link?code=" + p.Code); st != 200 {
		t.Fatalf("/link: %d", st)
	}
	srv.mu.Lock()
	tok := srv.pins[p.ID].token
	srv.mu.Unlock()
	if a, ok := srv.accountFor(tok); tok == "" || !ok || a.Username != UserLogin {
		t.Errorf("approved token %q opens %+v %v, want %s", tok, a, ok, UserLogin)
	}
	// A second approval for the same device rotates the first token out.
	srv.mu.Lock()
	srv.pins[p.ID].token = ""
	srv.mu.Unlock()
	if _, err := srv.ApprovePin(p.Code); err != nil {
		t.Fatal(err)
	}
	if _, ok := srv.accountFor(tok); ok {
		t.Error("the device's earlier token still works after a new approval")
	}
}
