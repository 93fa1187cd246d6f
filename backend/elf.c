/*
 * elf.c - the weights as a section added to the ELF object LLVM wrote.
 *
 * Given as initializers of LLVM globals, a model's weights go through
 * LLVM's constant arrays, the MC layer's data fragments and the object
 * writer, each copying them: on resnet50 (100 MB) that was about half of
 * code generation and most of the compiler's peak memory.  So when the
 * output is an ELF object, llvm.c leaves the large constants out of the
 * module: the code refers to them as offsets from one undefined symbol,
 * and once LLVM has written the object, this file adds a read-only
 * section that holds them and defines the symbol at its start.
 *
 * In ELF that is a small edit, and nothing LLVM wrote moves, so its
 * relocations (symbol + addend, against the symbol's table entry) hold:
 *   - the symbol's table entry is rewritten in place (section index, size,
 *     object type; binding and visibility stay as LLVM wrote them);
 *   - the section's data goes after the object's bytes;
 *   - a copy of the section name table with the new name appended, and a
 *     copy of the section header table with the new header appended, go
 *     after the data; the ELF header points to them.  The old copies stay
 *     in the file, unreferenced (a few KiB).
 * Only 64-bit little-endian relocatable objects are edited (x86-64 and
 * AArch64, the targets resc supports); anything else is an internal error,
 * since LLVM wrote the file.
 */
#include "be_elf.h"

#include <elf.h>
#include <stdlib.h>
#include <string.h>

static uint64_t
align_up(uint64_t x, uint64_t a)
{
	return (x + a - 1) & ~(a - 1);
}

int
be_elf_add_section(const void *obj, size_t n, const char *sym, const char *secname,
                   uint64_t size, uint64_t align, be_elf_edit *out, ir_err *e)
{
	const unsigned char *p = obj;
	Elf64_Ehdr eh;
	memset(out, 0, sizeof *out);
	if (n < sizeof eh)
		return ir_errf(e, "internal: object file too short");
	memcpy(&eh, p, sizeof eh);
	if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_type != ET_REL)
		return ir_errf(e, "internal: object file is not a 64-bit little-endian ELF object");
	uint64_t shnum = eh.e_shnum;
	if (eh.e_shentsize != sizeof(Elf64_Shdr) || shnum == 0 || shnum + 1 >= SHN_LORESERVE ||
	    eh.e_shstrndx >= shnum || eh.e_shoff > n || (n - eh.e_shoff) / sizeof(Elf64_Shdr) < shnum)
		return ir_errf(e, "internal: unexpected section header table in the object file");

	Elf64_Shdr *sh = malloc((shnum + 1) * sizeof *sh);
	if (!sh)
		return ir_errf(e, "out of memory");
	memcpy(sh, p + eh.e_shoff, shnum * sizeof *sh);
	for (uint64_t i = 0; i < shnum; i++)
		if (sh[i].sh_type != SHT_NOBITS && (sh[i].sh_offset > n || sh[i].sh_size > n - sh[i].sh_offset)) {
			free(sh);
			return ir_errf(e, "internal: section %d of the object file out of bounds", (int)i);
		}

	/* the symbol, undefined so far */
	uint64_t symoff = 0;
	for (uint64_t i = 0; i < shnum && !symoff; i++) {
		if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_entsize != sizeof(Elf64_Sym) ||
		    sh[i].sh_link >= shnum)
			continue;
		const Elf64_Shdr *st = &sh[sh[i].sh_link];
		for (uint64_t off = 0; off + sizeof(Elf64_Sym) <= sh[i].sh_size; off += sizeof(Elf64_Sym)) {
			Elf64_Sym s;
			memcpy(&s, p + sh[i].sh_offset + off, sizeof s);
			size_t len = strlen(sym);
			if (s.st_name < st->sh_size && st->sh_size - s.st_name > len &&
			    memcmp(p + st->sh_offset + s.st_name, sym, len + 1) == 0) {
				if (s.st_shndx != SHN_UNDEF) {
					free(sh);
					return ir_errf(e, "internal: symbol %s already defined in the object", sym);
				}
				symoff = sh[i].sh_offset + off;
				break;
			}
		}
	}
	if (!symoff) { /* nothing refers to it: no section to add */
		free(sh);
		return 0;
	}

	const Elf64_Shdr *names = &sh[eh.e_shstrndx];
	size_t ln = strlen(secname) + 1;
	uint64_t data_off = align_up(n, align);
	uint64_t names_off = data_off + size;
	uint64_t hdr_off = align_up(names_off + names->sh_size + ln, 8);
	size_t ntail = (size_t)(hdr_off - names_off) + (shnum + 1) * sizeof *sh;
	unsigned char *copy = malloc(n), *tail = calloc(1, ntail);
	if (!copy || !tail) {
		free(sh);
		free(copy);
		free(tail);
		return ir_errf(e, "out of memory");
	}
	memcpy(copy, p, n);

	/* names: the old table, then the new section's name */
	memcpy(tail, p + names->sh_offset, names->sh_size);
	memcpy(tail + names->sh_size, secname, ln);
	uint32_t name_idx = (uint32_t)names->sh_size;
	sh[eh.e_shstrndx].sh_offset = names_off;
	sh[eh.e_shstrndx].sh_size += ln;

	sh[shnum] = (Elf64_Shdr){
		.sh_name = name_idx,
		.sh_type = SHT_PROGBITS,
		.sh_flags = SHF_ALLOC,
		.sh_offset = data_off,
		.sh_size = size,
		.sh_addralign = align,
	};
	memcpy(tail + (hdr_off - names_off), sh, (shnum + 1) * sizeof *sh);
	free(sh);

	Elf64_Sym s;
	memcpy(&s, copy + symoff, sizeof s);
	s.st_shndx = (Elf64_Section)shnum;
	s.st_value = 0;
	s.st_size = size;
	s.st_info = ELF64_ST_INFO(ELF64_ST_BIND(s.st_info), STT_OBJECT);
	memcpy(copy + symoff, &s, sizeof s);

	eh.e_shoff = hdr_off;
	eh.e_shnum = (Elf64_Half)(shnum + 1);
	memcpy(copy, &eh, sizeof eh);

	out->obj = copy;
	out->nobj = n;
	out->data_off = data_off;
	out->tail = tail;
	out->ntail = ntail;
	out->tail_off = names_off;
	return 0;
}
