/* insncount: a TCG plugin for qemu-user that counts the guest instructions a process executes.
 *
 *   qemu-aarch64 -plugin libinsncount.so,out=COUNT[,sym=SYMS][,blocks=BLOCKS] ./prog
 *
 * out    "insns N", "vcpus V" and "blocks B" lines: N guest instructions executed by every thread, V the
 *        number of guest threads that ran (the count is exact for V = 1), B the translated blocks.
 * sym    "N<TAB>symbol" per symbol of the main binary (the symbol holding each block's first instruction;
 *        "?" outside the binary's symbol table: shared libraries, the dynamic loader).
 * blocks "vaddr<TAB>insns<TAB>executions<TAB>code as hex" per executed block, for cycle models.
 *
 * Debian's qemu-user 7.2 loads plugins but ships no qemu-plugin.h, so the few functions of plugin API
 * version 1 used here are declared below (qemu-aarch64 exports them). Each translated block gets one
 * inline "add 1" on its own counter, executed when the block starts; a block left early (a fault) counts
 * whole. Counters are plain 64-bit adds: with several guest threads they may lose updates, so V is
 * reported. Blocks translated again (after a flush) get a new record; the readers sum records. */
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- plugin API v1, as qemu 7.2's include/qemu/qemu-plugin.h declares it ---- */
typedef uint64_t qemu_plugin_id_t;
typedef struct qemu_info_t qemu_info_t; /* never read here */
struct qemu_plugin_tb;
struct qemu_plugin_insn;
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
typedef void (*tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*udata_cb_t)(qemu_plugin_id_t id, void *userdata);
typedef void (*vcpu_cb_t)(qemu_plugin_id_t id, unsigned int vcpu_index);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_init_cb(qemu_plugin_id_t id, vcpu_cb_t cb);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, udata_cb_t cb, void *userdata);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb, enum qemu_plugin_op op, void *ptr,
                                              uint64_t imm);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *insn);
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn);
const char *qemu_plugin_insn_symbol(const struct qemu_plugin_insn *insn);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;
/* ---- end of the API declarations ---- */

struct block {
  uint64_t executions; /* the inline counter: first, 8-byte aligned */
  uint64_t vaddr;
  uint32_t insns;
  uint32_t code_bytes;
  const char *symbol;  /* qemu's own string for the ELF symbol, or NULL */
  unsigned char *code; /* only when blocks= is given */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct block **all;
static size_t n_all, cap_all;
static unsigned vcpus;
static char *out_path, *sym_path, *blocks_path;

static void on_vcpu_init(qemu_plugin_id_t id, unsigned int vcpu_index) {
  (void)id;
  (void)vcpu_index;
  pthread_mutex_lock(&lock);
  vcpus++;
  pthread_mutex_unlock(&lock);
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
  (void)id;
  struct block *b = calloc(1, sizeof *b);
  size_t n = qemu_plugin_tb_n_insns(tb);
  if (!b || n == 0) {
    free(b);
    return;
  }
  b->vaddr = qemu_plugin_tb_vaddr(tb);
  b->insns = (uint32_t)n;
  b->symbol = qemu_plugin_insn_symbol(qemu_plugin_tb_get_insn(tb, 0));
  if (blocks_path) {
    for (size_t i = 0; i < n; i++) b->code_bytes += qemu_plugin_insn_size(qemu_plugin_tb_get_insn(tb, i));
    b->code = malloc(b->code_bytes);
    size_t at = 0;
    for (size_t i = 0; b->code && i < n; i++) {
      struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
      memcpy(b->code + at, qemu_plugin_insn_data(insn), qemu_plugin_insn_size(insn));
      at += qemu_plugin_insn_size(insn);
    }
    if (!b->code) b->code_bytes = 0;
  }
  pthread_mutex_lock(&lock);
  if (n_all == cap_all) {
    size_t cap = cap_all ? 2 * cap_all : 4096;
    struct block **grown = realloc(all, cap * sizeof *grown);
    if (!grown) {
      pthread_mutex_unlock(&lock);
      fprintf(stderr, "insncount: out of memory\n");
      abort();
    }
    all = grown;
    cap_all = cap;
  }
  all[n_all++] = b;
  pthread_mutex_unlock(&lock);
  qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &b->executions, 1);
}

static int by_symbol(const void *pa, const void *pb) {
  const struct block *a = *(struct block *const *)pa, *b = *(struct block *const *)pb;
  return strcmp(a->symbol ? a->symbol : "?", b->symbol ? b->symbol : "?");
}

static FILE *open_or_warn(const char *path) {
  FILE *f = fopen(path, "w");
  if (!f) perror(path);
  return f;
}

static void write_symbols(const char *path) {
  FILE *f = open_or_warn(path);
  if (!f) return;
  qsort(all, n_all, sizeof *all, by_symbol);
  for (size_t i = 0; i < n_all;) {
    uint64_t sum = 0;
    size_t j = i;
    for (; j < n_all && by_symbol(&all[i], &all[j]) == 0; j++) sum += all[j]->executions * all[j]->insns;
    if (sum) fprintf(f, "%" PRIu64 "\t%s\n", sum, all[i]->symbol ? all[i]->symbol : "?");
    i = j;
  }
  fclose(f);
}

static void write_blocks(const char *path) {
  FILE *f = open_or_warn(path);
  if (!f) return;
  for (size_t i = 0; i < n_all; i++) {
    const struct block *b = all[i];
    if (!b->executions) continue;
    fprintf(f, "%" PRIx64 "\t%u\t%" PRIu64 "\t", b->vaddr, b->insns, b->executions);
    for (uint32_t k = 0; k < b->code_bytes; k++) fprintf(f, "%02x", b->code[k]);
    fputc('\n', f);
  }
  fclose(f);
}

static void on_exit_(qemu_plugin_id_t id, void *userdata) {
  (void)id;
  (void)userdata;
  pthread_mutex_lock(&lock);
  uint64_t total = 0;
  for (size_t i = 0; i < n_all; i++) total += all[i]->executions * all[i]->insns;
  FILE *f = open_or_warn(out_path);
  if (f) {
    fprintf(f, "insns %" PRIu64 "\nvcpus %u\nblocks %zu\n", total, vcpus, n_all);
    fclose(f);
  }
  if (blocks_path) write_blocks(blocks_path);
  if (sym_path) write_symbols(sym_path); /* sorts the records: last */
  pthread_mutex_unlock(&lock);
}

__attribute__((visibility("default"))) int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                                               int argc, char **argv) {
  (void)info;
  for (int i = 0; i < argc; i++) {
    char *eq = strchr(argv[i], '=');
    if (!eq) goto bad;
    *eq = '\0';
    if (!strcmp(argv[i], "out")) out_path = strdup(eq + 1);
    else if (!strcmp(argv[i], "sym")) sym_path = strdup(eq + 1);
    else if (!strcmp(argv[i], "blocks")) blocks_path = strdup(eq + 1);
    else goto bad;
    continue;
  bad:
    fprintf(stderr, "insncount: unknown argument '%s' (out=FILE, sym=FILE, blocks=FILE)\n", argv[i]);
    return -1;
  }
  if (!out_path) {
    fprintf(stderr, "insncount: out=FILE is required\n");
    return -1;
  }
  qemu_plugin_register_vcpu_init_cb(id, on_vcpu_init);
  qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
  qemu_plugin_register_atexit_cb(id, on_exit_, NULL);
  return 0;
}
