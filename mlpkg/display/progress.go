package display

import (
	"fmt"
	"time"

	"github.com/janpfeifer/gonb/gonbui"
)

// progressEvery is the shortest time between two updates of a Progress on
// the screen: steps of a few milliseconds would otherwise flood the notebook
// with messages.
const progressEvery = 200 * time.Millisecond

// Progress is a progress bar that long work (a training epoch) updates in
// place: in a notebook, one output block, a bar and a line of text,
// replaced at each update; outside a notebook it shows nothing (a command
// line draws its own bars, and a log would fill up with them). Done takes
// it away. Its methods are for one goroutine.
type Progress struct {
	id    string
	last  time.Time
	shown bool
}

// NewProgress returns a Progress, shown from its first Update.
func NewProgress() *Progress {
	return &Progress{id: "progress_" + gonbui.UniqueId()}
}

// Update shows done of total, with text beside the bar. Updates closer than
// progressEvery to the one shown before are skipped, except the last one
// (done ≥ total).
func (p *Progress) Update(done, total int, text string) {
	if !IsNotebook() {
		return
	}
	now := time.Now()
	if done < total && now.Sub(p.last) < progressEvery {
		return
	}
	p.last = now
	gonbui.UpdateHTML(p.id, ProgressHTML(done, total, text))
	p.shown = true
}

// Done removes the bar, once the work it followed has ended (its results
// printed below it stay).
func (p *Progress) Done() {
	if p.shown {
		gonbui.UpdateHTML(p.id, "")
		Flush()
		p.shown = false
	}
}

// ProgressHTML renders Progress's block: an HTML <progress> bar of done
// out of total (clamped to 0..total), then text.
func ProgressHTML(done, total int, text string) string {
	total = max(total, 1)
	done = min(max(done, 0), total)
	return fmt.Sprintf(`<div style="font-family:monospace"><progress value="%d" max="%d" style="width:16em;vertical-align:middle"></progress> %s</div>`,
		done, total, esc(text))
}
