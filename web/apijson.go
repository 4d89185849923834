package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"
)

// The partner API reads its JSON bodies strictly. encoding/json on its own
// keeps the last of two equal keys, matches keys regardless of case
// ("Name" fills name) and replaces invalid UTF-8 with U+FFFD; any of these
// lets two programs read one body differently, so each is refused here
// with the key named.

// bodyError is why a JSON body was refused; Key names the key at fault,
// if one is.
type bodyError struct {
	Key     string
	Message string // for the whole body
	Problem string // for the key
}

func (e *bodyError) Error() string { return e.Message }

// fields returns the problem by key, for APIErrorBody.Fields.
func (e *bodyError) fields() map[string]string {
	if e.Key == "" {
		return nil
	}
	return map[string]string{e.Key: e.Problem}
}

// decodeObject reads body, which must be one JSON object in valid UTF-8,
// into fields: each key is a field's exact name and its value a *string or
// a *bool. A key may come once; null leaves its field as it was. Any other
// key, a key in other letter case, a value of another type or text after
// the object is a *bodyError.
func decodeObject(body []byte, fields map[string]any) error {
	if !utf8.Valid(body) {
		return &bodyError{Message: "The body is not valid UTF-8."}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	tok, err := dec.Token()
	if err != nil {
		return syntaxError(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return &bodyError{Message: "The body must be one JSON object."}
	}
	seen := make(map[string]bool, len(fields))
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return syntaxError(err)
		}
		key, _ := tok.(string) // inside an object the decoder gives only string keys
		if seen[key] {
			return &bodyError{Key: key, Message: fmt.Sprintf("The key %q appears more than once.", key), Problem: "This key appears more than once."}
		}
		seen[key] = true
		dst, ok := fields[key]
		if !ok {
			return unknownKey(key, fields)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return syntaxError(err)
		}
		if err := decodeValue(key, raw, dst); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return syntaxError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return &bodyError{Message: "The body must be one JSON object with nothing after it."}
	}
	return nil
}

// decodeValue reads the raw value of key into dst.
func decodeValue(key string, raw json.RawMessage, dst any) error {
	if string(raw) == "null" {
		return nil
	}
	switch d := dst.(type) {
	case *string:
		if raw[0] != '"' {
			return typeError(key, "a string")
		}
		if loneSurrogate(raw) {
			return &bodyError{Key: key, Message: fmt.Sprintf("The value of %q is not valid Unicode.", key),
				Problem: "This text holds an unpaired surrogate escape (\\uD800 to \\uDFFF), which is not a character."}
		}
		return json.Unmarshal(raw, d)
	case *bool:
		if string(raw) != "true" && string(raw) != "false" {
			return typeError(key, "true or false")
		}
		return json.Unmarshal(raw, d)
	}
	panic(fmt.Sprintf("decodeObject: field %s has unsupported type %T", key, dst))
}

func typeError(key, want string) error {
	return &bodyError{Key: key, Message: fmt.Sprintf("The value of %q must be %s.", key, want), Problem: "Must be " + want + "."}
}

// unknownKey refuses a key that is not a field, naming the field it
// differs from only in letter case, if any.
func unknownKey(key string, fields map[string]any) error {
	for name := range fields {
		if strings.EqualFold(name, key) {
			return &bodyError{Key: key, Message: fmt.Sprintf("Unknown key %q: keys are case-sensitive; the field is %q.", key, name),
				Problem: fmt.Sprintf("Unknown key; keys are case-sensitive: did you mean %q?", name)}
		}
	}
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	sort.Strings(names)
	return &bodyError{Key: key, Message: fmt.Sprintf("Unknown key %q; the keys are %s.", key, strings.Join(names, ", ")),
		Problem: "Unknown key."}
}

func syntaxError(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return &bodyError{Message: "The body ends before its JSON object does."}
	}
	return &bodyError{Message: "The body is not valid JSON: " + err.Error() + "."}
}

// loneSurrogate reports whether the JSON string raw (with its quotes)
// holds a \u escape of a UTF-16 surrogate that is not part of a pair,
// which encoding/json would quietly turn into U+FFFD.
func loneSurrogate(raw []byte) bool {
	high := false // the previous escape was a high surrogate
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' {
			if high {
				return true
			}
			continue
		}
		i++
		if i >= len(raw) || raw[i] != 'u' {
			if high {
				return true
			}
			continue
		}
		if i+4 >= len(raw) {
			return high
		}
		var r rune
		for _, h := range raw[i+1 : i+5] {
			r <<= 4
			switch {
			case h >= '0' && h <= '9':
				r |= rune(h - '0')
			case h >= 'a' && h <= 'f':
				r |= rune(h-'a') + 10
			case h >= 'A' && h <= 'F':
				r |= rune(h-'A') + 10
			}
		}
		i += 4
		switch {
		case r >= 0xD800 && r <= 0xDBFF:
			if high {
				return true
			}
			high = true
		case r >= 0xDC00 && r <= 0xDFFF:
			if !high {
				return true
			}
			high = false
		default:
			if high {
				return true
			}
		}
	}
	return high
}
