package eval

import (
	"encoding/json"
	"math"
	"testing"
)

// FuzzPerClassJSON: PerClass's JSON form reads back as written, NaN and
// ±Inf as NaN (null); and reading arbitrary JSON never panics.
func FuzzPerClassJSON(f *testing.F) {
	f.Add(0.5, math.NaN(), math.Inf(1), []byte(`[0.5,null,1]`))
	f.Add(math.Copysign(0, -1), 1e308, 5e-324, []byte(`null`))
	f.Add(1.0, 2.0, 3.0, []byte(`[null, "x"]`))
	f.Add(0.0, 0.0, 0.0, []byte(`[1e400]`))
	f.Fuzz(func(t *testing.T, a, b, c float64, data []byte) {
		in := PerClass{a, b, c}
		enc, err := json.Marshal(in)
		if err != nil {
			t.Fatalf("marshal %v: %v", in, err)
		}
		var out PerClass
		if err := json.Unmarshal(enc, &out); err != nil || len(out) != len(in) {
			t.Fatalf("%v encodes as %s, which reads as %v (%v)", in, enc, out, err)
		}
		for i, v := range in {
			finite := !math.IsNaN(v) && !math.IsInf(v, 0)
			if finite && out[i] != v || !finite && !math.IsNaN(out[i]) {
				t.Fatalf("%v encodes as %s, which reads as %v", in, enc, out)
			}
		}
		var p PerClass
		_ = json.Unmarshal(data, &p)
	})
}
