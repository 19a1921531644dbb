package train

import "testing"

// Start.Split says what an epoch trains on and what picks the best epoch:
// with augmentation, samples of photos, and photos held out.
func TestStartSplit(t *testing.T) {
	for _, c := range []struct {
		s    Start
		want string
	}{
		{Start{Images: 2025, Validation: 225, SamplesPerPhoto: 1}, "2025 training images, 225 pictures held out to pick the best epoch"},
		{Start{Images: 2025, SamplesPerPhoto: 1}, "2025 training images, none held out: the last epoch is kept"},
		{Start{Images: 32400, Validation: 225, SamplesPerPhoto: 16},
			"32400 training images (2025 pictures × 16 augmented variants), 225 pictures held out to pick the best epoch"},
	} {
		if got := c.s.Split(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.s, got, c.want)
		}
	}
}
