// Command exits fails its init the way a function with a missing setting does: one log line,
// then exit status 3, before it ever asks the Runtime API for an invocation.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, `{"level":"ERROR","msg":"missing setting","setting":"EXAMPLE_SETTING"}`)
	os.Exit(3)
}
