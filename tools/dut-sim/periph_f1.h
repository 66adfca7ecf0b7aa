/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The STM32F1 peripheral models shared between their files (private to
 * dut-sim; cpu.h has what the CPU calls).  One file per peripheral:
 *   periph_f1.c        the bus: which register block an address reaches,
 *                      reset state, the next event; GPIOA, AFIO, CRC and the
 *                      device signature (small enough to live there)
 *   periph_f1_rcc.c    RCC: clocks, PLL, prescalers
 *   periph_f1_flash.c  the flash interface (FPEC) and the flash itself
 *   periph_f1_usart.c  USART1 and the host's side of the line
 */
#ifndef DUTSIM_PERIPH_F1_H
#define DUTSIM_PERIPH_F1_H

#include <stdint.h>

#include "tools/dut-sim/cpu.h"

#define RCC 0x40021000u
#define FLASHIF 0x40022000u
#define CRCU 0x40023000u
#define USART1 0x40013800u
#define GPIOA 0x40010800u
#define AFIO 0x40010000u
#define SIG_SIZE 0x1FFFF7E0u
#define SIG_UID 0x1FFFF7E8u

/* periph_f1_rcc.c */
uint64_t f1_rcc_read(struct cpu *c, uint32_t off);
void f1_rcc_write(struct cpu *c, uint32_t off, uint32_t v);
uint32_t f1_pclk2(const struct cpu *c);
/* flash wait states SYSCLK hz needs (RM0008 3.3.3) */
unsigned f1_wait_states(uint32_t hz);

/* periph_f1_flash.c */
uint64_t f1_flash_if_read(struct cpu *c, uint32_t off);
void f1_flash_if_write(struct cpu *c, uint32_t off, uint32_t v);

/* periph_f1_usart.c */
uint64_t f1_usart_read(struct cpu *c, uint32_t off);
void f1_usart_write(struct cpu *c, uint32_t off, uint32_t v);
/* the USART's rate from BRR and PCLK2 (BRR or the clocks changed) */
void f1_usart_rate(struct cpu *c);

#endif
