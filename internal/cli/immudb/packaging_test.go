package immudb

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// No Docker engine runs where the tests run, so the images are checked by
// reading their Dockerfiles: what they copy is what the Makefile builds,
// the ports are immudb's, the server image runs as a non-root user with its
// data on a volume and a health check, and every IMMUDB_* variable it sets
// is a real flag.

// dockerfile is the instructions of one Dockerfile, continuation lines
// joined, comments dropped.
type dockerfile struct{ lines []string }

func readDockerfile(t *testing.T, name string) dockerfile {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "..", "build", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var d dockerfile
	var cur strings.Builder
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#") || (line == "" && cur.Len() == 0) {
			continue
		}
		if strings.HasSuffix(line, `\`) {
			cur.WriteString(strings.TrimSuffix(line, `\`) + " ")
			continue
		}
		cur.WriteString(line)
		d.lines = append(d.lines, strings.Join(strings.Fields(cur.String()), " "))
		cur.Reset()
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return d
}

// all returns the arguments of every instruction named op.
func (d dockerfile) all(op string) []string {
	var out []string
	for _, l := range d.lines {
		if k, rest, _ := strings.Cut(l, " "); strings.EqualFold(k, op) {
			out = append(out, rest)
		}
	}
	return out
}

func TestDockerfiles(t *testing.T) {
	gomod, err := os.ReadFile("../../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	goVersion := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(gomod)[1]
	makefile, err := os.ReadFile("../../../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	flags := map[string]bool{}
	for _, d := range flagDefs {
		flags[envPrefix+"_"+strings.ToUpper(strings.ReplaceAll(d.name, "-", "_"))] = true
	}
	for _, c := range []struct {
		file     string
		programs []string // built and copied, the first is the entrypoint
		ports    []string
		server   bool
	}{
		{"Dockerfile", []string{"immudb", "immuadmin"}, []string{"3322", "9497", "8080"}, true},
		{"Dockerfile.immuclient", []string{"immuclient"}, nil, false},
		{"Dockerfile.immuadmin", []string{"immuadmin"}, nil, false},
	} {
		t.Run(c.file, func(t *testing.T) {
			d := readDockerfile(t, c.file)
			from := d.all("FROM")
			if len(from) != 2 || from[0] != "golang:"+string(goVersion)+" AS build" {
				t.Errorf("FROM = %q, want a golang:%s build stage and a runtime stage", from, goVersion)
			}
			run := strings.Join(d.all("RUN"), "\n")
			copies := strings.Join(d.all("COPY"), "\n")
			for _, p := range c.programs {
				if _, err := os.Stat(filepath.Join("../../../cmd", p)); err != nil {
					t.Errorf("cmd/%s: %v", p, err)
				}
				if !strings.Contains(string(makefile), p+"-static") {
					t.Errorf("Makefile has no %s-static target", p)
				}
				if !regexp.MustCompile(`make .*\b` + p + `-static\b.* STATIC_DIR=/out STATIC_SUFFIX= `).MatchString(run) {
					t.Errorf("%s is not built with make %s-static into /out", p, p)
				}
				if !strings.Contains(copies, "--from=build /out/"+p+" ") {
					t.Errorf("/out/%s is not copied from the build stage", p)
				}
			}
			entry := d.all("ENTRYPOINT")
			if len(entry) != 1 || !regexp.MustCompile(`^\["/usr/(local/bin|sbin)/`+c.programs[0]+`"\]$`).MatchString(entry[0]) {
				t.Errorf("ENTRYPOINT = %q", entry)
			} else if dst := strings.Trim(entry[0], `[]"`); !strings.Contains(copies, " "+dst) {
				t.Errorf("ENTRYPOINT %s is not where the program is copied", dst)
			}
			user := d.all("USER")
			if len(user) != 1 || user[0] == "root" || user[0] == "0" {
				t.Errorf("USER = %q, want one non-root user", user)
			}
			var exposed []string
			for _, e := range d.all("EXPOSE") {
				exposed = append(exposed, strings.Fields(e)...)
			}
			slices.Sort(exposed)
			want := slices.Clone(c.ports)
			slices.Sort(want)
			if !slices.Equal(exposed, want) {
				t.Errorf("EXPOSE = %v, want %v", exposed, want)
			}
			if !c.server {
				return
			}
			if v := d.all("VOLUME"); len(v) != 1 || v[0] != "/var/lib/immudb" {
				t.Errorf("VOLUME = %q", v)
			}
			if h := d.all("HEALTHCHECK"); len(h) != 1 || !strings.Contains(h[0], `CMD ["/usr/local/bin/immuadmin", "status"]`) {
				t.Errorf("HEALTHCHECK = %q", h)
			}
			for _, env := range d.all("ENV") {
				for _, kv := range strings.Fields(env) {
					name, _, _ := strings.Cut(kv, "=")
					if strings.HasPrefix(name, envPrefix+"_") && !flags[name] {
						t.Errorf("ENV %s is not an immudb flag", name)
					}
				}
			}
		})
	}
}

// The static targets resolve to one go build each, with immudb's release
// file name and the version linked in (make -n: nothing is built).
func TestMakeStaticTargets(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not installed")
	}
	out, err := exec.Command("make", "-s", "-n", "-C", "../../..", "immudb-static", "immuclient-static", "immuadmin-static",
		"GOOS=linux", "GOARCH=arm64", "VERSION=9.9.9", "COMMIT=abc").CombinedOutput()
	if err != nil {
		t.Fatalf("make -n: %v\n%s", err, out)
	}
	for _, p := range []string{"immudb", "immuclient", "immuadmin"} {
		re := regexp.MustCompile(`CGO_ENABLED=0 GOOS=linux GOARCH=arm64 \S+ build -trimpath\s+(?:\\\s+)?-ldflags '[^']*-X github.com/attestdb/attestdb/internal/cli/` +
			`immudb.Version=9.9.9[^']*'\s+(?:\\\s+)?-o dist/` + p + `-v9.9.9-linux-arm64 ./cmd/` + p + `\n`)
		if !re.Match(out) {
			t.Errorf("no static build of %s in:\n%s", p, out)
		}
	}
	if !strings.Contains(string(out), "immuadmin.Version=9.9.9") || !strings.Contains(string(out), "immudb.Commit=abc") {
		t.Errorf("version information missing:\n%s", out)
	}
}
