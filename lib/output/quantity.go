package output

import (
	"strconv"

	"k8s.io/apimachinery/pkg/api/resource"
)

// HumanBytes shows a memory quantity in the largest binary unit it fills, one decimal at most
// ("24581184Ki" -> "23.4Gi", "16Gi" stays "16Gi"), as people read them; JSON keeps the raw
// value. Anything that is not a quantity is returned as it is.
func HumanBytes(q string) string {
	v, err := resource.ParseQuantity(q)
	if err != nil || q == "" {
		return q
	}
	b := float64(v.Value())
	for _, u := range []struct {
		suffix string
		size   float64
	}{{"Ti", 1 << 40}, {"Gi", 1 << 30}, {"Mi", 1 << 20}, {"Ki", 1 << 10}} {
		if b >= u.size {
			return strconv.FormatFloat(float64(int64(b/u.size*10+0.5))/10, 'f', -1, 64) + u.suffix
		}
	}
	return strconv.FormatInt(v.Value(), 10)
}
