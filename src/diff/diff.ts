/**
 * Semantic difference of two versions of a layout: what a reviewer needs to know about a change
 * to a spec, one entry per change. Variants are matched by name, regions by name (a region that
 * disappears while another with a new name covers exactly its range is a rename), parameters,
 * constants and KASLR groups by name. Only resolved meaning is compared (bounds at the
 * parameters' defaults, parameter ranges, attributes, exported names, KASLR reach): a spec that
 * was only reformatted or reordered has no changes.
 */
import type { KaslrGroup, Layout, Param, Region } from "../model/layout.js";
import { archOf } from "../arch/registry.js";
import { describeMisfit, kaslrMemberSizes, proveKaslr } from "../model/kaslr.js";
import { hex, paramAlign, paramNumber, range, shortHex, size } from "../model/format.js";

export type ChangeKind =
  | "variant-added"
  | "variant-removed"
  | "paging"
  | "region-added"
  | "region-removed"
  | "region-renamed"
  | "region-moved"
  | "region-resized"
  | "region-attribute"
  | "export-renamed"
  | "param-added"
  | "param-removed"
  | "param-changed"
  | "constant-added"
  | "constant-removed"
  | "constant-changed"
  | "kaslr-added"
  | "kaslr-removed"
  | "kaslr-changed";

export interface Change {
  readonly kind: ChangeKind;
  /** The variant both versions share (null for a spec without variants). */
  readonly variant: string | null;
  /** The region, parameter, constant, group or variant the change is about. */
  readonly subject: string;
  /** One line for a reviewer, without the subject: "grown from 32 TiB to 64 TiB (...)". */
  readonly detail: string;
}

/**
 * The changes from `before` to `after` (each one Layout per variant), in a stable order. When
 * one side has no variants and the other has, the single layout is compared with each variant.
 */
export function diffLayouts(before: readonly Layout[], after: readonly Layout[]): Change[] {
  const changes: Change[] = [];
  const unvaried = (ls: readonly Layout[]): boolean => ls.length === 1 && ls[0]!.variant === null;
  if (unvaried(before) !== unvaried(after)) {
    for (const old of before) for (const now of after) diffLayout(old, now, changes);
    return changes;
  }
  const key = (l: Layout): string => l.variant ?? "";
  const afterByVariant = new Map(after.map((l) => [key(l), l]));
  const beforeKeys = new Set(before.map(key));
  for (const old of before) {
    const now = afterByVariant.get(key(old));
    if (now === undefined) changes.push(variantChange("variant-removed", old, "removed"));
    else diffLayout(old, now, changes);
  }
  for (const now of after) {
    if (!beforeKeys.has(key(now))) changes.push(variantChange("variant-added", now, "added"));
  }
  return changes;
}

function variantChange(kind: ChangeKind, l: Layout, what: string): Change {
  return { kind, variant: l.variant, subject: `variant ${l.variant ?? "(none)"}`, detail: what };
}

function diffLayout(old: Layout, now: Layout, out: Change[]): void {
  const push = (kind: ChangeKind, subject: string, detail: string): void => {
    out.push({ kind, variant: now.variant ?? old.variant, subject, detail });
  };
  const [before, after] = [archOf(old.paging).mode, archOf(now.paging).mode];
  if (before !== after) push("paging", "paging", `${before} -> ${after}`);
  diffRegions(old, now, push);
  diffParams(old.params, now.params, push);
  diffNamed(old.constants, now.constants, "const", push, (a, b) => {
    const notes: string[] = [];
    if (a.value.value !== b.value.value) {
      notes.push(`value ${shortHex(a.value.value)} -> ${shortHex(b.value.value)}`);
    }
    if (a.exportName !== b.exportName)
      notes.push(`exported as ${b.exportName}, was ${a.exportName}`);
    return notes;
  });
  diffKaslr(old, now, push);
}

type Push = (kind: ChangeKind, subject: string, detail: string) => void;

const extent = (r: Region): string =>
  `${range(r.start.value, r.end.value)} (${size(r.size.value)})`;

