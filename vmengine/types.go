package vmengine

import (
	"fmt"
	"strings"
)

// Prot is a protection: VM_PROT_READ 1, VM_PROT_WRITE 2, VM_PROT_EXECUTE 4.
type Prot uint8

// Protections (FreeBSD vm.h; Linux uses the same bits).
const (
	ProtNone  Prot = 0
	ProtRead  Prot = 1
	ProtWrite Prot = 2
	ProtExec  Prot = 4
	ProtAll   Prot = 7
)

// Subset reports whether every bit of p is in q.
func (p Prot) Subset(q Prot) bool { return p&^q == 0 }

// String returns "rwx"-style text ("r-x", "---").
func (p Prot) String() string {
	b := []byte("---")
	if p&ProtRead != 0 {
		b[0] = 'r'
	}
	if p&ProtWrite != 0 {
		b[1] = 'w'
	}
	if p&ProtExec != 0 {
		b[2] = 'x'
	}
	return string(b)
}

// Inherit is an entry's fork inheritance (vm_inherit_t).
type Inherit uint8

// Inheritance values (FreeBSD sys/mman.h INHERIT_*).
const (
	InheritShare Inherit = 0
	InheritCopy  Inherit = 1
	InheritNone  Inherit = 2
	InheritZero  Inherit = 3
)

func (i Inherit) String() string {
	switch i {
	case InheritShare:
		return "share"
	case InheritCopy:
		return "copy"
	case InheritNone:
		return "none"
	case InheritZero:
		return "zero"
	}
	return fmt.Sprintf("inherit(%d)", uint8(i))
}

// EFlags are vm_map_entry eflags, with FreeBSD's values.
type EFlags uint32

// Entry flags (FreeBSD vm_map.h MAP_ENTRY_*).
const (
	EntryNoSync       EFlags = 0x1
	EntryIsSubMap     EFlags = 0x2
	EntryCOW          EFlags = 0x4
	EntryNeedsCopy    EFlags = 0x8
	EntryNoFault      EFlags = 0x10
	EntryUserWired    EFlags = 0x20
	EntryBehavSeq     EFlags = 0x40
	EntryBehavRandom  EFlags = 0x80
	EntryBehavMask    EFlags = 0xc0
	EntryInTransition EFlags = 0x100
	EntryNoCoreDump   EFlags = 0x400
	EntryVnExec       EFlags = 0x800
	EntryGrowsDown    EFlags = 0x1000
	EntryGrowsUp      EFlags = 0x2000
	EntryWriteCnt     EFlags = 0x8000
	EntryGuard        EFlags = 0x10000
	EntryStackGapDn   EFlags = 0x20000
	EntryStackGapUp   EFlags = 0x40000

	// entryNoMerge are the flags that keep an entry from ever being merged
	// (vm_map_try_merge_entries' MAP_ENTRY_NOMERGE_MASK).
	entryNoMerge = EntryGrowsDown | EntryGrowsUp | EntryInTransition | EntryIsSubMap | EntryVnExec
)

var eflagNames = []struct {
	f    EFlags
	name string
}{
	{EntryNoSync, "NOSYNC"}, {EntryIsSubMap, "SUBMAP"}, {EntryCOW, "COW"}, {EntryNeedsCopy, "NC"},
	{EntryNoFault, "NOFAULT"}, {EntryUserWired, "USER_WIRED"}, {EntryBehavSeq, "SEQ"},
	{EntryBehavRandom, "RANDOM"}, {EntryInTransition, "IN_TRANSITION"}, {EntryNoCoreDump, "NOCORE"},
	{EntryVnExec, "VN_EXEC"}, {EntryGrowsDown, "GROWS_DOWN"}, {EntryGrowsUp, "GROWS_UP"},
	{EntryWriteCnt, "WRITECNT"}, {EntryGuard, "GUARD"}, {EntryStackGapDn, "STACK_GAP_DN"},
	{EntryStackGapUp, "STACK_GAP_UP"},
}

