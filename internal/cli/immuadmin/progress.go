package immuadmin

import (
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// progress reports how many txs a backup, restore or dump has done: a bar
// redrawn in place on a terminal, plain lines (every 10%, or every 1000
// txs when the total is unknown) otherwise, so logs stay readable.
type progress struct {
	w       io.Writer
	label   string
	total   uint64 // 0: unknown
	done    uint64
	tty     bool
	lastMsg uint64 // last step reported in line mode
	off     bool
}

const progressBarWidth = 40

func (a *app) newProgress(label string, total uint64, on bool) *progress {
	p := &progress{w: a.errOut, label: label, total: total, off: !on}
	if f, ok := a.errOut.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.tty = true
	}
	return p
}

func (p *progress) add(n uint64) {
	if p.off {
		return
	}
	p.done += n
	if p.tty {
		p.draw()
		return
	}
	var step uint64
	if p.total > 0 {
		step = p.done * 10 / p.total
	} else {
		step = p.done / 1000
	}
	if step > p.lastMsg || p.done == p.total {
		p.lastMsg = step
		p.line()
	}
}

func (p *progress) line() {
	if p.total > 0 {
		fmt.Fprintf(p.w, "%s: %d/%d transactions (%d%%)\n", p.label, p.done, p.total, p.done*100/p.total)
	} else {
		fmt.Fprintf(p.w, "%s: %d transactions\n", p.label, p.done)
	}
}

func (p *progress) draw() {
	if p.total == 0 {
		fmt.Fprintf(p.w, "\r%s: %d transactions", p.label, p.done)
		return
	}
	filled := int(p.done * progressBarWidth / p.total)
	fmt.Fprintf(p.w, "\r%s [%s%s] %d/%d", p.label, strings.Repeat("#", filled), strings.Repeat(" ", progressBarWidth-filled), p.done, p.total)
}

// finish ends the bar's line on a terminal.
func (p *progress) finish() {
	if !p.off && p.tty && p.done > 0 {
		fmt.Fprintln(p.w)
	}
}