function diffRegions(old: Layout, now: Layout, push: Push): void {
  const nowByName = new Map(now.regions.map((r) => [r.name, r]));
  const oldNames = new Set(old.regions.map((r) => r.name));
  const removed = old.regions.filter((r) => !nowByName.has(r.name));
  const added = now.regions.filter((r) => !oldNames.has(r.name));
  // A rename: a region gone and a new one over exactly the same range, of the same kind.
  const sameRange = (a: Region, b: Region): boolean =>
    a.start.value === b.start.value && a.end.value === b.end.value && a.kind === b.kind;
  const renamedTo = new Map<Region, Region>();
  for (const r of removed) {
    const match = added.find((a) => sameRange(r, a) && ![...renamedTo.values()].includes(a));
    if (match) renamedTo.set(r, match);
  }
  const renamedTargets = new Set(renamedTo.values());

  for (const r of old.regions) {
    const n = nowByName.get(r.name) ?? renamedTo.get(r);
    if (n === undefined) {
      push("region-removed", r.name, `removed: was ${extent(r)}`);
      continue;
    }
    if (n.name !== r.name) push("region-renamed", r.name, `renamed to \`${n.name}\`: ${extent(n)}`);
    compareRegion(r, n, (kind, detail) => push(kind, n.name, detail));
  }
  for (const n of added) {
    if (!renamedTargets.has(n)) push("region-added", n.name, `added: ${extent(n)}`);
  }
}

function compareRegion(
  a: Region,
  b: Region,
  push: (kind: ChangeKind, detail: string) => void,
): void {
  const moved = a.start.value !== b.start.value;
  const delta = b.size.value - a.size.value;
  if (delta !== 0n) {
    const how = delta > 0n ? "grown" : "shrunk";
    const by = size(delta > 0n ? delta : -delta);
    push(
      "region-resized",
      `${how} by ${by}, ${size(a.size.value)} -> ${size(b.size.value)}: ${range(a.start.value, a.end.value)} -> ${range(b.start.value, b.end.value)}`,
    );
  } else if (moved) {
    const d = b.start.value - a.start.value;
    const by = `${d > 0n ? "up" : "down"} by ${size(d > 0n ? d : -d)}`;
    push(
      "region-moved",
      `moved ${by}: ${range(a.start.value, a.end.value)} -> ${range(b.start.value, b.end.value)}`,
    );
  }
  const attrs: [string, string, string][] = [
    ["kind", a.kind, b.kind],
    ["parent", a.parent ?? "(top level)", b.parent ?? "(top level)"],
    ["map", mapText(a), mapText(b)],
    ["permissions", a.perm ?? "(none)", b.perm ?? "(none)"],
    ["user", String(a.user), String(b.user)],
    ["global", String(a.global), String(b.global)],
    ["per_process", String(a.perProcess), String(b.perProcess)],
    ["cache", a.cache ?? "(default)", b.cache ?? "(default)"],
    ["largest page", pageText(a.maxPage), pageText(b.maxPage)],
    ["align", pageText(a.align?.value), pageText(b.align?.value)],
    ["depends on", a.dependsOn.join(", ") || "(nothing)", b.dependsOn.join(", ") || "(nothing)"],
    ["description", JSON.stringify(a.description ?? ""), JSON.stringify(b.description ?? "")],
  ];
  for (const [what, x, y] of attrs) {
    if (x !== y) push("region-attribute", `${what}: ${x} -> ${y}`);
  }
  if (a.exportName !== b.exportName) {
    push("export-renamed", `exported as ${b.exportName}, was ${a.exportName}`);
  }
}

function mapText(r: Region): string {
  const m = r.map;
  if (m === undefined) return "(unspecified)";
  return m.kind === "phys" ? `phys ${hex(m.base)}` : m.kind;
}

const pageText = (v: bigint | undefined): string => (v === undefined ? "(default)" : size(v));

