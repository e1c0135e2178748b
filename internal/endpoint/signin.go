package endpoint

import (
	"context"
	"net/http"

	"github.com/plexauth/plexauth/internal/api"
	"github.com/plexauth/plexauth/pkg/plex"
)

// SignInClient is the Plex call this endpoint makes (*plex.Client).
type SignInClient interface {
	SignIn(ctx context.Context, cr plex.Credentials) (*plex.User, error)
}

var _ SignInClient = (*plex.Client)(nil)

type signInResponse struct {
	AuthToken string     `json:"authToken"`
	User      *plex.User `json:"user"`
}

// SignIn serves POST /signin with JSON or form fields login, password,
// verificationCode and rememberMe. A 403 plex_two_factor_required tells the
// workflow to ask for the code and call again with verificationCode.
func SignIn(c SignInClient) *api.Handler {
	return &api.Handler{
		Route:   "/signin",
		Methods: []string{http.MethodPost},
		Op: func(ctx context.Context, r *api.Request) (any, error) {
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
			u, err := c.SignIn(ctx, cr)
			if err != nil {
				return nil, err
			}
			return signInResponse{AuthToken: u.AuthToken, User: u}, nil
		},
	}
}
