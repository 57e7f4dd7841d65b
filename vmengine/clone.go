package vmengine

import "vmscope/pmap"

// Clone returns an independent copy of the whole engine: processes, address
// spaces, objects, files and frames. Map entries and page tables are B-trees
// shared copy-on-write, so a clone costs O(objects + pages + processes), not
// O(entries). Viewers keep clones as checkpoints for time travel.
func (e *Engine) Clone() *Engine {
	c := *e
	c.phys = e.phys.Clone()
	c.fs = e.fs.clone()
	c.names = e.names.clone()
	fileMap := make(map[*File]*File, len(e.fs.files))
	for path, f := range e.fs.files {
		fileMap[f] = c.fs.files[path]
	}
	c.objects = make(map[ObjID]*Object, len(e.objects))
	for id, o := range e.objects {
		n := *o
		n.Shadows = append([]ObjID(nil), o.Shadows...)
		n.Pages = make(map[uint64]pmap.FrameID, len(o.Pages))
		for i, f := range o.Pages {
			n.Pages[i] = f
		}
		if o.File != nil {
			n.File = fileMap[o.File]
		}
		c.objects[id] = &n
	}
	c.spaces = make(map[*Vmspace]struct{}, len(e.spaces))
	spaceMap := make(map[*Vmspace]*Vmspace, len(e.spaces))
	for vs := range e.spaces {
		n := *vs
		n.eng = &c
		n.Map = vs.Map.clone()
		n.Pmap = vs.Pmap.Clone(c.phys)
		if vs.Guards != nil {
			n.Guards = make(map[uint64]bool, len(vs.Guards))
			for k, v := range vs.Guards {
				n.Guards[k] = v
			}
		}
		spaceMap[vs] = &n
		c.spaces[&n] = struct{}{}
	}
	c.procs = make(map[int]*Process, len(e.procs))
	for pid, p := range e.procs {
		n := *p
		n.Threads = append([]int(nil), p.Threads...)
		n.VS = spaceMap[p.VS]
		n.FDs = make(map[int]*FD, len(p.FDs))
		for fd, d := range p.FDs {
			nd := *d
			nd.File = fileMap[d.File]
			n.FDs[fd] = &nd
		}
		c.procs[pid] = &n
	}
	c.threads = make(map[int]int, len(e.threads))
	for t, p := range e.threads {
		c.threads[t] = p
	}
	return &c
}

// Clone returns a runner over a clone of r's engine with the same
// variables and counters; running lines on one does not affect the other.
func (r *Runner) Clone() *Runner {
	c := *r
	c.Eng = r.Eng.Clone()
	c.vars = make(map[string]uint64, len(r.vars))
	for k, v := range r.vars {
		c.vars[k] = v
	}
	c.Fails = append([]Failure(nil), r.Fails...)
	c.argBuf = nil
	c.history = r.history.clone()
	c.files = append([]string(nil), r.files...)
	if r.lastBrk != nil {
		c.lastBrk = make(map[int]uint64, len(r.lastBrk))
		for k, v := range r.lastBrk {
			c.lastBrk[k] = v
		}
	}
	c.freshImage = make(map[int]bool, len(r.freshImage))
	for k, v := range r.freshImage {
		c.freshImage[k] = v
	}
	return &c
}
