// SPDX-License-Identifier: Apache-2.0
/*
 * Go into SRAM: the code there (a flasher stub) runs on an emulated
 * Cortex-M3 (Unicorn), its peripheral accesses routed to periph_f1*.c, its
 * time kept as cpu.h describes.  AN3155 (Go command): the ROM loads MSP from
 * the address and jumps to the address + 4; before that it has put the
 * peripherals it used back to their reset state (AN2606), so the code starts
 * from reset values: HSI at 8 MHz, USART1 and GPIOA clocks off.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicorn/unicorn.h>

#include "tools/dut-sim/cpu.h"

#define SLICE_INSNS 200000
#define IDLE_READS 3		/* unchanged status reads in a row: waiting */
#define MAX_DARK_SLICES 500	/* slices without a register access: hung */

static uc_engine *UC(struct cpu *c)
{
	return c->uc;
}

void cpu_fault(struct cpu *c, const char *fmt, ...)
{
	va_list ap;

	if (c->halted)
		return;
	va_start(ap, fmt);
	vsnprintf(c->fault, sizeof(c->fault), fmt, ap);
	va_end(ap);
	c->halted = true;
	c->s->stub_faults++;
	sim_log("stub: CPU stopped: %s", c->fault);
	uc_emu_stop(UC(c));
}

void cpu_busy(struct cpu *c)
{
	c->idle = 0;
	c->mmio_since_slice++;
}

void cpu_status_read(struct cpu *c, uint32_t addr, uint32_t v)
{
	uint64_t ev;

	c->mmio_since_slice++;
	/* the same value again from the same register, with nothing done in
	 * between but other status reads: the code is polling */
	if (v == c->last_status && addr == c->last_status_addr) {
		c->idle++;
	} else if (c->idle && c->n_polled < 4) {
		bool seen = false;

		for (int i = 0; i < c->n_polled; i++)
			seen |= c->polled[i] == addr && c->polled_v[i] == v;
		c->idle += seen;
		if (!seen) {
			c->polled[c->n_polled] = addr;
			c->polled_v[c->n_polled++] = v;
		}
	} else {
		c->idle = 1;
		c->n_polled = 1;
		c->polled[0] = addr;
		c->polled_v[0] = v;
	}
	c->last_status = v;
	c->last_status_addr = addr;
	if (c->idle < IDLE_READS)
		return;
	c->idle = 0;
	c->n_polled = 0;
	ev = periph_next_event(c);
	if (ev && ev <= sim_now_ns()) {
		c->t = ev;		/* the event has come: on at once */
		return;
	}
	c->paused = true;
	c->wake_at = ev;
	uc_emu_stop(UC(c));
}

/* One callback pair per mapped block of registers. */
#define BLOCK(name, base)                                                                 \
	static uint64_t name##_rd(uc_engine *uc, uint64_t off, unsigned size, void *u)    \
	{                                                                                 \
		return periph_read(u, (uint32_t)((base) + off), size);                    \
	}                                                                                 \
	static void name##_wr(uc_engine *uc, uint64_t off, unsigned size, uint64_t v,     \
			      void *u)                                                    \
	{                                                                                 \
		periph_write(u, (uint32_t)((base) + off), size, v);                       \
	}
BLOCK(apb2, 0x40010000u)
BLOCK(ahb, 0x40021000u)
BLOCK(sysmem, 0x1FFFF000u)

static uint64_t flash_rd(uc_engine *uc, uint64_t off, unsigned size, void *u)
{
	return flashmem_read(u, (uint32_t)off, size);
}

static void flash_wr(uc_engine *uc, uint64_t off, unsigned size, uint64_t v, void *u)
{
	flashmem_write(u, (uint32_t)off, size, v);
}

static bool on_invalid(uc_engine *uc, uc_mem_type type, uint64_t addr, int size, int64_t v,
		       void *u)
{
	cpu_fault(u, "%s of %d bytes at 0x%08llx: nothing is mapped there (a bus fault)",
		  type == UC_MEM_FETCH_UNMAPPED || type == UC_MEM_FETCH_PROT ? "instruction fetch" :
		  type == UC_MEM_WRITE_UNMAPPED || type == UC_MEM_WRITE_PROT ? "write" : "read",
		  size, (unsigned long long)addr);
	return false;
}

static void on_intr(uc_engine *uc, uint32_t intno, void *u)
{
	uint32_t pc = 0;

	uc_reg_read(uc, UC_ARM_REG_PC, &pc);
	cpu_fault(u, "exception %u at pc 0x%08x (no vector table is modelled)", intno, pc);
}

void cpu_free(struct sim *s)
{
	struct cpu *c = s->cpu;

	if (!c)
		return;
	if (c->uc)
		uc_close(c->uc);
	free(c);
	s->cpu = NULL;
	s->stub_baud = 0;
	s->byte_ns = s->fast ? 0 : (uint64_t)s->frame_bits * 1000000000ull / s->baud;
}

/* uc_hook_add takes its callback as void * (POSIX lets a function pointer
 * travel as one; ISO C needs the copy). */
static void *as_ptr(void (*fn)(void))
{
	void *p;

	_Static_assert(sizeof(p) == sizeof(fn), "function pointers fit in void *");
	memcpy(&p, &fn, sizeof(p));
	return p;
}

