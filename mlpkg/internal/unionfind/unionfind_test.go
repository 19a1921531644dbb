package unionfind

import "testing"

func TestSets(t *testing.T) {
	s := New(6)
	s.Union(4, 2)
	s.Union(5, 4)
	s.Union(3, 1)
	for i, want := range []int{0, 1, 2, 1, 2, 2} {
		if got := s.Find(i); got != want {
			t.Errorf("Find(%d) = %d, want %d (the smallest member of its set)", i, got, want)
		}
	}
	s.Union(1, 5)
	for i, want := range []int{0, 1, 1, 1, 1, 1} {
		if got := s.Find(i); got != want {
			t.Errorf("after Union(1, 5): Find(%d) = %d, want %d", i, got, want)
		}
	}
}
