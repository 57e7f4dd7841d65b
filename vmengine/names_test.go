package vmengine

import (
	"reflect"
	"strings"
	"testing"
)

// TestEntryHoldsNoPointer keeps Entry pointer-free, so that the map's slab
// stays memory the garbage collector does not scan (see NameID).
func TestEntryHoldsNoPointer(t *testing.T) {
	var walk func(reflect.Type) string
	walk = func(ty reflect.Type) string {
		switch ty.Kind() {
		case reflect.Pointer, reflect.String, reflect.Slice, reflect.Map, reflect.Chan,
			reflect.Func, reflect.Interface, reflect.UnsafePointer:
			return ty.String()
		case reflect.Array:
			return walk(ty.Elem())
		case reflect.Struct:
			for i := 0; i < ty.NumField(); i++ {
				if bad := walk(ty.Field(i).Type); bad != "" {
					return ty.Field(i).Name + " " + bad
				}
			}
		}
		return ""
	}
	for _, ty := range []reflect.Type{reflect.TypeFor[Entry](), reflect.TypeFor[mapKey](), reflect.TypeFor[slotLink]()} {
		if bad := walk(ty); bad != "" {
			t.Errorf("%v holds a pointer: field %s", ty, bad)
		}
	}
}

// TestNameTable: names intern to stable ids in order of first use, "" is 0,
// and a clone keeps the ids but grows on its own.
func TestNameTable(t *testing.T) {
	var nt nameTable
	if id := nt.intern(""); id != 0 {
		t.Fatalf(`intern("") = %d, want 0`, id)
	}
	a, b := nt.intern("[stack]"), nt.intern("buf")
	if a != 1 || b != 2 || nt.intern("[stack]") != a {
		t.Fatalf("ids %d %d, again %d; want 1 2 1", a, b, nt.intern("[stack]"))
	}
	c := nt.clone()
	if c.text(a) != "[stack]" || c.text(b) != "buf" || c.text(0) != "" {
		t.Fatalf("clone lost names: %q %q %q", c.text(a), c.text(b), c.text(0))
	}
	if id := c.intern("other"); id != 3 || c.text(3) != "other" {
		t.Fatalf("clone's new id %d text %q", id, c.text(3))
	}
	if len(nt.texts) != 2 || nt.intern("other") != 3 || len(nt.texts) != 3 {
		t.Fatalf("the original changed with its clone, or did not grow on its own: %q", nt.texts)
	}
}

// TestEntryNamesInMaps: names set by prctl and labels from an exec image show
// in the maps listing, and entries named alike merge while others do not.
func TestEntryNamesInMaps(t *testing.T) {
	pers, _ := PersonalityByName("linux")
	r := NewRunner(pers)
	p, err := r.Eng.NewProcess(0)
	if err != nil {
		t.Fatal(err)
	}
	call := func(name string, args ...uint64) uint64 {
		t.Helper()
		a := make([]Arg, len(args))
		for i, v := range args {
			a[i].Val = v
		}
		res, known := r.Pers.Syscall(r.Eng, p, name, a)
		if !known || res.Failed() {
			t.Fatalf("%s%v: %v", name, args, res)
		}
		return res.Ret
	}
	const page = 4096
	addr := call("mmap", 0, 3*page, 3, 0x22, ^uint64(0), 0) // PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS
	// prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, addr, len, name)
	set := func(a, n uint64, name string) {
		t.Helper()
		args := []Arg{{Val: 0x53564d41}, {Val: 0}, {Val: a}, {Val: n}, {Str: name, IsStr: true}}
		res, known := r.Pers.Syscall(r.Eng, p, "prctl", args)
		if !known || res.Failed() {
			t.Fatalf("prctl name %q: %v", name, res)
		}
	}
	set(addr, page, "one")
	set(addr+2*page, page, "one")
	if n := p.VS.Map.NEntries; n != 3 {
		t.Fatalf("%d entries after naming two pages apart, want 3", n)
	}
	set(addr+page, page, "one")
	en, ok := p.VS.Map.Lookup(addr)
	if !ok || en.End != addr+3*page || r.Eng.EntryName(&en) != "one" {
		t.Fatalf("named alike, the three pages should merge into one entry named one; got %v %q", en, r.Eng.EntryName(&en))
	}
	if got := r.Eng.FormatMaps(p); !strings.Contains(got, "[anon:one]") {
		t.Fatalf("maps do not show [anon:one]:\n%s", got)
	}
}
