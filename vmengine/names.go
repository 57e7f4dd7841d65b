package vmengine

// NameID is an entry's name (a Linux anonymous VMA name set with
// prctl(PR_SET_VMA_ANON_NAME), the path a private /dev/zero mapping keeps,
// or an exec image's label such as "[stack]") as an index into the engine's
// name table; 0 is no name. Entries hold the index instead of the string so
// that an Entry holds no pointer: the map's slab of entries is then memory
// the garbage collector never scans, and copying an entry needs no write
// barrier. Two entries have the same name exactly when their NameIDs are
// equal.
type NameID uint32

// nameTable interns entry names for one engine. Names are never removed:
// there are few distinct ones (labels and prctl names), and an id stays
// valid for the engine's life and in its clones.
type nameTable struct {
	ids   map[string]NameID
	texts []string // texts[id-1] is the name of id
}

// intern returns the id of s, adding s to the table if it is new; "" is 0.
// Post: text(intern(s)) == s, and ids are given out in order of first use,
// so the same calls give the same ids (the engine stays deterministic).
func (t *nameTable) intern(s string) NameID {
	if s == "" {
		return 0
	}
	if id, ok := t.ids[s]; ok {
		return id
	}
	if t.ids == nil {
		t.ids = make(map[string]NameID)
	}
	t.texts = append(t.texts, s)
	id := NameID(len(t.texts))
	t.ids[s] = id
	return id
}

// text returns the name id stands for ("" for 0). Pre: id came from intern
// on this table or the table it was cloned from.
func (t *nameTable) text(id NameID) string {
	if id == 0 {
		return ""
	}
	return t.texts[id-1]
}

// clone returns a table with the same ids that shares nothing mutable with t.
func (t *nameTable) clone() nameTable {
	c := nameTable{texts: append([]string(nil), t.texts...)}
	if t.ids != nil {
		c.ids = make(map[string]NameID, len(t.ids))
		for s, id := range t.ids {
			c.ids[s] = id
		}
	}
	return c
}

// EntryName returns the name of en ("" when it has none): see NameID.
func (e *Engine) EntryName(en *Entry) string { return e.names.text(en.Name) }