// String lists the flags by name, joined with '|'.
func (f EFlags) String() string {
	var parts []string
	for _, n := range eflagNames {
		if f&n.f != 0 {
			parts = append(parts, n.name)
		}
	}
	return strings.Join(parts, "|")
}

// Kern is a Mach/FreeBSD KERN_* result code.
type Kern int

// KERN_* values (sys/vm/vm_param.h / mach/kern_return.h).
const (
	KernSuccess           Kern = 0
	KernInvalidAddress    Kern = 1
	KernProtectionFailure Kern = 2
	KernNoSpace           Kern = 3
	KernInvalidArgument   Kern = 4
	KernFailure           Kern = 5
	KernResourceShortage  Kern = 6
	KernNotReceiver       Kern = 7
	KernNoAccess          Kern = 8
	KernOutOfBounds       Kern = 9
)

var kernNames = map[Kern]string{
	KernSuccess: "KERN_SUCCESS", KernInvalidAddress: "KERN_INVALID_ADDRESS",
	KernProtectionFailure: "KERN_PROTECTION_FAILURE", KernNoSpace: "KERN_NO_SPACE",
	KernInvalidArgument: "KERN_INVALID_ARGUMENT", KernFailure: "KERN_FAILURE",
	KernResourceShortage: "KERN_RESOURCE_SHORTAGE", KernNotReceiver: "KERN_NOT_RECEIVER",
	KernNoAccess: "KERN_NO_ACCESS", KernOutOfBounds: "KERN_OUT_OF_BOUNDS",
}

func (k Kern) String() string {
	if s, ok := kernNames[k]; ok {
		return s
	}
	return fmt.Sprintf("KERN(%d)", int(k))
}

// ObjID names a VM object within an engine. Zero means "no object".
type ObjID uint32

// Entry is one vm_map_entry: a contiguous range of a map with one object,
// protection and set of attributes. It is a small value type; the map stores
// entries by value, ordered by Start.
type Entry struct {
	Start, End uint64
	Object     ObjID  // 0: none yet (lazily allocated anonymous memory)
	Offset     uint64 // byte offset of Start within Object; for stack-gap entries, see GapProt
	Prot       Prot
	MaxProt    Prot
	Inherit    Inherit
	Flags      EFlags
	Wired      uint16 // wired_count: system wirings + 1 if EntryUserWired
	Charged    bool   // entry->cred != NULL: the entry holds its own swap charge

	// Linux personality state (zero under FreeBSD).
	LFlags LinuxFlags // hidden VM_* flags that take part in merging
	Name   NameID     // anonymous VMA name (prctl PR_SET_VMA_ANON_NAME) or label: Engine.EntryName
	PKey   uint8      // protection key
	// FileDesc is the open file description mapped (vm_file; FD.Desc):
	// mappings of one file through two opens never merge. 0: none or
	// unknown.
	FileDesc uint32
}

// Size returns End-Start.
func (e *Entry) Size() uint64 { return e.End - e.Start }

// IsGuard reports whether e is a guard or stack-gap reservation.
func (e *Entry) IsGuard() bool { return e.Flags&EntryGuard != 0 }

// GapProt is the protection a stack grown into this gap entry receives
// (FreeBSD keeps it in the gap entry's offset since the fix for PR 272585).
func (e *Entry) GapProt() Prot { return Prot(e.Offset) }

func (e Entry) String() string {
	return fmt.Sprintf("[%#x-%#x) %s/%s obj=%d off=%#x inh=%s wired=%d flags=%s",
		e.Start, e.End, e.Prot, e.MaxProt, e.Object, e.Offset, e.Inherit, e.Wired, e.Flags)
}

// LinuxFlags are the VMA flags of the Linux personality that /proc/PID/maps
// does not show but that decide merging (see linux-replay-notes.md).
type LinuxFlags uint32

