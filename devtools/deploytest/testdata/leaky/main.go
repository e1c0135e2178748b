// Command leaky is a function that ships test code: TestShippedDependencies
// must catch each of its imports. It lives in testdata, so ./... never builds it.
package main

import (
	"github.com/plexauth/plexauth/devtools/runtimeapi"
	"github.com/plexauth/plexauth/internal/api/apitest"
	"github.com/plexauth/plexauth/pkg/plex/plextest/contract"
)

func main() {
	_ = runtimeapi.ModuleRoot
	_ = apitest.Value
	_ = contract.Load
}
