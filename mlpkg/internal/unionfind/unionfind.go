// Package unionfind groups the integers 0…n−1 into disjoint sets (union–find
// with path halving): photos that must stay together, such as near-duplicates
// or byte-identical copies.
package unionfind

// Sets is a partition of 0…n−1 into disjoint sets, each named by its
// smallest member.
type Sets struct {
	parent []int
}

// New returns the partition of 0…n−1 into n sets of one.
func New(n int) *Sets {
	s := &Sets{parent: make([]int, n)}
	for i := range s.parent {
		s.parent[i] = i
	}
	return s
}

// Find returns the name of i's set: its smallest member.
func (s *Sets) Find(i int) int {
	for s.parent[i] != i {
		s.parent[i] = s.parent[s.parent[i]]
		i = s.parent[i]
	}
	return i
}

// Union merges the sets of a and b.
func (s *Sets) Union(a, b int) {
	ra, rb := s.Find(a), s.Find(b)
	if ra != rb {
		s.parent[max(ra, rb)] = min(ra, rb)
	}
}