static int map_all(struct cpu *c)
{
	struct sim *s = c->s;
	uc_engine *uc = c->uc;
	uc_hook h1, h2;
	uint64_t fsz = (s->flash_size + 0xFFFu) & ~0xFFFull;

	if (uc_ctl_set_cpu_model(uc, UC_CPU_ARM_CORTEX_M3) ||
	    uc_mem_map_ptr(uc, RAM_BASE, RAM_SIZE, UC_PROT_ALL, s->ram) ||
	    uc_mmio_map(uc, FLASH_BASE, fsz, flash_rd, c, flash_wr, c) ||
	    uc_mmio_map(uc, 0x1FFFF000u, 0x1000, sysmem_rd, c, sysmem_wr, c) ||
	    uc_mmio_map(uc, 0x40010000u, 0x4000, apb2_rd, c, apb2_wr, c) ||
	    uc_mmio_map(uc, 0x40021000u, 0x3000, ahb_rd, c, ahb_wr, c) ||
	    uc_hook_add(uc, &h1, UC_HOOK_MEM_INVALID, as_ptr((void (*)(void))on_invalid), c, 1, 0) ||
	    uc_hook_add(uc, &h2, UC_HOOK_INTR, as_ptr((void (*)(void))on_intr), c, 1, 0))
		return -1;
	return 0;
}

int cpu_go(struct sim *s, uint32_t addr, uint64_t when)
{
	struct cpu *c;
	uint32_t msp, pc;

	cpu_free(s);
	if (s->faults.stub_silent) {
		sim_log("fault stub-silent: Go 0x%08x: the code never starts", addr);
		return -1;
	}
	if (addr < RAM_BASE || addr + 8 > RAM_BASE + RAM_SIZE || (addr & 3)) {
		sim_log("stub: Go 0x%08x: not a word in SRAM", addr);
		return -1;
	}
	memcpy(&msp, s->ram + (addr - RAM_BASE), 4);
	memcpy(&pc, s->ram + (addr - RAM_BASE) + 4, 4);
	if (!(pc & 1) || pc < RAM_BASE || pc >= RAM_BASE + RAM_SIZE || (msp & 3) ||
	    msp <= RAM_BASE || msp > RAM_BASE + RAM_SIZE) {
		sim_log("stub: Go 0x%08x: MSP 0x%08x, reset vector 0x%08x: not code in SRAM "
			"(a HardFault on the part)", addr, msp, pc);
		return -1;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -1;
	c->s = s;
	c->t = when;
	c->host_ok = true;
	periph_reset(c);
	if (uc_open(UC_ARCH_ARM, UC_MODE_THUMB | UC_MODE_MCLASS, (uc_engine **)&c->uc) ||
	    map_all(c) || uc_reg_write(c->uc, UC_ARM_REG_SP, &msp)) {
		sim_log("stub: cannot start the emulated Cortex-M3");
		if (c->uc)
			uc_close(c->uc);
		free(c);
		return -1;
	}
	c->pc = pc;
	s->cpu = c;
	s->stub_runs++;
	sim_log("stub: Go 0x%08x: MSP 0x%08x, entry 0x%08x", addr, msp, pc & ~1u);
	return 0;
}

void cpu_run(struct sim *s)
{
	struct cpu *c = s->cpu;
	uint64_t now = sim_now_ns();

	if (!c || c->halted)
		return;
	for (int slice = 0; slice < 64 && !c->halted; slice++) {
		uc_err err;

		if (c->paused) {
			uint64_t ev = periph_next_event(c);

			if (!ev || ev > now)
				return;
			c->t = ev;
			c->paused = false;
		}
		c->mmio_since_slice = 0;
		err = uc_emu_start(c->uc, c->pc | 1, 0, 0, SLICE_INSNS);
		uc_reg_read(c->uc, UC_ARM_REG_PC, &c->pc);
		if (err != UC_ERR_OK && !c->halted)
			cpu_fault(c, "%s at pc 0x%08x", uc_strerror(err), c->pc);
		if (c->halted)
			return;
		c->dark = c->mmio_since_slice ? 0 : c->dark + 1;
		if (c->dark > MAX_DARK_SLICES)
			cpu_fault(c, "%d instructions without a register access: the code hangs",
				  MAX_DARK_SLICES * SLICE_INSNS);
	}
}

int64_t cpu_next_due_ns(const struct sim *s)
{
	const struct cpu *c = s->cpu;
	uint64_t now, ev;

	if (!c || c->halted)
		return -1;
	if (!c->paused)
		return 0;
	ev = periph_next_event(c);
	if (!ev)
		return -1;
	now = sim_now_ns();
	return ev > now ? (int64_t)(ev - now) : 0;
}

void cpu_describe(const struct sim *s, char *out, size_t cap)
{
	const struct cpu *c = s->cpu;

	if (!c) {
		snprintf(out, cap, "stub=off stub_runs=%u stub_faults=%u", s->stub_runs,
			 s->stub_faults);
		return;
	}
	snprintf(out, cap, "stub=%s stub_runs=%u stub_faults=%u stub_baud=%u sysclk=%u "
		 "overruns=%llu framing=%llu", c->halted ? "halted" : "running", s->stub_runs,
		 s->stub_faults, c->us.baud, periph_sysclk(c), (unsigned long long)c->overruns,
		 (unsigned long long)c->framing);
}

const char *cpu_fault_text(const struct sim *s)
{
	return s->cpu && s->cpu->halted ? s->cpu->fault : NULL;
}
