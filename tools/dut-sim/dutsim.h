/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dut-sim internals: one simulated fixture + board per process, driven by a
 * single-threaded poll() loop.  Everything the board does is a function of
 * the bytes it receives, the fixture lines and a modelled device clock, so
 * tests can assert exact modelled times (status: wire_us, prog_us, ...)
 * without ever asserting elapsed time.
 */
#ifndef DUTSIM_H
#define DUTSIM_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tools/simlib/fwimg.h"

/* The memory map of the STM32 parts dut-sim models (chip.c) */
#define FLASH_BASE 0x08000000u
#define FLASH_MAX_KIB 1024
#define FLASH_PAGE 2048u	/* f103 pages */
#define FLASH_MAX_SECT (FLASH_MAX_KIB * 1024 / FLASH_PAGE)
#define RAM_BASE 0x20000000u
#define RAM_SIZE (64u * 1024)
#define OPT_BASE 0x1FFFF800u
#define OPT_SIZE 16u

#define CONSOLE_LINE_MAX 256
#define TXQ_CAP (64u * 1024)
#define TX_BURST 16u	/* bytes handed to the host at once (wire.c) */

enum mode { MODE_OFF, MODE_ROM, MODE_DIAG, MODE_PROD, MODE_DEAD, MODE_STUB };

enum line { LINE_POWER, LINE_BOOT, LINE_RESET, LINE_LID, LINE_LED_PASS,
	    LINE_LED_FAIL, LINE_COUNT };

/* Active faults (fault.c). Counters count down from when the fault was set. */
struct faults {
	bool silent, garbage, corrupt_flash, no_se, selftest_fail;
	uint32_t drop_byte;		/* 0: off; else drop the Nth byte sent */
	uint32_t nack_block;		/* 0: off; else NACK the Nth Write Memory */
	bool nack_always;		/* ...and every later write to that address */
	bool nack_addr_set;
	uint32_t nack_addr;
	uint32_t late_ack;		/* 0: off; else the Nth Write Memory's final ACK... */
	uint32_t late_ack_ms;		/* ...leaves this late (the block is programmed) */
	uint32_t corrupt_ack;		/* 0: off; else the Nth Write Memory's final ACK
					 * has one bit flipped on the wire (0x79 -> 0x59) */
	int32_t disconnect_after;	/* -1: off */
	uint32_t slow_se_ms;
	bool se_rekey;			/* next se write-cert end: the slot's key changes first */
	char rail_name[8];		/* "" : no rail override fault */
	double rail_volts;
	bool stub_silent;		/* Go into SRAM: the code never starts */
	uint32_t stub_corrupt;		/* 0: off; else damage the Nth byte the stub gets */
	bool crc_unit_bad;		/* the CRC unit's result has bit 0 flipped */
};

struct rail_override {
	char name[8];
	double volts;
};

/* The longest frame the ROM collects: Extended Erase naming every page,
 * N (2 bytes) + 2 bytes a page + checksum (AN3155 3.9).  Write Memory's
 * N + 256 + checksum is shorter. */
#define ROM_FRAME_MAX (2 + 2 * FLASH_MAX_SECT + 1)
_Static_assert(ROM_FRAME_MAX >= 1 + 256 + 1, "a Write Memory frame must fit");

/* AN3155 receive state (rom.c); RAM state, lost on power off */
struct rom {
	int state;
	uint8_t cmd;
	uint8_t buf[ROM_FRAME_MAX];
	size_t have, want;
	int phase;
	uint32_t addr;
};

struct se;

