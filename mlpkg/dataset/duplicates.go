package dataset

import (
	"crypto/sha256"
	"fmt"
	"strings"
)

// markDuplicates finds the usable photos (decoded, not yet skipped) that are
// the same picture as the model sees it (the same pixels at the training
// size: byte-identical files, and also one image saved twice in lossless
// formats) and marks all but at most one of each picture as skipped, so
// that no picture is used twice: two copies under different names would
// otherwise be split independently, and one could be tested (or, in
// Split.HoldOut, validated) on while the other is trained on, which
// inflates the measured accuracy. photos must be in class,
// then file-name order, as Prepare lists them; exclusions were applied
// before, so excluding one copy in exclude.txt leaves the other in use.
//
// Copies within one class: the copy with the shortest file name, then the
// first in name order, is kept, so "a.jpg" is kept over "a copy.jpg" and
// "a (1).jpg", and the others are skipped as its duplicates.
//
// Copies in different classes, one picture labelled twice: every copy, in
// every class, is skipped, and each such picture is returned as the paths of
// its copies. Prepare does not pick one, since it cannot tell which label is
// right and training on a wrong label is worse than one photo less; nor does
// it fail, since one mislabelled copy among thousands of crawled or copied
// photos should not stop a preparation (notebooks prepare unattended). The
// summary names the copies; listing the wrong ones in their class's
// exclude.txt, then preparing again, brings the picture back in the right
// class.
func markDuplicates(photos []*photo, classes []string) (conflicts [][]string) {
	type picture = [sha256.Size]byte
	bySum := map[picture][]*photo{}
	var sums []picture // in order of first copy, for a deterministic report
	for _, p := range photos {
		if p.reason != "" {
			continue
		}
		sum := sha256.Sum256(p.pix)
		if bySum[sum] == nil {
			sums = append(sums, sum)
		}
		bySum[sum] = append(bySum[sum], p)
	}
	for _, sum := range sums {
		copies := bySum[sum]
		if len(copies) < 2 {
			continue
		}
		if sameClass(copies) {
			keep := copies[0]
			for _, p := range copies[1:] {
				if len(p.name) < len(keep.name) {
					keep = p // copies are in name order: ties keep the first
				}
			}
			for _, p := range copies {
				if p != keep {
					p.reason = fmt.Sprintf("duplicate of %s (the same picture): used once", keep.relPath(classes))
				}
			}
			continue
		}
		paths := make([]string, len(copies))
		var names []string // the classes, in label order
		for i, p := range copies {
			paths[i] = p.relPath(classes)
			if c := classes[p.label]; len(names) == 0 || names[len(names)-1] != c {
				names = append(names, c)
			}
		}
		for i, p := range copies {
			others := append(paths[:i:i], paths[i+1:]...)
			p.reason = fmt.Sprintf("the same picture as %s: a picture in classes %s is left out of all of them (exclude the wrong copies)",
				listNames(others), strings.Join(names, " and "))
		}
		conflicts = append(conflicts, paths)
	}
	return conflicts
}

// sameClass reports whether all photos have the same label.
func sameClass(ps []*photo) bool {
	for _, p := range ps[1:] {
		if p.label != ps[0].label {
			return false
		}
	}
	return true
}

// listNames joins paths with ", ", naming at most 4 and counting the rest.
func listNames(paths []string) string {
	const most = 4
	if len(paths) <= most {
		return strings.Join(paths, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(paths[:most], ", "), len(paths)-most)
}
