// The addresses the QEMU differential tests (x86-64 and RISC-V) ask both page walkers about,
// and how their answers are compared.
import type { Installation } from "../../../src/runtime/install.js";
import { expectedMappings } from "../../../src/runtime/install-plan.js";
import { seededRandom } from "../../../src/model/kaslr.js";

const TOP = 1n << 64n;

/**
 * Boundary addresses of one installed address space (of every segment, expected mapping and
 * page run) and `random` seeded ones inside mappings, segments and recursive slots, or anywhere.
 */
export function spaceAddresses(
  inst: Installation,
  process: number,
  seed: bigint,
  random: number,
): bigint[] {
  const set = new Set<bigint>();
  const add = (va: bigint): void => {
    if (va >= 0n && va < TOP) set.add(va);
  };
  for (const s of inst.segments) {
    add(s.start);
    add(s.end - 1n);
    add(s.start + 0xfffn);
    add(s.start + 0x1000n);
    add(s.start - 1n);
    add(s.start + (s.end - s.start) / 2n);
  }
  const expected = expectedMappings(inst.instance, inst.segments, process);
  for (const x of expected) {
    add(x.va);
    add(x.end - 1n);
    add(x.end);
    add(x.va - 1n);
  }
  for (const r of inst.runs.filter((r) => r.process === 0 || r.process === process)) {
    add(r.va);
    add(r.va + r.bytes - 1n);
    add(r.va + BigInt(r.size));
    add(r.va + BigInt(r.size) - 1n);
  }
  const rand = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T | undefined =>
    xs.length === 0 ? undefined : xs[Number(rand() % BigInt(xs.length))];
  const recursive = inst.segments.filter((s) => s.mapping === "recursive");
  for (let i = 0; i < random; i++) {
    const kind = Number(rand() % 20n);
    if (kind < 8) {
      const x = pick(expected);
      if (x) add(x.va + (rand() % (x.end - x.va)));
    } else if (kind < 14) {
      const s = pick(inst.segments);
      if (s) add(s.start + (rand() % (s.end - s.start)));
    } else if (kind < 17 && recursive.length > 0) {
      const s = pick(recursive)!;
      add(s.start + (rand() % (s.end - s.start)));
    } else {
      add(rand());
    }
  }
  return [...set].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

const hex = (v: bigint | undefined): string => (v === undefined ? "none" : `0x${v.toString(16)}`);

/**
 * One line per address where vmlayout's walk (`ours`: the physical address, or undefined for a
 * fault) and QEMU's answer (`qemu[i]` for `vas[i]`) differ, prefixed with `label`.
 */
export function disagreements(
  vas: readonly bigint[],
  qemu: readonly (bigint | undefined)[],
  ours: (va: bigint) => bigint | undefined,
  label = "",
): string[] {
  const out: string[] = [];
  vas.forEach((va, i) => {
    const pa = ours(va);
    if (pa !== qemu[i]) out.push(`${label}${hex(va)}: emulator ${hex(pa)}, QEMU ${hex(qemu[i])}`);
  });
  return out;
}
