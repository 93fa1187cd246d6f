/*
 * be_elf.h - adding a data section to an ELF object LLVM wrote (elf.c).
 */
#ifndef RESC_BE_ELF_H
#define RESC_BE_ELF_H

#include "ir.h"

/*
 * The edited object, in three parts with zeros between them: obj (the
 * object with its ELF header and the symbol's entry patched) at offset 0,
 * the section's data at data_off (to be written by the caller), tail (the
 * new section name and section header tables) at tail_off = data_off +
 * size.  obj and tail are malloc'd; both NULL when the object does not
 * refer to the symbol (then write the object as it was, without the data).
 */
typedef struct be_elf_edit {
	unsigned char *obj;
	size_t nobj;
	uint64_t data_off;
	unsigned char *tail;
	size_t ntail;
	uint64_t tail_off;
} be_elf_edit;

/*
 * Adds a SHF_ALLOC section named secname of size bytes (aligned to align, a
 * power of two) to the ELF relocatable object obj[0, n), and defines there
 * the object's undefined symbol sym, at offset 0.  0 or -1 (an internal
 * error: the object is not as LLVM writes them, or out of memory).
 */
int be_elf_add_section(const void *obj, size_t n, const char *sym, const char *secname,
                       uint64_t size, uint64_t align, be_elf_edit *out, ir_err *e);

#endif
