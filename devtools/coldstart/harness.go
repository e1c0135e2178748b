package coldstart

import (
	"cmp"
	"context"
	"crypto/tls"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/plexauth/plexauth/devtools/runtimeapi"
	"github.com/plexauth/plexauth/internal/api/apitest"
	"github.com/plexauth/plexauth/internal/secret/secrettest"
	"github.com/plexauth/plexauth/pkg/plex/plextest"
)

// Function is one of the four functions with an event that succeeds
// against the simulator's default fixtures.
type Function struct {
	Name  string
	Event apitest.Event
}

// Functions lists the four functions in the order the report shows them.
var Functions = []Function{
	{"transient", apitest.Event{Method: "POST", Path: "/transient-token"}.Authorized()},
	{"sources", apitest.Event{Method: "GET", Path: "/sources",
		Query: "source=" + url.QueryEscape("server://"+plextest.ServerID)}.Authorized()},
	{"details", apitest.Event{Method: "POST", Path: "/token-details"}.Authorized()},
	{"signin", apitest.Event{Method: "POST", Path: "/signin"}.Authorized().
		JSONBody(`{"login":"` + plextest.UserLogin + `","password":"` + plextest.UserPassword + `"}`)},
}

// Package is the main package of f's production bootstrap, or with naive
// set, of the same handler built without the cold-start overlap.
func (f Function) Package(naive bool) string {
	if naive {
		return "devtools/coldstart/testdata/naive-" + f.Name
	}
	return "functions/" + f.Name
}

// Rig is what a bootstrap talks to: the Secrets Manager stand-in and the
// Plex simulator, both over TLS as in production, each behind a Proxy that
// adds its destination's round-trip time.
type Rig struct {
	SM        *secrettest.Server
	Plex      *plextest.Server
	SMProxy   *Proxy
	PlexProxy *Proxy
	ARN       string
	certFile  string
}

// NewRig starts the servers and proxies, Secrets Manager smRTT away and
// Plex plexRTT away; everything stops when tb ends.
func NewRig(tb testing.TB, smRTT, plexRTT time.Duration) *Rig {
	tb.Helper()
	r := &Rig{SM: secrettest.NewTLSServer(tb), Plex: plextest.NewTLSServer()}
	tb.Cleanup(r.Plex.Close)
	r.ARN = r.SM.Put("plexauth", apitest.SecretJSON(plextest.AdminToken))
	var err error
	if r.SMProxy, err = NewProxy(hostPort(tb, r.SM.URL), smRTT); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { r.SMProxy.Close() })
	if r.PlexProxy, err = NewProxy(hostPort(tb, r.Plex.URL), plexRTT); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { r.PlexProxy.Close() })

	// Both are httptest servers; their certificates may be the same, and
	// trusting both is harmless. The bootstrap trusts them via SSL_CERT_FILE,
	// after the system's bundle: parsing a real pool is part of a cold start.
	pemData := systemBundle()
	for _, c := range [][]byte{r.SM.Certificate().Raw, peerCertificate(tb, r.Plex.URL)} {
		pemData = append(pemData, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c})...)
	}
	r.certFile = filepath.Join(tb.TempDir(), "ca.pem")
	if err := os.WriteFile(r.certFile, pemData, 0o600); err != nil {
		tb.Fatal(err)
	}
	return r
}

// Env is the bootstrap's environment: both URLs point at the proxies.
func (r *Rig) Env() []string {
	plexURL := "https://" + r.PlexProxy.Addr
	return append(secrettest.Env("https://"+r.SMProxy.Addr),
		"SSL_CERT_FILE="+r.certFile,
		"PLEX_SERVER_URL="+plexURL,
		"PLEX_TV_URL="+plexURL,
		"PLEX_SECRET_ARN="+r.ARN,
		"SECRET_ID="+r.ARN, // the SDK floor's
		"PLEX_CLIENT_IDENTIFIER=plexauth-bench",
		"AWS_LAMBDA_LOG_LEVEL=WARN",
		// The burst signs one caller in far faster than a caller may.
		"SIGNIN_CALLER_RATE=0",
	)
}

// certBundles are where Linux distributions keep the system's CA bundle
// (Go's list; the first is Lambda's Amazon Linux one).
var certBundles = []string{
	"/etc/pki/tls/certs/ca-bundle.crt",
	"/etc/ssl/certs/ca-certificates.crt",
	"/etc/ssl/ca-bundle.pem",
	"/etc/pki/tls/cacert.pem",
	"/etc/ssl/cert.pem",
}

func systemBundle() []byte {
	for _, f := range certBundles {
		if b, err := os.ReadFile(f); err == nil {
			return b
		}
	}
	return nil
}

func hostPort(tb testing.TB, raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		tb.Fatal(err)
	}
	return u.Host
}

// peerCertificate reads the certificate a TLS server presents.
func peerCertificate(tb testing.TB, raw string) []byte {
	c, err := tls.Dial("tcp", hostPort(tb, raw), &tls.Config{InsecureSkipVerify: true}) // only to read it
	if err != nil {
		tb.Fatal(err)
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0].Raw
}

// Cold is one cold start: process start to the runtime's first /next
// (Init) and to the first answer (FirstAnswer), then the warm invocations
// that followed.
type Cold struct {
	Init, FirstAnswer time.Duration
	Warm              []time.Duration // time the function held each warm invocation
	PeakRSS           int64           // bytes, VmHWM once the invocations are done
	SMCalls           int             // Secrets Manager requests during the cold start
	PlexConns         int64           // connections the Plex simulator accepted
}

