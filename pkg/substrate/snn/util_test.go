package snn_test

import (
	"fmt"
	"strconv"
	"strings"
)

func fmtSscan(line string, x, v, s *float64) (int, error) {
	return fmt.Sscanf(strings.ReplaceAll(line, ",", " "), "%g %g %g", x, v, s)
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
