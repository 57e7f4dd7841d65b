// A Go program: the runtime's own arenas, named mappings and threads.
package main

import "fmt"

func main() {
	s := make([][]byte, 0, 64)
	for i := 0; i < 64; i++ {
		s = append(s, make([]byte, 64<<10))
	}
	fmt.Println(len(s))
}