// Linux hidden VMA flags.
const (
	LinuxAccount      LinuxFlags = 1 << iota // VM_ACCOUNT
	LinuxNoReserve                           // VM_NORESERVE
	LinuxDontCopy                            // VM_DONTCOPY (MADV_DONTFORK)
	LinuxNoHugePage                          // VM_NOHUGEPAGE
	LinuxHugePage                            // VM_HUGEPAGE
	LinuxWipeOnFork                          // VM_WIPEONFORK
	LinuxLocked                              // VM_LOCKED
	LinuxLockOnFault                         // VM_LOCKONFAULT
	LinuxDontDump                            // VM_DONTDUMP
	LinuxShared                              // VM_SHARED
	LinuxMayShare                            // VM_MAYSHARE
	LinuxGrowsDown                           // VM_GROWSDOWN
	LinuxDontExpand                          // VM_DONTEXPAND
	LinuxIO                                  // VM_IO|VM_PFNMAP (special, never merges)
	LinuxSeqRead                             // VM_SEQ_READ
	LinuxRandRead                            // VM_RAND_READ
	LinuxMergeable                           // VM_MERGEABLE
	LinuxSoftDirty                           // VM_SOFTDIRTY (ignored by merging)
	LinuxStackNoMerge                        // MAP_STACK on 6.7+ (VM_NOHUGEPAGE via stack)
	LinuxDroppable                           // VM_DROPPABLE (MAP_DROPPABLE, 6.11+)
	LinuxSpecial                             // a special mapping ([vvar], [vdso]): may_split refuses
	LinuxForkedAnon                          // the anon_vma chain is not singular (a fork child's): no merge with a VMA without anon_vma
)

// Signal is the outcome of a memory access.
type Signal uint8

// Signals and their si_code, as the kernel would deliver them.
const (
	SigNone Signal = iota
	SigSEGVMapErr
	SigSEGVAccErr
	SigBUSObjErr
	SigBUSAdrErr
	SigBUSOOMErr
	SigSEGVPkuErr
)

// Name returns the signal name ("SIGSEGV", "SIGBUS", "").
func (s Signal) Name() string {
	switch s {
	case SigSEGVMapErr, SigSEGVAccErr, SigSEGVPkuErr:
		return "SIGSEGV"
	case SigBUSObjErr, SigBUSAdrErr, SigBUSOOMErr:
		return "SIGBUS"
	}
	return ""
}

// Code returns the si_code name ("SEGV_MAPERR", ...).
func (s Signal) Code() string {
	switch s {
	case SigSEGVMapErr:
		return "SEGV_MAPERR"
	case SigSEGVAccErr:
		return "SEGV_ACCERR"
	case SigSEGVPkuErr:
		return "SEGV_PKUERR"
	case SigBUSObjErr:
		return "BUS_OBJERR"
	case SigBUSAdrErr:
		return "BUS_ADRERR"
	case SigBUSOOMErr:
		return "BUS_OOMERR"
	}
	return ""
}

// Why names the kernel rule that raised the signal.
func (s Signal) Why() string {
	switch s {
	case SigSEGVMapErr:
		return "no map entry holds the address (vm_map_lookup: KERN_INVALID_ADDRESS)"
	case SigSEGVAccErr:
		return "the entry's protection does not allow this access, or it is a guard or stack gap (vm_map_lookup: KERN_PROTECTION_FAILURE)"
	case SigBUSObjErr:
		return "the page lies past the end of the file (vm_fault: KERN_OUT_OF_BOUNDS)"
	case SigBUSAdrErr:
		return "the page lies past the end of the file (filemap_fault: VM_FAULT_SIGBUS)"
	case SigBUSOOMErr:
		return "no memory for the page (KERN_RESOURCE_SHORTAGE)"
	case SigSEGVPkuErr:
		return "the page's protection key forbids data access: execute-only memory (x86 PKU)"
	}
	return ""
}

func (s Signal) String() string {
	if s == SigNone {
		return "none"
	}
	return s.Name() + " " + s.Code()
}

// Access is the kind of a memory access.
type Access uint8

// Access kinds; the values match the protection bit they need.
const (
	AccessRead  Access = Access(ProtRead)
	AccessWrite Access = Access(ProtWrite)
	AccessExec  Access = Access(ProtExec)
)
