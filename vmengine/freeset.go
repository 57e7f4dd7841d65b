package vmengine

// freeSet is the set of unmapped address ranges of a map, kept as maximal
// disjoint intervals in a treap ordered by start and augmented with the
// largest interval size in each subtree. It plays the part of FreeBSD's
// per-entry max_free (vm_map_findspace) and Linux's rb_subtree_gap
// (unmapped_area, unmapped_area_topdown): both first-fit ascending and
// highest-fit descending searches run in O(log n).
//
// Nodes live in one slice and link by index, so a copy is a slice copy and
// the structure is deterministic (priorities are a hash of the start).
type freeSet struct {
	nodes []freeNode
	root  int32
	free  int32 // head of the free-node list (linked through left)
	count int
	path  []int32 // scratch: the last search path
}

type freeNode struct {
	start, end  uint64
	maxSize     uint64 // largest end-start in this subtree
	prio        uint64
	left, right int32
}

const nilNode = -1

func newFreeSet() freeSet { return freeSet{root: nilNode, free: nilNode} }

func (fs *freeSet) clone() freeSet {
	c := *fs
	c.nodes = append([]freeNode(nil), fs.nodes...)
	c.path = nil
	return c
}

func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func (fs *freeSet) alloc(start, end uint64) int32 {
	n := freeNode{start: start, end: end, maxSize: end - start, prio: mix64(start), left: nilNode, right: nilNode}
	if fs.free != nilNode {
		i := fs.free
		fs.free = fs.nodes[i].left
		fs.nodes[i] = n
		return i
	}
	fs.nodes = append(fs.nodes, n)
	return int32(len(fs.nodes) - 1)
}

func (fs *freeSet) release(i int32) {
	fs.nodes[i] = freeNode{left: fs.free, right: nilNode}
	fs.free = i
}

func (fs *freeSet) fix(i int32) {
	n := &fs.nodes[i]
	m := n.end - n.start
	if n.left != nilNode && fs.nodes[n.left].maxSize > m {
		m = fs.nodes[n.left].maxSize
	}
	if n.right != nilNode && fs.nodes[n.right].maxSize > m {
		m = fs.nodes[n.right].maxSize
	}
	n.maxSize = m
}

// split divides the treap t into keys < k and keys >= k.
func (fs *freeSet) split(t int32, k uint64) (int32, int32) {
	if t == nilNode {
		return nilNode, nilNode
	}
	if fs.nodes[t].start < k {
		l, r := fs.split(fs.nodes[t].right, k)
		fs.nodes[t].right = l
		fs.fix(t)
		return t, r
	}
	l, r := fs.split(fs.nodes[t].left, k)
	fs.nodes[t].left = r
	fs.fix(t)
	return l, t
}

// merge joins treaps a and b where every key of a is below every key of b.
func (fs *freeSet) merge(a, b int32) int32 {
	if a == nilNode {
		return b
	}
	if b == nilNode {
		return a
	}
	if fs.nodes[a].prio > fs.nodes[b].prio {
		fs.nodes[a].right = fs.merge(fs.nodes[a].right, b)
		fs.fix(a)
		return a
	}
	fs.nodes[b].left = fs.merge(a, fs.nodes[b].left)
	fs.fix(b)
	return b
}

// floor returns the node with the greatest start <= a, or nilNode.
func (fs *freeSet) floor(a uint64) int32 {
	best := int32(nilNode)
	for t := fs.root; t != nilNode; {
		if fs.nodes[t].start <= a {
			best = t
			t = fs.nodes[t].right
		} else {
			t = fs.nodes[t].left
		}
	}
	return best
}

// floorPath is floor that records its descent in fs.path: the floor node,
// when there is one, is fs.path[at] and fs.path[:at+1] the path to it. succ
// is the node with the smallest start above a (nilNode if none).
func (fs *freeSet) floorPath(a uint64) (at int, succ int32) {
	fs.path = fs.path[:0]
	at, succ = -1, nilNode
	for t := fs.root; t != nilNode; {
		fs.path = append(fs.path, t)
		if n := &fs.nodes[t]; n.start <= a {
			at = len(fs.path) - 1
			t = n.right
		} else {
			succ = t
			t = n.left
		}
	}
	return at, succ
}

// setIntervalOnPath changes the interval of fs.path[at] to [s, e) and
// fixes the maxima above it. Pre: fs.path[:at+1] is the path to that node
// (floorPath), and the change keeps it between its neighbours in order.
func (fs *freeSet) setIntervalOnPath(at int, s, e uint64) {
	fs.path = fs.path[:at+1]
	t := fs.path[at]
	fs.nodes[t].start, fs.nodes[t].end = s, e
	fs.fixPath()
}

// contains reports whether [s, e) is wholly free.
func (fs *freeSet) contains(s, e uint64) bool {
	i := fs.floor(s)
	return i != nilNode && fs.nodes[i].end >= e
}

