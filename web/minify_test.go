package web

import (
	"errors"
	"testing"
)

func TestMinifyCSS(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"comments and indentation", "/* top */\n:root {\n  --ink: #1f2328; /* text */\n}\n", ":root{--ink:#1f2328}"},
		{"selector lists and combinators", ".a, .b > p,\n.c ~ d { x: 1; }", ".a,.b>p,.c ~ d{x:1}"},
		{"a space before a colon is a descendant", ".contact :target > h2 { margin: 0 }", ".contact :target>h2{margin:0}"},
		{"media query keeps the space before its parenthesis", "@media (min-width: 56rem) and (hover: hover) {\n  a { b: c; }\n}", "@media (min-width:56rem) and (hover:hover){a{b:c}}"},
		{"calc keeps its spaces", "a { width: calc(100% - 2 * 1rem); }", "a{width:calc(100% - 2 * 1rem)}"},
		{"strings are kept", `a::after { content: "a  /* b */ ; c\"{"; font: x "Segoe UI" }`, `a::after{content:"a  /* b */ ; c\"{";font:x "Segoe UI"}`},
		{"single quotes", "a { content: 'x ,  y' }", "a{content:'x ,  y'}"},
		{"unclosed comment", "a { b: c } /* end", "a{b:c}"},
		{"unclosed string", `a { content: "x`, `a{content:"x`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(minifyCSS([]byte(tt.in))); got != tt.want {
				t.Errorf("minifyCSS(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestTrimScript(t *testing.T) {
	tests := []struct {
		name, in, want string
		err            error
	}{
		{"comment lines and indentation go", "(function () {\n  // why\n  var a = 1; // kept\n\tif (a) {\n    a = '//';\n  }\n})();\n",
			"(function () {\nvar a = 1; // kept\nif (a) {\na = '//';\n}\n})();\n", nil},
		{"a template literal is refused", "var a = `x\n  y`;\n", "", errScriptNotTrimmable},
		{"a continued string is refused", "var a = 'x\\\n  y';\n", "", errScriptNotTrimmable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := trimScript([]byte(tt.in))
			if !errors.Is(err, tt.err) || string(got) != tt.want {
				t.Errorf("trimScript(%q) = %q, %v; want %q, %v", tt.in, got, err, tt.want, tt.err)
			}
		})
	}
}
