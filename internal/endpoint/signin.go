package endpoint

import (
	"context"
	"net/http"

	"github.com/plexauth/plexauth/internal/api"
	"github.com/plexauth/plexauth/internal/signinguard"
	"github.com/plexauth/plexauth/pkg/plex"
)

type signInResponse struct {
	AuthToken string     `json:"authToken"`
	User      *plex.User `json:"user"`
}

// SignIn serves POST /signin with JSON or form fields login, password,
// verificationCode and rememberMe. A 403 plex_two_factor_required tells the
// workflow to ask for the code and call again with verificationCode. The
// guard holds back, as 429 rate_limited without calling plex.tv, the
// sign-ins that would risk getting the shared address blocked.
var SignIn = Route{
	Route: api.Route{Path: "/signin", Methods: []string{http.MethodPost}},
	Name:  "signin",
	Host:  plex.PlexTVHost,
	op: func(d Deps) api.Op {
		guard := signinguard.New(d.Config.SignIn) // one per process: its counters outlive requests
		return func(ctx context.Context, r *api.Request) (any, error) {
			p := r.Params()
			cr := plex.Credentials{
				Login:            p.Required("login"),
				Password:         p.Required("password"),
				VerificationCode: p.String("verificationCode"),
				RememberMe:       p.Bool("rememberMe"),
			}
			if err := p.Err(); err != nil {
				return nil, err
			}
			if h, held := guard.Admit(r.Caller, cr.Login); held {
				return nil, api.RateLimited(h.Message(), h.Wait)
			}
			u, err := d.Plex.SignIn(ctx, cr)
			guard.Record(cr.Login, err)
			if err != nil {
				return nil, err
			}
			return signInResponse{AuthToken: u.AuthToken, User: u}, nil
		}
	},
}