// insertNode adds the interval [s, e). Pre: no interval starts at s. It
// descends to where the new node's priority puts it, raising the maximum
// sizes on the way, and splits only the subtree it takes the place of: the
// treap that results is the one the keys and priorities determine.
func (fs *freeSet) insertNode(s, e uint64) {
	x := fs.alloc(s, e) // may move fs.nodes: take no pointers before
	prio, size := fs.nodes[x].prio, e-s
	link := &fs.root
	for t := *link; t != nilNode && fs.nodes[t].prio >= prio; t = *link {
		n := &fs.nodes[t]
		n.maxSize = max(n.maxSize, size)
		if s < n.start {
			link = &n.left
		} else {
			link = &n.right
		}
	}
	l, r := fs.split(*link, s)
	fs.nodes[x].left, fs.nodes[x].right = l, r
	fs.fix(x)
	*link = x
	fs.count++
}

// deleteKey removes the interval starting at s, if there is one: its
// children's merge takes its place, and the maximum sizes above it are
// recomputed.
func (fs *freeSet) deleteKey(s uint64) {
	fs.path = fs.path[:0]
	link := &fs.root
	for t := *link; t != nilNode; t = *link {
		n := &fs.nodes[t]
		switch {
		case s < n.start:
			link = &n.left
		case s > n.start:
			link = &n.right
		default:
			*link = fs.merge(n.left, n.right)
			fs.release(t)
			fs.count--
			fs.fixPath()
			return
		}
		fs.path = append(fs.path, t)
	}
}

// pathTo descends from the root to the node with start == key (which must
// exist), recording the path in fs.path, and returns that node.
func (fs *freeSet) pathTo(key uint64) int32 {
	fs.path = fs.path[:0]
	t := fs.root
	for t != nilNode {
		fs.path = append(fs.path, t)
		switch n := &fs.nodes[t]; {
		case key < n.start:
			t = n.left
		case key > n.start:
			t = n.right
		default:
			return t
		}
	}
	return nilNode
}

// fixPath recomputes the max-size augmentation along the recorded path,
// bottom-up, after a change below or at its last node. It stops at the
// first node whose maximum does not change: the ones above depend on
// nothing else that changed.
func (fs *freeSet) fixPath() {
	for i := len(fs.path) - 1; i >= 0; i-- {
		t := fs.path[i]
		old := fs.nodes[t].maxSize
		fs.fix(t)
		if fs.nodes[t].maxSize == old {
			return
		}
	}
}

// setInterval changes the interval of the node starting at key in place to
// [s, e). Pre: the change keeps the node between its neighbours in order.
func (fs *freeSet) setInterval(key, s, e uint64) {
	t := fs.pathTo(key)
	fs.nodes[t].start, fs.nodes[t].end = s, e
	fs.fixPath()
}

// add marks [s, e) free, coalescing with free neighbours.
// Pre: [s, e) does not intersect any free interval.
func (fs *freeSet) add(s, e uint64) {
	if s >= e {
		return
	}
	// No interval starts inside [s, e), so the one right after s is the
	// only one that can start at e.
	at, right := fs.floorPath(s)
	lo, hi := s, e
	if at >= 0 && fs.nodes[fs.path[at]].end == s {
		lo = fs.nodes[fs.path[at]].start
	}
	if right != nilNode && fs.nodes[right].start == e {
		hi = fs.nodes[right].end
	}
	fs.addBetween(lo, s, e, hi)
}

// addBetween is add for a caller that knows the neighbourhood: [lo, s) and
// [e, hi) are free (either may be empty) and used space or the ends of the
// set bound them, so no search for the neighbours is needed.
func (fs *freeSet) addBetween(lo, s, e, hi uint64) {
	switch {
	case lo < s && e < hi:
		fs.deleteKey(e)
		fs.setInterval(lo, lo, hi)
	case lo < s:
		fs.setInterval(lo, lo, e)
	case e < hi:
		fs.setInterval(e, s, hi)
	default:
		fs.insertNode(s, e)
	}
}

// remove marks [s, e) used. Pre: [s, e) lies inside one free interval.
func (fs *freeSet) remove(s, e uint64) {
	if s >= e {
		return
	}
	at, _ := fs.floorPath(s)
	fs.removeAt(at, s, e)
}

// holding returns where the free interval holding [s, e) is on the path
// floorPath(s) records, for removeAt; ok is false when [s, e) is not wholly
// free. Pre: s < e.
func (fs *freeSet) holding(s, e uint64) (at int, ok bool) {
	at, _ = fs.floorPath(s)
	return at, at >= 0 && fs.nodes[fs.path[at]].end >= e
}

