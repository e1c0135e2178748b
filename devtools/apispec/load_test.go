package apispec_test

import (
	"testing"

	"github.com/plexauth/plexauth/devtools/apispec"
)

func TestLoad(t *testing.T) {
	if _, err := apispec.Load(); err != nil {
		t.Fatal(err)
	}
}
