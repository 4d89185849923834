package keys

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
)

func TestAccessHintNamesTheUser(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{&fs.PathError{Op: "open", Path: "/keys/x", Err: fs.ErrPermission}, "must be reachable by the user this runs as (uid "},
		{&fs.PathError{Op: "open", Path: "/keys/x", Err: fs.ErrNotExist}, "open /keys/x: file does not exist"},
	}
	for _, tt := range tests {
		got := accessHint("/keys", tt.err)
		if !strings.Contains(got.Error(), tt.want) || !errors.Is(got, tt.err) {
			t.Errorf("accessHint(%v) = %v, want it to say %q and wrap the error", tt.err, got, tt.want)
		}
	}
}
