/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The emulated Cortex-M3 (Unicorn) that runs code the host loads into SRAM
 * and starts with Go (a flasher stub), and the register-level models of the
 * STM32F1 peripherals such code may touch (periph_f1*.c).
 *
 * Time: the CPU has a modelled clock (ns, on the sim's monotonic clock).
 * Instructions take no modelled time; time moves only while the code waits,
 * which it does by polling a status register (USART_SR, FLASH_SR, RCC_CR,
 * RCC_CFGR).  When the same status reads come back unchanged, the CPU is
 * waiting: its clock jumps to the next known event (a received byte, the
 * end of a flash operation, a transmitter slot, the PLL lock) if that event
 * is not in the future of the real clock, else the emulation pauses until
 * it is.  So the CPU never runs ahead of the wire: a byte is received at
 * the modelled time the line delivers it, and a byte the code does not read
 * before the next arrives is an overrun (ORE), as on the part.  That code
 * takes no time between register accesses is the model's one optimism:
 * docs/loader.md says so.
 */
#ifndef DUTSIM_CPU_H
#define DUTSIM_CPU_H

#include <stdbool.h>
#include <stdint.h>

#include "tools/dut-sim/dutsim.h"

#define CPU_RXQ 8192u

struct cpu_rcc {
	uint32_t cr, cfgr, ahbenr, apb2enr, apb1enr;
	uint64_t pll_ready_at;		/* 0: PLL off */
};

struct cpu_flash {
	uint32_t acr, cr, sr, ar;
	int keys;			/* KEYR sequence: 0, 1 (KEY1 seen), 2 unlocked */
	bool locked_out;		/* a wrong key: locked until reset (RM0008) */
	uint64_t busy_end;		/* BSY until then */
	uint32_t sr_at_end;		/* flags set when the operation ends */
};

struct cpu_usart {
	uint32_t cr1, cr2, cr3, brr, gtpr;
	uint32_t sr_err;		/* PE FE NE ORE, cleared by SR then DR */
	bool sr_read;			/* SR read since the error (clear sequence) */
	uint8_t dr;
	bool rxne;
	uint32_t baud;			/* from BRR and PCLK2; 0: not set up */
};

struct cpu {
	struct sim *s;
	void *uc;
	uint64_t t;			/* the CPU's modelled clock (ns) */
	uint64_t wake_at;		/* paused until then (0: until a byte comes) */
	bool paused, halted;
	uint32_t pc;			/* where the code goes on */
	int idle;			/* unchanged status reads in a row */
	uint32_t last_status, last_status_addr;
	uint32_t polled[4], polled_v[4];	/* the registers a poll loop reads */
	int n_polled;
	uint64_t mmio_since_slice;
	int dark;			/* slices in a row without a register access */
	char fault[200];		/* why the CPU stopped (the model refused) */

	/* bytes from the host, stamped with their modelled arrival */
	uint8_t rxq[CPU_RXQ];
	uint64_t rxat[CPU_RXQ];
	bool rxbad[CPU_RXQ];		/* sent with another baud rate or format */
	size_t rxhead, rxlen;
	uint64_t last_rx_at;		/* the last byte's arrival */
	uint64_t overruns, framing;
	uint64_t host_check_at;
	bool host_ok;

	struct cpu_rcc rcc;
	struct cpu_flash fl;
	struct cpu_usart us;
	uint32_t gpioa[7];		/* CRL CRH IDR ODR BSRR BRR LCKR */
	uint32_t crc_dr, crc_idr;
	uint32_t afio_mapr;
};

/* periph_f1.c: reset state, and the register blocks the memory map routes
 * to.  A read or write the part would not take stops the CPU with a fault. */
void periph_reset(struct cpu *c);
uint64_t periph_read(struct cpu *c, uint32_t addr, unsigned size);
void periph_write(struct cpu *c, uint32_t addr, unsigned size, uint64_t v);
/* The next time something the code may wait for changes (0: none known). */
uint64_t periph_next_event(const struct cpu *c);
/* periph_f1_flash.c: the flash as the CPU reads and programs it */
uint64_t flashmem_read(struct cpu *c, uint32_t off, unsigned size);
void flashmem_write(struct cpu *c, uint32_t off, unsigned size, uint64_t v);
/* periph_f1_usart.c: move received bytes whose time has come into the USART */
void periph_rx_catch_up(struct cpu *c);
/* periph_f1_rcc.c */
uint32_t periph_sysclk(const struct cpu *c);

/* cpu.c */
void cpu_fault(struct cpu *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A status register was read and gave v: counts towards "waiting". */
void cpu_status_read(struct cpu *c, uint32_t addr, uint32_t v);
/* Any other access: the code is doing something, not waiting. */
void cpu_busy(struct cpu *c);

#endif
