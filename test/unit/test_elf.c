/*
 * test_elf.c - be_elf_add_section (backend/elf.c) on a hand-made ELF object:
 * the section and the symbol it defines, the tables it rewrites, and the
 * objects it must refuse.  (Objects LLVM writes are checked by
 * test/cross/check.py and linked and run by the zoo/link tests.)
 */
#include "be_elf.h"

#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fails;
#define CHECK(c) \
	do { \
		if (!(c)) { \
			fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #c); \
			fails++; \
		} \
	} while (0)

/* null, .shstrtab, .strtab, .symtab: symbols null, local "l" (abs), undefined "w" */
static const char shstr[] = "\0.shstrtab\0.strtab\0.symtab";
static const char str[] = "\0l\0w\0";

static size_t
make_object(unsigned char *buf, const char *undef_name)
{
	Elf64_Ehdr eh = {0};
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_REL;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_ehsize = sizeof eh;
	eh.e_shentsize = sizeof(Elf64_Shdr);
	eh.e_shnum = 4;
	eh.e_shstrndx = 1;
	size_t off = sizeof eh;
	size_t o_shstr = off;
	memcpy(buf + off, shstr, sizeof shstr);
	off += sizeof shstr;
	size_t o_str = off;
	char s2[sizeof str];
	memcpy(s2, str, sizeof str);
	s2[3] = undef_name[0];
	memcpy(buf + off, s2, sizeof str);
	off += sizeof str;
	off = (off + 7) & ~(size_t)7;
	size_t o_sym = off;
	Elf64_Sym syms[3] = {{0},
		{.st_name = 1, .st_info = ELF64_ST_INFO(STB_LOCAL, STT_NOTYPE), .st_shndx = SHN_ABS},
		{.st_name = 3, .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_NOTYPE), .st_other = STV_HIDDEN,
		 .st_shndx = SHN_UNDEF}};
	memcpy(buf + off, syms, sizeof syms);
	off += sizeof syms;
	eh.e_shoff = off;
	Elf64_Shdr sh[4] = {{0},
		{.sh_name = 1, .sh_type = SHT_STRTAB, .sh_offset = o_shstr, .sh_size = sizeof shstr, .sh_addralign = 1},
		{.sh_name = 11, .sh_type = SHT_STRTAB, .sh_offset = o_str, .sh_size = sizeof str, .sh_addralign = 1},
		{.sh_name = 19, .sh_type = SHT_SYMTAB, .sh_offset = o_sym, .sh_size = sizeof syms,
		 .sh_link = 2, .sh_info = 2, .sh_addralign = 8, .sh_entsize = sizeof(Elf64_Sym)}};
	memcpy(buf + off, sh, sizeof sh);
	off += sizeof sh;
	memcpy(buf, &eh, sizeof eh);
	return off;
}

int
main(void)
{
	unsigned char obj[4096];
	size_t n = make_object(obj, "w");
	ir_err e = {0};
	be_elf_edit ed;

	/* the edit */
	CHECK(be_elf_add_section(obj, n, "w", ".rodata.x", 1000, 64, &ed, &e) == 0);
	CHECK(ed.obj && ed.tail && ed.nobj == n);
	CHECK(ed.data_off >= n && ed.data_off % 64 == 0 && ed.tail_off == ed.data_off + 1000);
	if (ed.obj && ed.tail) {
		/* the whole file as it would be written, data bytes 0xab */
		size_t total = (size_t)ed.tail_off + ed.ntail;
		unsigned char *f = calloc(1, total);
		memcpy(f, ed.obj, ed.nobj);
		memset(f + ed.data_off, 0xab, 1000);
		memcpy(f + ed.tail_off, ed.tail, ed.ntail);
		Elf64_Ehdr eh;
		memcpy(&eh, f, sizeof eh);
		CHECK(eh.e_shnum == 5 && eh.e_shoff % 8 == 0 && eh.e_shoff + 5 * sizeof(Elf64_Shdr) == total);
		Elf64_Shdr sh[5];
		memcpy(sh, f + eh.e_shoff, sizeof sh);
		CHECK(sh[4].sh_type == SHT_PROGBITS && sh[4].sh_flags == SHF_ALLOC &&
		      sh[4].sh_offset == ed.data_off && sh[4].sh_size == 1000 && sh[4].sh_addralign == 64);
		CHECK(strcmp((char *)f + sh[1].sh_offset + sh[4].sh_name, ".rodata.x") == 0);
		CHECK(strcmp((char *)f + sh[1].sh_offset + sh[3].sh_name, ".symtab") == 0);
		CHECK(sh[1].sh_offset + sh[1].sh_size <= eh.e_shoff);
		Elf64_Sym s[3];
		memcpy(s, f + sh[3].sh_offset, sizeof s);
		CHECK(s[2].st_shndx == 4 && s[2].st_value == 0 && s[2].st_size == 1000 &&
		      ELF64_ST_TYPE(s[2].st_info) == STT_OBJECT && ELF64_ST_BIND(s[2].st_info) == STB_GLOBAL &&
		      s[2].st_other == STV_HIDDEN);
		CHECK(s[1].st_shndx == SHN_ABS); /* the other symbol untouched */
		CHECK(f[ed.data_off] == 0xab && f[ed.data_off + 999] == 0xab);
		free(f);
	}
	free(ed.obj);
	free(ed.tail);

	/* the input is not modified */
	unsigned char again[4096];
	CHECK(make_object(again, "w") == n && memcmp(again, obj, n) == 0);

	/* no such symbol: nothing to do */
	CHECK(be_elf_add_section(obj, n, "zz", ".rodata.x", 10, 64, &ed, &e) == 0 && !ed.obj && !ed.tail);

	/* refused */
	CHECK(be_elf_add_section(obj, 10, "w", ".rodata.x", 10, 64, &ed, &e) == -1);
	CHECK(strstr(e.msg, "internal"));
	unsigned char bad[4096];
	memcpy(bad, obj, n);
	bad[EI_CLASS] = ELFCLASS32;
	CHECK(be_elf_add_section(bad, n, "w", ".rodata.x", 10, 64, &ed, &e) == -1);
	memcpy(bad, obj, n);
	Elf64_Ehdr eh;
	memcpy(&eh, bad, sizeof eh);
	eh.e_shoff = n - 8; /* table past the end */
	memcpy(bad, &eh, sizeof eh);
	CHECK(be_elf_add_section(bad, n, "w", ".rodata.x", 10, 64, &ed, &e) == -1);
	memcpy(bad, obj, n);
	size_t m = make_object(bad, "l"); /* "w" renamed: l is the absolute symbol too */
	CHECK(be_elf_add_section(bad, m, "l", ".rodata.x", 10, 64, &ed, &e) == -1);
	CHECK(strstr(e.msg, "already defined"));

	if (fails)
		return 1;
	printf("test_elf: ok\n");
	return 0;
}
