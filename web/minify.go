package web

import (
	"bytes"
	"errors"
)

// The stylesheets and scripts are written for the people who maintain
// them, with comments and indentation; every supporter's phone would
// download those too. They are served without them, trimmed once at
// start-up, before their content hash is taken.

// errScriptNotTrimmable is returned for a script whose indentation cannot
// be dropped without changing what it does.
var errScriptNotTrimmable = errors.New("a template literal or a string continued over a line break would change if its lines lost their indentation")

// trimScript removes the lines of a script that are comments only, and
// every line's indentation. Both are safe in JavaScript but for a string
// that spans lines, so a script with a template literal or a line ending
// in a backslash is refused.
func trimScript(js []byte) ([]byte, error) {
	if bytes.ContainsRune(js, '`') {
		return nil, errScriptNotTrimmable
	}
	var out []byte
	for line := range bytes.Lines(js) {
		line = bytes.TrimLeft(line, " \t")
		if bytes.HasSuffix(bytes.TrimRight(line, " \t\r\n"), []byte(`\`)) {
			return nil, errScriptNotTrimmable
		}
		if bytes.HasPrefix(line, []byte("//")) {
			continue
		}
		out = append(out, line...)
	}
	return out, nil
}

// minifyCSS removes a stylesheet's comments and the white space a browser
// does not need: runs of it become one space, and none is kept next to
// { } ; , > or after a colon. Strings are kept as they are. A space after a
// colon never matters (in a declaration or a selector's :pseudo-class),
// but one before it does (".contact :target"), as do spaces around + and
// - (calc) and before a parenthesis ("and (min-width…)"): those stay.
func minifyCSS(css []byte) []byte {
	out := make([]byte, 0, len(css))
	space := false // white space or a comment was skipped since the last byte written
	for i := 0; i < len(css); i++ {
		c := css[i]
		switch {
		case c == '/' && i+1 < len(css) && css[i+1] == '*':
			end := bytes.Index(css[i+2:], []byte("*/"))
			if end < 0 {
				i = len(css)
			} else {
				i += 2 + end + 1
			}
			space = true
			continue
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			space = true
			continue
		}
		if space && len(out) > 0 && !bytes.ContainsRune([]byte("{};,>:"), rune(out[len(out)-1])) && !bytes.ContainsRune([]byte("{};,>"), rune(c)) {
			out = append(out, ' ')
		}
		space = false
		if c == '}' && len(out) > 0 && out[len(out)-1] == ';' {
			out = out[:len(out)-1]
		}
		if c != '"' && c != '\'' {
			out = append(out, c)
			continue
		}
		// A string, to its closing quote, with its escapes.
		j := i + 1
		for ; j < len(css) && css[j] != c; j++ {
			if css[j] == '\\' {
				j++
			}
		}
		j = min(j, len(css)-1)
		out = append(out, css[i:j+1]...)
		i = j
	}
	return out
}
