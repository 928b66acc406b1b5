// Package edit measures how far apart two names are, for the "did you
// mean" suggestions of the IR parsers.
//
//	edit.Distance("hh", "h", 3)      // 1
//	edit.Distance("lfi", "lif", 3)   // 1: a swap of neighbours is one edit
package edit

// Distance is the optimal string alignment distance between a and b
// (Levenshtein's, with a swap of neighbours counting as one edit, the
// commonest typo), or any value >= limit when it is at least limit.
func Distance(a, b string, limit int) int {
	if d := len(a) - len(b); d >= limit || -d >= limit {
		return limit
	}
	// rows[i%3][j] is the distance between a[:i] and b[:j].
	var rows [3][]int
	for k := range rows {
		rows[k] = make([]int, len(b)+1)
	}
	for j := range rows[0] {
		rows[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur, prev, prev2 := rows[i%3], rows[(i-1)%3], rows[(i+1)%3]
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
	}
	return rows[len(a)%3][len(b)]
}