struct sim {
	/* configuration */
	const char *pty_path, *ctrl_path, *state_path, *serial;
	uint32_t baud, frame_bits;
	bool fast;
	uint32_t flash_size;
	uint32_t t_prog_us, t_erase_ms, t_mass_erase_ms;
	uint16_t pid;			/* what Get ID answers */
	uint32_t prog_unit;		/* bytes programmed at once (t_prog_us each) */
	bool prog_erased_only;		/* F1: a half-word not 0xFFFF is refused (PGERR) */
	uint32_t size_reg;		/* the flash size register's address... */
	uint8_t size_kib[2];		/* ...and what it reads: KiB, little-endian */
	uint32_t n_sect;		/* erase units: pages or sectors */
	uint32_t sect_off[FLASH_MAX_SECT], sect_size[FLASH_MAX_SECT];
	uint32_t sect_erase_ms[FLASH_MAX_SECT];
	struct rail_override rails[8];
	int n_rails;

	/* fixture lines and what the board is doing */
	int line[LINE_COUNT];
	enum mode mode;
	struct fwimg_hdr fw;		/* the running firmware (diag/prod) */

	/* memory */
	uint8_t *flash;
	uint8_t ram[RAM_SIZE];
	int state_fd;
	int fw_cache;			/* -1 unknown, 0 none, 1 valid in fw_flash */
	struct fwimg_hdr fw_flash;

	/* serial console: pty and the modelled wire */
	int master_fd, slave_fd;
	char slave_name[64];
	bool pty_open, close_pending;
	uint64_t close_at;		/* disconnect fault: when the port goes */
	uint64_t byte_ns;		/* time of one frame on the wire */
	uint64_t rx_clock, tx_clock;	/* device time (ns) the wires are busy until */
	uint64_t now_dev;		/* arrival time of the byte being handled */
	uint64_t busy_until;		/* flash programming / erase in progress */
	uint8_t txq[TXQ_CAP];
	uint64_t txdue[TXQ_CAP];
	size_t txhead, txlen;

	/* modelled-time counters, reported by status */
	uint64_t rx_bytes, tx_bytes, prog_us, erase_us;

	struct rom rom;
	char line_buf[CONSOLE_LINE_MAX + 1];
	size_t line_len;
	bool line_overflow;
	uint32_t rail_reads;

	struct faults faults;
	struct se *se;
	struct cpu *cpu;		/* code run from SRAM (cpu.c); NULL: none */
	uint32_t stub_baud;		/* the USART's rate set by that code (0: the ROM's) */
	uint64_t stub_tx_bytes;
	uint64_t stub_rx_bytes, stub_wire_ns;	/* bytes both ways at that rate, their time */
	uint32_t stub_runs, stub_faults;
	uint64_t rng;
	bool quit;
};

/* chip.c: which part, and its flash layout (after the options) */
struct chip_args {
	const char *name;		/* f103 (NULL: the default) or f407 */
	uint32_t flash_kib;
	bool flash_kib_given, t_erase_given, t_prog_given, t_mass_given;
};
int chip_setup(struct sim *s, const struct chip_args *c);

/* main.c */
uint64_t sim_now_ns(void);
void sim_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
uint32_t sim_random(struct sim *s);

