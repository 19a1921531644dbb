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

// A step in words: no speed before the epoch's first timed step.
func TestStepString(t *testing.T) {
	if got, want := (Step{Epoch: 2, Epochs: 10, Batch: 40, Batches: 63, Loss: 0.41234, ImagesPerSecond: 250.6}).String(), "epoch 2/10: batch 40/63, loss 0.4123, 250.6 img/s"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if got, want := (Step{Epoch: 2, Epochs: 10, Batch: 1, Batches: 63, Loss: 0.5}).String(), "epoch 2/10: batch 1/63, loss 0.5000"; got != want {
		t.Errorf("String() of a first step = %q, want %q", got, want)
	}
}
