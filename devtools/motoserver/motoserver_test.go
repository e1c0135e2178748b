package motoserver_test

import (
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/plexauth/plexauth/devtools/motoserver"
	"github.com/plexauth/plexauth/internal/secret/secrettest"
)

func TestServer(t *testing.T) {
	s := motoserver.StartServer(t)
	client := secrettest.NewClient(t, s.URL)
	current := func() (string, error) {
		out, err := client.GetSecretValue(t.Context(), &secretsmanager.GetSecretValueInput{SecretId: aws.String("app/token")})
		if err != nil {
			return "", err
		}
		return aws.ToString(out.SecretString), nil
	}

	arn := motoserver.CreateSecret(t, s.URL, "app/token", "one")
	if !strings.Contains(arn, ":secret:app/token") {
		t.Errorf("ARN = %q", arn)
	}
	motoserver.PutSecretValue(t, s.URL, arn, "two")
	if got, err := current(); err != nil || got != "two" {
		t.Fatalf("after PutSecretValue: (%q, %v), want two", got, err)
	}

	motoserver.Reset(t, s.URL)
	if _, err := current(); !errors.As(err, new(*types.ResourceNotFoundException)) {
		t.Fatalf("after Reset: %v, want ResourceNotFoundException", err)
	}

	s.Stop()
	s.Stop() // again: nothing happens
	if resp, err := http.Get(s.URL + "/moto-api/"); err == nil {
		resp.Body.Close()
		t.Fatal("moto_server still answers after Stop")
	}
}

// fakeTB records how StartServer gives up, without ending the real test.
type fakeTB struct {
	testing.TB
	outcome string
}

func (f *fakeTB) Helper()                   {}
func (f *fakeTB) Skip(args ...any)          { f.end("skip", args...) }
func (f *fakeTB) Fatal(args ...any)         { f.end("fatal", args...) }
func (f *fakeTB) Fatalf(s string, a ...any) { f.end("fatal", fmt.Sprintf(s, a...)) }
func (f *fakeTB) end(kind string, args ...any) {
	f.outcome = kind + ": " + fmt.Sprint(args...)
	runtime.Goexit()
}

func TestMissingBinary(t *testing.T) {
	tests := []struct {
		ci   string
		want string
	}{
		{"", "skip: moto_server is not on PATH"},
		{"true", "fatal: moto_server is not on PATH and CI is set"},
	}
	for _, tt := range tests {
		t.Run("CI="+tt.ci, func(t *testing.T) {
			t.Setenv("PATH", t.TempDir())
			t.Setenv("CI", tt.ci)
			f := &fakeTB{TB: t}
			done := make(chan struct{})
			go func() {
				defer close(done)
				motoserver.Start(f)
			}()
			<-done
			if !strings.HasPrefix(f.outcome, tt.want) {
				t.Errorf("outcome %q, want %q…", f.outcome, tt.want)
			}
		})
	}
}
