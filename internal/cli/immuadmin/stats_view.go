package immuadmin

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// RenderStats writes the text view of a snapshot; now dates the "ago"
// columns (a parameter, so the output is reproducible in tests).
func RenderStats(w io.Writer, s *Snapshot, now time.Time) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "Uptime:\t%s\n", s.Uptime)
	if s.MemSys > 0 {
		fmt.Fprintf(tw, "Memory (sys / heap in use):\t%s / %s\n", byteCount(s.MemSys), byteCount(s.HeapInUse))
	}
	fmt.Fprintf(tw, "Databases:\t%d\n", len(s.DBs))
	for _, d := range s.DBs {
		fmt.Fprintf(tw, "   %s\tentries: %d\tsize: %s\n", d.Name, d.Entries, byteCount(d.SizeBytes))
	}
	fmt.Fprintf(tw, "Number of clients:\t%d\n", len(s.Clients))
	if len(s.Clients) > 0 {
		fmt.Fprintf(tw, "Queries per client:\t\n")
	}
	for _, c := range s.Clients {
		last := "-"
		if !c.LastMessageAt.IsZero() {
			ago := now.Sub(c.LastMessageAt).Truncate(time.Second)
			if ago < 0 {
				ago = 0
			}
			last = ago.String() + " ago"
		}
		fmt.Fprintf(tw, "   %s\t%d\tlast query %s\n", c.Address, c.RPCs, last)
	}
	switch {
	case !s.Histograms:
		fmt.Fprintf(tw, "Avg. duration:\tnot available (server runs with --no-histograms)\n")
	case len(s.Methods) > 0:
		fmt.Fprintf(tw, "Avg. duration (nb calls):\tµs\n")
		for _, m := range s.Methods {
			fmt.Fprintf(tw, "   %s (%d)\t%d\n", m.Method, m.Calls, m.Average.Microseconds())
		}
	}
	_ = tw.Flush()
}

// ANSI sequences of the live view: cursor home and clear screen.
const ansiClear = "\x1b[H\x1b[2J"

// barWidth is the widest bar of the live view.
const barWidth = 40

// RenderDashboard is one frame of the live view: a cleared screen, a title
// line, the text view and bars of calls per method and entries per
// database. It depends only on its arguments.
func RenderDashboard(s *Snapshot, url string, now time.Time) string {
	var b strings.Builder
	b.WriteString(ansiClear)
	fmt.Fprintf(&b, "immuadmin stats — %s — %s (Ctrl-C to quit)\n\n", url, now.UTC().Format(time.RFC3339))
	RenderStats(&b, s, now)

	if len(s.Methods) > 0 {
		b.WriteString("\nCalls per method\n")
		var most uint64
		width := 0
		for _, m := range s.Methods {
			most = max(most, m.Calls)
			width = max(width, len(m.Method))
		}
		for _, m := range s.Methods {
			fmt.Fprintf(&b, "  %-*s %s %d\n", width, m.Method, bar(m.Calls, most), m.Calls)
		}
	}
	if len(s.DBs) > 0 {
		b.WriteString("\nEntries per database\n")
		var most uint64
		width := 0
		for _, d := range s.DBs {
			most = max(most, d.Entries)
			width = max(width, len(d.Name))
		}
		for _, d := range s.DBs {
			fmt.Fprintf(&b, "  %-*s %s %d\n", width, d.Name, bar(d.Entries, most), d.Entries)
		}
	}
	return b.String()
}

// bar is a bar of v relative to most, at least one cell for a non-zero v.
func bar(v, most uint64) string {
	if most == 0 || v == 0 {
		return ""
	}
	n := int(float64(v) / float64(most) * barWidth)
	n = max(n, 1)
	return strings.Repeat("█", n)
}