function diffParams(old: readonly Param[], now: readonly Param[], push: Push): void {
  diffNamed(old, now, "param", push, (a, b) => {
    const notes: string[] = [];
    if (a.type !== b.type) notes.push(`type ${a.type} -> ${b.type}`);
    if (a.min !== b.min || a.max !== b.max) {
      notes.push(`range ${paramRange(a)} -> ${paramRange(b)}`);
    }
    if (a.default !== b.default)
      notes.push(`default ${paramNumber(a, a.default)} -> ${paramNumber(b, b.default)}`);
    if (a.align !== b.align)
      notes.push(`align ${paramAlign(a, a.align)} -> ${paramAlign(b, b.align)}`);
    if (a.exportName !== b.exportName)
      notes.push(`exported as ${b.exportName}, was ${a.exportName}`);
    return notes;
  });
}

const paramRange = (p: Param): string =>
  p.type === "count" ? `${p.min}..${p.max}` : range(p.min, p.max);

const KINDS = {
  param: { added: "param-added", removed: "param-removed", changed: "param-changed" },
  const: { added: "constant-added", removed: "constant-removed", changed: "constant-changed" },
} as const satisfies Record<string, Record<string, ChangeKind>>;

/** Added, removed and changed items matched by name; `compare` lists what changed. */
function diffNamed<T extends { readonly name: string }>(
  old: readonly T[],
  now: readonly T[],
  noun: "param" | "const",
  push: Push,
  compare: (a: T, b: T) => string[],
): void {
  const nowByName = new Map(now.map((x) => [x.name, x]));
  const oldNames = new Set(old.map((x) => x.name));
  for (const a of old) {
    const b = nowByName.get(a.name);
    const subject = `${noun} ${a.name}`;
    if (b === undefined) push(KINDS[noun].removed, subject, "removed");
    else for (const note of compare(a, b)) push(KINDS[noun].changed, subject, note);
  }
  for (const b of now) {
    if (!oldNames.has(b.name)) push(KINDS[noun].added, `${noun} ${b.name}`, "added");
  }
}

/** Where each member may start over every slide, and the slide's entropy in bits. */
function reach(layout: Layout, g: KaslrGroup): string[] {
  const proof = proveKaslr(g, kaslrMemberSizes(layout, g));
  if (!proof.fits) return [describeMisfit(g, proof)];
  return proof.members.map((m, i) => {
    const slots = (m.maxStart - m.minStart) / g.align + 1n;
    const bits = slots.toString(2).length - 1;
    return `\`${g.members[i]!.name}\` starts in ${range(m.minStart, m.maxStart)} (${slots} slot${slots === 1n ? "" : "s"}, ${bits} bits)`;
  });
}

function diffKaslr(old: Layout, now: Layout, push: Push): void {
  const nowByName = new Map(now.kaslr.map((g) => [g.name, g]));
  for (const a of old.kaslr) {
    const b = nowByName.get(a.name);
    const subject = `kaslr ${a.name}`;
    if (b === undefined) {
      push("kaslr-removed", subject, "removed");
      continue;
    }
    if (a.rangeStart !== b.rangeStart || a.rangeEnd !== b.rangeEnd) {
      push(
        "kaslr-changed",
        subject,
        `range ${range(a.rangeStart, a.rangeEnd)} -> ${range(b.rangeStart, b.rangeEnd)}`,
      );
    }
    if (a.align !== b.align)
      push("kaslr-changed", subject, `align ${size(a.align)} -> ${size(b.align)}`);
    const names = (g: KaslrGroup): string => g.members.map((m) => m.name).join(", ");
    if (names(a) !== names(b)) push("kaslr-changed", subject, `members ${names(a)} -> ${names(b)}`);
    const ra = reach(old, a);
    const rb = reach(now, b);
    if (names(a) === names(b)) {
      ra.forEach((x, i) => {
        if (x !== rb[i])
          push(
            "kaslr-changed",
            subject,
            `${x} -> now ${rb[i]!.replace(/^`[^`]*` starts in /, "")}`,
          );
      });
    }
  }
  const oldNames = new Set(old.kaslr.map((g) => g.name));
  for (const b of now.kaslr) {
    if (!oldNames.has(b.name))
      push("kaslr-added", `kaslr ${b.name}`, `added: ${range(b.rangeStart, b.rangeEnd)}`);
  }
}
