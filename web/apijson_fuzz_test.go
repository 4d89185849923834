package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzDecodeObject checks the strict decoder against encoding/json: what
// it accepts is valid UTF-8, decodes to the same values with encoding/json,
// has every key once and exactly as documented, and survives a round trip;
// what it refuses is refused with a message.
func FuzzDecodeObject(f *testing.F) {
	for _, seed := range []string{
		`{"name":"Olga","email":"o@example.org","country":"LT","consent":true}`,
		`{"name":"a","name":"b"}`,
		`{"Name":"a"}`,
		`{"nAme":"a","name":"b"}`,
		`{"nickname":1}`,
		"{\"name\":\"\xff\"}",
		`{"name":"\ud800"}`,
		`{"name":"\ud83d\ude00","city":null,"updates":false}`,
		`{"name":"\\ud800"}`,
		`{"consent":"true"}`,
		`{} {}`,
		`[]`,
		`"x"`,
		``,
		`{"greeting":"line\nbreak \u00e9"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var in APISignatureInput
		err := decodeObject(body, in.fields())
		if err != nil {
			var berr *bodyError
			if !errors.As(err, &berr) || berr.Message == "" {
				t.Fatalf("refused without a message: %v", err)
			}
			if berr.Key != "" && berr.Problem == "" {
				t.Fatalf("key %q named without a problem", berr.Key)
			}
			return
		}
		if !utf8.Valid(body) {
			t.Fatal("accepted invalid UTF-8")
		}
		// encoding/json reads the same values.
		var std APISignatureInput
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&std); err != nil {
			t.Fatalf("accepted what encoding/json refuses: %v", err)
		}
		if std != in {
			t.Fatalf("decoded %+v, encoding/json %+v", in, std)
		}
		// Every key is documented exactly.
		var keys map[string]json.RawMessage
		if err := json.Unmarshal(body, &keys); err != nil {
			t.Fatal(err)
		}
		for k := range keys {
			if _, ok := in.fields()[k]; !ok {
				t.Fatalf("accepted key %q", k)
			}
		}
		for _, s := range []string{in.Name, in.Email, in.City, in.Country, in.Greeting, in.Display} {
			if strings.ContainsRune(s, utf8.RuneError) && !bytes.Contains(body, []byte("\uFFFD")) && !bytes.Contains(bytes.ToLower(body), []byte(`\ufffd`)) {
				t.Fatalf("a replacement character appeared in %q", s)
			}
		}
		// A round trip gives the same input.
		again, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		var back APISignatureInput
		if err := decodeObject(again, back.fields()); err != nil {
			t.Fatalf("refused its own encoding %s: %v", again, err)
		}
		if back != in {
			t.Fatalf("round trip %+v, want %+v", back, in)
		}
	})
}