// ColdOptions says how ColdStart runs a bootstrap.
type ColdOptions struct {
	// MemoryMB, if set, is the memory size: the bootstrap gets the full CPU
	// until it first asks for an invocation, then CPUQuota(MemoryMB) in a
	// cgroup of its own under CgroupRoot, as on Lambda. Zero: full CPU.
	MemoryMB   int
	CgroupRoot string // default /sys/fs/cgroup
	Warm       int    // warm invocations to time after the first answer
}

// ColdStart starts bin against a fresh Runtime API, sends one event, then
// o.Warm more one after the other, and times them; the process is stopped
// before it returns. A nil event is for the floors: any answer that is not
// an error will do. Without a CPU quota to set, it returns ErrNoCPUQuota.
func ColdStart(ctx context.Context, bin string, r *Rig, event []byte, o ColdOptions) (Cold, error) {
	var limit *CPULimit
	env := r.Env()
	if o.MemoryMB > 0 {
		root := cmp.Or(o.CgroupRoot, "/sys/fs/cgroup")
		var err error
		if limit, err = NewCPULimit(root); err != nil {
			return Cold{}, err
		}
		defer limit.Close() // after proc.Stop below: the cgroup must be empty
		env = append(env, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE="+strconv.Itoa(o.MemoryMB))
	}
	sm0, px0 := r.SM.Calls(), r.Plex.Connections()
	srv := runtimeapi.NewServer()
	defer srv.Close()
	proc, err := runtimeapi.Start(ctx, bin, srv, env)
	if err != nil {
		return Cold{}, err
	}
	defer proc.Stop()
	limited := make(chan error, 1)
	if limit != nil {
		if err := limit.Add(proc.Pid()); err != nil {
			return Cold{}, fmt.Errorf("%w: %v", ErrNoCPUQuota, err)
		}
		ready := srv.Ready()
		go func() {
			select {
			case <-ready: // init is over: from here on, the memory size's share
				limited <- limit.Limit(CPUQuota(o.MemoryMB))
			case <-ctx.Done():
				limited <- ctx.Err()
			}
		}()
	} else {
		limited <- nil
	}
	res, err := srv.Invoke(ctx, event, 10*time.Second)
	cold := time.Since(proc.StartedAt())
	if err := check(res, err, event == nil); err != nil {
		return Cold{}, fmt.Errorf("%w; output: %s", err, proc.Output())
	}
	if err := <-limited; err != nil {
		return Cold{}, fmt.Errorf("setting the CPU quota: %w", err)
	}
	c := Cold{
		Init:        srv.ReadyAt().Sub(proc.StartedAt()),
		FirstAnswer: cold,
		SMCalls:     r.SM.Calls() - sm0,
		PlexConns:   r.Plex.Connections() - px0,
	}
	for range o.Warm {
		res, err := srv.Invoke(ctx, event, 10*time.Second)
		if err := check(res, err, event == nil); err != nil {
			return Cold{}, fmt.Errorf("warm: %w; output: %s", err, proc.Output())
		}
		c.Warm = append(c.Warm, res.Duration)
	}
	if c.PeakRSS, err = peakRSS(strconv.Itoa(proc.Pid())); err != nil {
		return Cold{}, err
	}
	return c, nil
}

func check(res runtimeapi.Result, err error, anyAnswer bool) error {
	if anyAnswer && err == nil && res.Err == nil {
		return nil // a floor: no HTTP response to check
	}
	return CheckAnswer(res, err)
}

// CheckAnswer fails unless the invocation returned an HTTP 200 response.
func CheckAnswer(res runtimeapi.Result, err error) error {
	if err != nil {
		return err
	}
	if res.Err != nil {
		return fmt.Errorf("function error %s: %s", res.Err.Type, res.Err.Message)
	}
	var out struct {
		StatusCode int `json:"statusCode"`
	}
	if json.Unmarshal(res.Payload, &out) != nil || out.StatusCode != 200 {
		return fmt.Errorf("answer is not a 200 response: %.200s", res.Payload)
	}
	return nil
}

// PeakRSS returns the VmHWM (peak resident set) of the running process
// whose executable is bin, in bytes. bin is a path unique to one process.
func PeakRSS(bin string) (int64, error) {
	pid, err := findPID(bin)
	if err != nil {
		return 0, err
	}
	return peakRSS(pid)
}

func peakRSS(pid string) (int64, error) {
	b, err := os.ReadFile(filepath.Join("/proc", pid, "status"))
	if err != nil {
		return 0, err
	}
	return parseVmHWM(string(b))
}

func findPID(bin string) (string, error) {
	want, err := filepath.EvalSymlinks(bin)
	if err != nil {
		return "", err
	}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return "", err
	}
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		if exe, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe")); err == nil && exe == want {
			return e.Name(), nil
		}
	}
	return "", fmt.Errorf("no running process has %s as its executable", bin)
}

// parseVmHWM reads "VmHWM:   1234 kB" from a /proc/<pid>/status text.
func parseVmHWM(status string) (int64, error) {
	for line := range strings.Lines(status) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(rest)
			if len(f) != 2 || f[1] != "kB" {
				break
			}
			kb, err := strconv.ParseInt(f[0], 10, 64)
			if err != nil {
				break
			}
			return kb << 10, nil
		}
	}
	return 0, fmt.Errorf("no VmHWM line in the process status")
}

// Quantile returns the q-quantile (0..1) of ds by the nearest-rank method;
// ds is not modified.
func Quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(q*float64(len(s))+0.999999) - 1
	return s[min(max(i, 0), len(s)-1)]
}
