package halosim

import (
	"net/http"
	"time"
)

// userAnswer is the body of user/me.json.
type userAnswer struct {
	User userDetail `json:"user"`
}

// userDetail is the key's user: the documented fields [doc] plus name, the full name, which
// the documentation does not show [guess] but a confirmation preview wants.
type userDetail struct {
	UserID    int    `json:"user_id"`
	Name      string `json:"name"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Title     string `json:"title"`
	Email     string `json:"email"`
	Phone     string `json:"phone"`
	Role      int    `json:"role"`
}

// userMe answers user/me.json, Halo's documented way to check a key [doc].
func (s *Simulator) userMe(_ *http.Request, _ []byte, _ time.Time) response {
	u := s.account.user
	return ok(userAnswer{User: userDetail{
		UserID: u.id, Name: u.firstName + " " + u.lastName, FirstName: u.firstName, LastName: u.lastName,
		Title: u.title, Email: u.email, Phone: u.phone, Role: u.role,
	}})
}