// removeAt is remove for a caller that holds the path to the interval
// holding [s, e): fs.path[:at+1], as holding left it, with the set not
// changed since.
func (fs *freeSet) removeAt(at int, s, e uint64) {
	i := fs.path[at]
	gs, ge := fs.nodes[i].start, fs.nodes[i].end
	switch {
	case gs == s && e == ge:
		fs.deleteKey(gs)
	case gs == s:
		fs.setIntervalOnPath(at, e, ge)
	case e == ge:
		fs.setIntervalOnPath(at, gs, s)
	default:
		fs.setIntervalOnPath(at, gs, s)
		fs.insertNode(e, ge)
	}
}

func alignUp(a, align uint64) (uint64, bool) {
	r := (a + align - 1) &^ (align - 1)
	return r, r >= a
}

// fitLow returns the lowest aligned a in [max(s, lo), ...) with a+length <=
// min(e, hi), if any.
func fitLow(s, e, lo, hi, length, align uint64) (uint64, bool) {
	if s < lo {
		s = lo
	}
	if e > hi {
		e = hi
	}
	a, ok := alignUp(s, align)
	if !ok || a >= e || e-a < length {
		return 0, false
	}
	return a, true
}

// fitHigh returns the highest aligned a with max(s, lo) <= a and a+length <=
// min(e, hi), if any.
func fitHigh(s, e, lo, hi, length, align uint64) (uint64, bool) {
	if s < lo {
		s = lo
	}
	if e > hi {
		e = hi
	}
	if e < s || e-s < length {
		return 0, false
	}
	a := (e - length) &^ (align - 1)
	if a < s {
		return 0, false
	}
	return a, true
}

// findLow returns the lowest address a >= lo, a multiple of align, with
// [a, a+length) free and a+length <= hi. Mirrors vm_map_findspace (plus the
// re-search loop of vm_map_alignspace). O(log n) descents per candidate;
// only intervals cut by lo or by alignment are ever rejected.
func (fs *freeSet) findLow(lo, hi, length, align uint64) (uint64, bool) {
	if length == 0 {
		return 0, false
	}
	return fs.findLowIn(fs.root, lo, hi, length, align)
}

func (fs *freeSet) findLowIn(t int32, lo, hi, length, align uint64) (uint64, bool) {
	if t == nilNode || fs.nodes[t].maxSize < length {
		return 0, false
	}
	n := &fs.nodes[t]
	if n.start >= hi {
		return fs.findLowIn(n.left, lo, hi, length, align)
	}
	if n.end > lo {
		if a, ok := fs.findLowIn(n.left, lo, hi, length, align); ok {
			return a, true
		}
		if a, ok := fitLow(n.start, n.end, lo, hi, length, align); ok {
			return a, true
		}
	}
	return fs.findLowIn(n.right, lo, hi, length, align)
}

// findHigh returns the highest address a, a multiple of align, with
// [a, a+length) free, a >= lo and a+length <= hi. Mirrors Linux
// unmapped_area_topdown.
func (fs *freeSet) findHigh(lo, hi, length, align uint64) (uint64, bool) {
	if length == 0 {
		return 0, false
	}
	return fs.findHighIn(fs.root, lo, hi, length, align)
}

func (fs *freeSet) findHighIn(t int32, lo, hi, length, align uint64) (uint64, bool) {
	if t == nilNode || fs.nodes[t].maxSize < length {
		return 0, false
	}
	n := &fs.nodes[t]
	if n.end <= lo {
		return fs.findHighIn(n.right, lo, hi, length, align)
	}
	if n.start < hi {
		if a, ok := fs.findHighIn(n.right, lo, hi, length, align); ok {
			return a, true
		}
		if a, ok := fitHigh(n.start, n.end, lo, hi, length, align); ok {
			return a, true
		}
	}
	return fs.findHighIn(n.left, lo, hi, length, align)
}

// each calls fn on every free interval in address order.
func (fs *freeSet) each(fn func(s, e uint64)) {
	var walk func(int32)
	walk = func(t int32) {
		if t == nilNode {
			return
		}
		walk(fs.nodes[t].left)
		fn(fs.nodes[t].start, fs.nodes[t].end)
		walk(fs.nodes[t].right)
	}
	walk(fs.root)
}

// checkAug verifies the max-size augmentation and heap order; it returns a
// description of the first violation or "".
func (fs *freeSet) checkAug() string {
	var walk func(int32) (uint64, string)
	walk = func(t int32) (uint64, string) {
		if t == nilNode {
			return 0, ""
		}
		n := fs.nodes[t]
		m := n.end - n.start
		for _, c := range []int32{n.left, n.right} {
			if c == nilNode {
				continue
			}
			if fs.nodes[c].prio > n.prio {
				return 0, "heap order"
			}
			cm, bad := walk(c)
			if bad != "" {
				return 0, bad
			}
			if cm > m {
				m = cm
			}
		}
		if m != n.maxSize {
			return 0, "max-size augmentation"
		}
		return m, ""
	}
	_, bad := walk(fs.root)
	return bad
}
