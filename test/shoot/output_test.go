package shoot

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

// The read commands in the formats scripts use, on the schema of their -o json.
func TestShootOutputFormats(t *testing.T) {
	newHome(t, "gardens:\n- identity: fg1\n  kubeconfig: "+userKC+"\n")
	var list struct {
		Items []struct{ Name, Region string }
	}
	if err := json.Unmarshal([]byte(shoot(t, "list", "-o", "json").Stdout), &list); err != nil {
		t.Fatal(err)
	}
	var names, objects, rows []string
	for _, it := range list.Items {
		names = append(names, it.Name)
		objects = append(objects, "shoot.core.gardener.cloud/"+it.Name)
		rows = append(rows, it.Name+"|"+it.Region)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"list", "-o", "name"}, strings.Join(objects, "\n") + "\n"},
		{[]string{"list", "-o", "jsonpath={.items[*].name}"}, strings.Join(names, " ")},
		{[]string{"list", "-o", `go-template={{range .items}}{{.name}}|{{.region}}{{"\n"}}{{end}}`}, strings.Join(rows, "\n") + "\n"},
		{[]string{"status", "eco-sbx", "-o", "jsonpath={.lastOperation.progress}"}, "100"},
		{[]string{"config", "view", "-o", "jsonpath={.gardens[0].identity}"}, "fg1"},
		{[]string{"machine-types", "-o", "jsonpath={.items[0].name}"}, "vm-dedicated-2-4"},
	} {
		r := shoot(t, tc.args...)
		if r.Code != 0 || r.Stdout != tc.want {
			t.Errorf("%v: exit %d %q, want %q\n%s", tc.args, r.Code, r.Stdout, tc.want, r.Stderr)
		}
	}
	// The two tables are taken at different moments: list's AGE column (its last) may tick
	// between them (59s, then 1m), so it is left out of the comparison.
	withoutAge := regexp.MustCompile(`(?m)\s+\S+$`)
	for _, cmd := range [][]string{{"list"}, {"machine-types"}} {
		with, without := shoot(t, cmd...), shoot(t, append(cmd, "--no-headers")...)
		header, rest, _ := strings.Cut(with.Stdout, "\n")
		if cmd[0] == "list" {
			rest, without.Stdout = withoutAge.ReplaceAllString(rest, ""), withoutAge.ReplaceAllString(without.Stdout, "")
		}
		if !strings.HasPrefix(header, "NAME") || without.Stdout != rest {
			t.Errorf("%v --no-headers:\n%s\nvs\n%s", cmd, without.Stdout, with.Stdout)
		}
	}
	if r := shoot(t, "list", "-o", "custom-columns=NAME:.name", "--no-headers"); r.Code != 0 || r.Stdout != strings.Join(names, "\n")+"\n" {
		t.Errorf("custom-columns: %d %q", r.Code, r.Stdout)
	}
}
