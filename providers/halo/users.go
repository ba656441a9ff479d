package halo

import (
	"context"
	"strconv"
	"strings"

	"github.com/pci-mcp/pci-mcp/providers/upstream"
)

// User is the person the API key belongs to (user/me.json).
type User struct {
	UserID upstream.Int `json:"user_id"`
	// Name is the full name; not in the documented sample [guess], so
	// DisplayName falls back to first and last name.
	Name      upstream.String `json:"name,omitempty"`
	FirstName upstream.String `json:"first_name"`
	LastName  upstream.String `json:"last_name"`
	Title     upstream.String `json:"title,omitempty"`
	Email     upstream.String `json:"email"`
	Phone     upstream.String `json:"phone,omitempty"`
	Role      upstream.Int    `json:"role"`
}

// DisplayName is the user's full name.
func (u *User) DisplayName() string {
	if name := strings.TrimSpace(string(u.Name)); name != "" {
		return name
	}
	return strings.TrimSpace(string(u.FirstName) + " " + string(u.LastName))
}

// User reads the API key's user (GET user/me.json), Halo's documented way to
// check a key. The first answer is kept for Username.
func (c *Client) User(ctx context.Context) (*User, error) {
	var answer struct {
		User User `json:"user"`
	}
	if err := c.get(ctx, "user/me.json", nil, &answer); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.user == nil {
		u := answer.User
		c.user = &u
	}
	return &answer.User, nil
}

// Username names the account the client acts as, for confirmation previews
// and the audit trail: the key's user as "Full Name <email>", once User has
// read it, and "" before.
func (c *Client) Username() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.user == nil {
		return ""
	}
	name, email := c.user.DisplayName(), strings.TrimSpace(string(c.user.Email))
	switch {
	case name != "" && email != "":
		return name + " <" + email + ">"
	case email != "":
		return email
	case name != "":
		return name
	}
	return "user " + strconv.FormatInt(int64(c.user.UserID), 10)
}
