package secret_test

import (
	"testing"
	"time"

	"github.com/plexauth/plexauth/internal/secret"
	"github.com/plexauth/plexauth/internal/secret/secrettest"
)

// The warm path: an atomic load and a clock read, no lock, no call.
func BenchmarkGetWarm(b *testing.B) {
	sm := secrettest.NewServer(b)
	api := counted(sm.Client(b))
	store := secret.NewStore(api, sm.Put(secretName, secretJSON(adminToken)), secret.Options{})
	if _, _, err := store.Get(b.Context()); err != nil {
		b.Fatal(err)
	}
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, _, err := store.Get(b.Context()); err != nil {
				b.Error(err)
				return
			}
		}
	})
	wantFetches(b, api, 1)
}

func BenchmarkAuthorize(b *testing.B) {
	v, err := secret.Parse(secretJSON(adminToken), routes)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		_, _ = v.Authorize(bobKey, "sources", time.Now())
	}
}