/* wire.c: the pty and the paced, modelled wire */
int wire_open(struct sim *s);
void wire_close(struct sim *s);
void wire_read(struct sim *s);
void wire_flush(struct sim *s);
int64_t wire_next_due_ns(const struct sim *s);
void wire_send(struct sim *s, const void *buf, size_t len, uint64_t ready);
void wire_printf(struct sim *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void wire_drop_pending(struct sim *s);
uint64_t wire_us(const struct sim *s);

/* board.c: lines, modes, flash */
int board_init(struct sim *s);
void board_free(struct sim *s);
int board_load_image(struct sim *s, const char *path);
void board_set_line(struct sim *s, enum line l, int v);
void board_run_flash(struct sim *s, uint64_t when);
void board_input(struct sim *s, uint8_t b);
const char *board_mode_name(enum mode m);
int board_flash_image(struct sim *s, struct fwimg_hdr *h);
/* Program n bytes at addr as the part's flash does (board.c): 0 and the
 * modelled time in *us, or -1 with the reason in why (the part refused:
 * what came before the refused unit is programmed, as on the part). */
int flash_program(struct sim *s, uint32_t addr, const uint8_t *d, size_t n, uint32_t *us,
		  char *why, size_t cap);
int64_t flash_erase_pages(struct sim *s, uint32_t first, uint32_t count);
void flash_erase_all(struct sim *s);
const uint8_t *mem_map(struct sim *s, uint32_t addr, size_t len, bool write);

/* cpu.c: code started by Go in SRAM, on an emulated Cortex-M3 (cpu.h) */
int cpu_go(struct sim *s, uint32_t addr, uint64_t when);
void cpu_free(struct sim *s);
void cpu_rx(struct sim *s, uint8_t b);
void cpu_run(struct sim *s);
int64_t cpu_next_due_ns(const struct sim *s);	/* -1: nothing to wait for */
void cpu_describe(const struct sim *s, char *out, size_t cap);
const char *cpu_fault_text(const struct sim *s);

/* rom.c: the AN3155 ROM bootloader */
void rom_reset(struct sim *s);
void rom_input(struct sim *s, uint8_t b);

/* console.c: the firmware consoles */
void console_boot(struct sim *s, uint64_t when);
void console_input(struct sim *s, uint8_t b);
void console_say(struct sim *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void console_hex(char *out, const uint8_t *b, size_t n);

/* fault.c */
int fault_apply(struct sim *s, const char *spec, char *why, size_t cap);
void fault_describe(const struct sim *s, char *out, size_t cap);
extern const char fault_help[];

/* ctrl.c: the control socket (server) and --ctl (client) */
int ctrl_listen(struct sim *s);
int ctrl_pollfds(struct sim *s, struct pollfd *pfds, int max);
void ctrl_handle(struct sim *s, const struct pollfd *pfds, int n);
void ctrl_close(struct sim *s);
int ctrl_client(const char *sock, char **cmds, int n);

/* term.c: --console client for shell tests */
int term_client(int argc, char **argv);

/* se.c: the simulated secure element */
struct se_opts {
	const char *cert, *key, *chain;
	const char *chip;	/* the chip serial, 16 hex digits; NULL: from the board's */
	const char *ca_cert, *ca_key, *ca_chain, *masa_url;
};
struct se *se_create(const struct se_opts *o, const char *board_serial,
		     const char *state_path);
void se_free(struct se *se);
const char *se_chip_serial(const struct se *se);
const char *se_cert_pem(const struct se *se);
const char *se_key_type(const struct se *se);
int se_sign(struct se *se, const uint8_t *msg, size_t len, uint8_t *sig,
	    size_t cap, size_t *sig_len);
struct se_slots *se_get_slots(struct se *se);

/* se_slots.c: key slots 1..SE_SLOTS-1 (slot 0 is the factory identity).
 * Each returns 0, or -1 with the reason in why. */
#define SE_SLOTS 4
struct se_slots;
struct se_slots *se_slots_new(const char *state_path);
void se_slots_free(struct se_slots *ss);
int se_slots_keygen(struct se_slots *ss, int slot, char *spki_hash, size_t hcap, char *why,
		    size_t cap);
int se_slots_csr(struct se_slots *ss, int slot, const char *subject, char *pem, size_t pcap,
		 char *why, size_t cap);
/* op: "begin", "data" (b64: a base64 chunk), "end" (*written: DER bytes stored) */
int se_slots_write(struct se_slots *ss, int slot, const char *op, const char *b64,
		   size_t *written, char *why, size_t cap);
int se_slots_cert_pem(struct se_slots *ss, int slot, char *pem, size_t pcap, char *why,
		      size_t cap);
int se_slots_sign(struct se_slots *ss, int slot, const uint8_t *msg, size_t len, uint8_t *sig,
		  size_t cap, size_t *sig_len, char *why, size_t wcap);
void se_slots_describe(struct se_slots *ss, int slot, char *out, size_t cap);
void se_slots_rekey(struct se_slots *ss, int slot);

/* se_cmd.c: the diagnostic firmware's se commands (the SE is present) */
void se_command(struct sim *s, const char *args);

#endif
