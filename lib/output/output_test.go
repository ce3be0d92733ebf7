package output

import (
	"bytes"
	"strings"
	"testing"
)

func TestTableAlignsColouredCells(t *testing.T) {
	p := NewPalette(true)
	var tb Table
	tb.Headers = []string{"name", "status"}
	tb.Add(C("node-a"), Cell{Text: "ready", Paint: p.Good})
	tb.Add(C("b"), Cell{Text: "not ready", Paint: p.Bad})
	var buf bytes.Buffer
	if err := tb.Render(&buf); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if lines[0] != "NAME     STATUS" {
		t.Errorf("header %q", lines[0])
	}
	if !strings.HasPrefix(lines[2], "b        \x1b[") {
		t.Errorf("row not padded before its colour: %q", lines[2])
	}
	if !strings.Contains(buf.String(), "\x1b[32mready") {
		t.Errorf("no colour in %q", buf.String())
	}
}

func TestPaletteDisabledIsPlain(t *testing.T) {
	if got := NewPalette(false).Bad("x"); got != "x" {
		t.Fatalf("got %q", got)
	}
}

func TestColorEnabled(t *testing.T) {
	var buf bytes.Buffer
	if ColorEnabled(ColorAuto, &buf) {
		t.Error("auto coloured a buffer")
	}
	if !ColorEnabled(ColorAlways, &buf) || ColorEnabled(ColorNever, &buf) {
		t.Error("always/never ignored")
	}
	if ValidateColorMode("sometimes") == nil {
		t.Error("bad mode accepted")
	}
}

func TestFormat(t *testing.T) {
	f := Flags{Output: "toml"}
	if _, err := formatOf(&f); err == nil || !strings.Contains(err.Error(), "json") {
		t.Errorf("err = %v", err)
	}
	f = Flags{Output: "wide", Allowed: []Format{Human, JSON}}
	if _, err := formatOf(&f); err == nil {
		t.Error("wide accepted where not allowed")
	}
	var buf bytes.Buffer
	if err := Print(&buf, YAML, map[string]int{"a": 1}); err != nil || buf.String() != "a: 1\n" {
		t.Errorf("yaml = %q, %v", buf.String(), err)
	}
}

func TestHumanBytes(t *testing.T) {
	for in, want := range map[string]string{"24581184Ki": "23.4Gi", "16Gi": "16Gi", "512Mi": "512Mi", "1536Mi": "1.5Gi", "100": "100", "": "", "n/a": "n/a", "2Ti": "2Ti"} {
		if got := HumanBytes(in); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}

func TestTableNoHeaders(t *testing.T) {
	tb := Table{Headers: []string{"name", "status"}, NoHeaders: true}
	tb.Add(C("a"), C("ready"))
	var buf bytes.Buffer
	if err := tb.Render(&buf); err != nil || buf.String() != "a      ready\n" {
		t.Fatalf("%q %v", buf.String(), err)
	}
}
