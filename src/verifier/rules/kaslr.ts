/**
 * E0211-E0213: every KASLR group's members fit in its range, keep their order, and stay inside
 * the range for every slide (the proof is in src/model/kaslr.ts).
 */
import { constant, minus } from "../../model/affine.js";
import { rat } from "../../model/rational.js";
import type { KaslrGroup, Region } from "../../model/layout.js";
import type { Label } from "../../diagnostics/diagnostic.js";
import { type Context, type Rule, nameLabel } from "../context.js";
import { allow, hex, list, range, shortHex, size, tick } from "../../model/format.js";
import { refuteAtLeast, refuteAtMost } from "../proof.js";
import { type KaslrProof, isPowerOfTwo, padOf, proveKaslr } from "../../model/kaslr.js";

export const rule: Rule = { name: "kaslr", codes: ["E0211", "E0212", "E0213"], check: checkKaslr };

function checkKaslr(ctx: Context): void {
  for (const group of ctx.layout.kaslr) checkGroup(ctx, group);
}

function checkGroup(ctx: Context, g: KaslrGroup): void {
  const members: Region[] = [];
  for (const m of g.members) {
    const r = ctx.byName.get(m.name);
    // Unknown members are the compiler's E0118; broken ones are already reported.
    if (!r || !ctx.usable(r)) return;
    members.push(r);
  }
  const rangeLabel: Label = {
    span: g.rangeSpan,
    message: `KASLR range ${range(g.rangeStart, g.rangeEnd)}`,
  };
  checkOverlapWithFixed(ctx, g, members, rangeLabel);
  if (members.length === 0) return;
  if (!isPowerOfTwo(g.align)) {
    ctx.report("E0213", members, g.span, () => ({
      message: `KASLR group ${tick(g.name)} aligns to ${shortHex(g.align)}, which is not a power of two`,
      help: "use a power of two for the group's `align` (Linux uses 1 GiB, `PUD_SIZE`)",
    }));
    return;
  }
  const pads = members.map((r) => padOf(r, ctx.domains));
  const orderOk = checkOrder(ctx, g, members, rangeLabel);
  const proof = proveKaslr(g, pads);
  if (!proof.fits) {
    if (proof.reason === "align") return; // reported above
    ctx.report("E0213", members, g.rangeSpan, () => ({
      message: `the members of KASLR group ${tick(g.name)} need ${size(proof.need)} but its range is only ${size(proof.available)}`,
      labels: [
        rangeLabel,
        ...members.map((r, i) => nameLabel(r, `${tick(r.name)} is ${size(pads[i]!)}`)),
      ],
      notes: ["each member reserves its largest size over all parameter values"],
      help: "enlarge the range or shrink the members",
    }));
    return;
  }
  if (!orderOk) return;
  checkRange(ctx, g, members, pads, proof, rangeLabel);
}

/** E0213: at the defaults the members are in the declared order, disjoint, and inside the range. */
function checkOrder(
  ctx: Context,
  g: KaslrGroup,
  members: readonly Region[],
  rangeLabel: Label,
): boolean {
  let ok = true;
  for (let i = 0; i < members.length; i++) {
    const r = members[i]!;
    const span = g.members[i]!.span;
    if (r.start.value < g.rangeStart || r.end.value > g.rangeEnd) {
      ctx.report("E0213", [r], span, () => ({
        message: `KASLR member ${tick(r.name)} lies outside the range of group ${tick(g.name)} at the defaults`,
        labels: [rangeLabel, nameLabel(r)],
        help: `place ${tick(r.name)} inside ${range(g.rangeStart, g.rangeEnd)}, or enlarge the range`,
      }));
      ok = false;
    }
    if (i === 0) continue;
    const p = members[i - 1]!;
    if (p.end.value >= r.start.value) {
      ctx.report("E0213", [p, r], span, () => ({
        message: `KASLR group ${tick(g.name)} places ${tick(p.name)} before ${tick(r.name)}, but at the defaults ${tick(r.name)} does not come after it`,
        labels: [nameLabel(p), nameLabel(r)],
        notes: ["the randomisation keeps the members in the order they are listed"],
        help: "list the members in address order",
      }));
      ok = false;
    }
  }
  return ok;
}

/** E0211: every member stays inside the range for every random sequence. */
function checkRange(
  ctx: Context,
  g: KaslrGroup,
  members: readonly Region[],
  pads: readonly bigint[],
  proof: Extract<KaslrProof, { fits: true }>,
  rangeLabel: Label,
): void {
  const n = members.length;
  const vaddrEnd = g.rangeEnd + 1n;
  for (let i = 0; i < n; i++) {
    const r = members[i]!;
    const b = proof.members[i]!;
    // The bytes round_up() skipped after the members placed before this one.
    const gapTotal = proof.gaps.slice(0, i).reduce((x, y) => x + y, 0n);
    const notes: string[] = [];
    let message: string | undefined;
    if (b.maxEnd > g.rangeEnd) {
      const over = b.maxEnd - g.rangeEnd;
      const hits = fixedIn(ctx, vaddrEnd, b.maxEnd, members);
      const into = hits.length > 0 ? `, into ${list(hits.map((h) => tick(h.name)))}` : "";
      message = `${tick(r.name)} can end ${size(over)} past the end of the KASLR range at ${hex(vaddrEnd)} (group ${tick(g.name)})`;
      const rands = proof.witness.rands
        .slice(0, i + 1)
        .map((v, j) => `${shortHex(v)} (${tick(members[j]!.name)})`);
      notes.push(
        `reachable: the random values ${list(rands)} give the largest entropy at every step (${list(proof.witness.entropies.slice(0, i + 1).map(size))}) and place ${tick(r.name)} at ${range(b.maxStart, b.maxEnd)}, of which ${range(vaddrEnd, b.maxEnd)} lies past the range${into}`,
      );
      if (i > 0 && gapTotal > 0n) {
        notes.push(
          `\`remain\` starts at ${size(proof.remain)} (the range minus the members) but does not deduct the ${size(gapTotal)} that \`round_up(vaddr + 1, align)\` skips after ${list(members.slice(0, i).map((m) => tick(m.name)))}, so the entropies can add up to more than the room left (moving the range end does not help: \`remain\` moves with it)`,
        );
      }
    } else if (b.minStart < g.rangeStart) {
      message = `${tick(r.name)} can start ${size(g.rangeStart - b.minStart)} before the KASLR range at ${hex(g.rangeStart)} (group ${tick(g.name)})`;
    }
    if (!message) continue;
    notes.push(
      `over every sequence of random values ${tick(r.name)} starts in ${range(b.minStart, b.maxStart)} and ends at most at ${hex(b.maxEnd)}; the members reserve ${list(pads.map(size))}`,
    );
    const text = message;
    ctx.report("E0211", [r], r.nameSpan, () => ({
      message: text,
      labels: [
        rangeLabel,
        { span: g.members[i]!.span, message: `randomised by KASLR group ${tick(g.name)}` },
      ],
      notes,
      help:
        i > 0 && gapTotal > 0n
          ? `keep the skipped ${size(gapTotal)} out of the entropy (deduct it from \`remain\` in the placement code), or make each member before ${tick(r.name)} one page short of a multiple of the ${size(g.align)} alignment so the skipped bytes are part of the range; if the overshoot only reaches padding ${tick(r.name)} never uses, add ${allow("E0211")} to it`
          : `enlarge the range or shrink the members`,
    }));
  }
}

/** Fixed regions (`region`, `guard`; not members or their ancestors) that meet `lo..hi`. */
function fixedIn(ctx: Context, lo: bigint, hi: bigint, members: readonly Region[]): Region[] {
  const skip = new Set<Region>(members);
  for (const m of members) for (let p = ctx.parent(m); p; p = ctx.parent(p)) skip.add(p);
  return ctx.layout.regions.filter(
    (r) =>
      (r.kind === "region" || r.kind === "guard") &&
      !skip.has(r) &&
      r.start.value <= hi &&
      r.end.value >= lo,
  );
}

/** E0212: the range overlaps no fixed `region` or `guard` other than members, their ancestors, `may_overlap` regions and descendants of those. */
function checkOverlapWithFixed(
  ctx: Context,
  g: KaslrGroup,
  members: readonly Region[],
  rangeLabel: Label,
): void {
  const roots = new Set<string>([
    ...g.members.map((m) => m.name),
    ...g.mayOverlap.map((m) => m.name),
  ]);
  const ancestors = new Set<string>();
  for (const m of members) {
    for (let p = ctx.parent(m); p; p = ctx.parent(p)) ancestors.add(p.name);
  }
  const exempt = (r: Region): boolean => {
    if (ancestors.has(r.name)) return true;
    for (let p: Region | undefined = r; p; p = ctx.parent(p)) if (roots.has(p.name)) return true;
    return false;
  };
  const lo = g.rangeStart;
  const hi = g.rangeEnd;
  const help = (r: Region): string =>
    `end the KASLR range before ${tick(r.name)} or move ${tick(r.name)} out of it; if ${tick(r.name)} is never in use while KASLR is (as KASAN shadow memory), list it in \`may_overlap\``;
  for (const r of ctx.layout.regions) {
    if ((r.kind !== "region" && r.kind !== "guard") || !ctx.usable(r) || exempt(r)) continue;
    const s = r.start.value;
    const e = r.end.value;
    if (s <= hi && e >= lo) {
      const a = s > lo ? s : lo;
      const b = e < hi ? e : hi;
      ctx.report("E0212", [r], g.rangeSpan, () => ({
        message: `the KASLR range of group ${tick(g.name)} overlaps ${r.kind === "guard" ? "guard " : ""}${tick(r.name)}`,
        labels: [rangeLabel, nameLabel(r)],
        notes: [
          `they share ${range(a, b)} (${size(b - a + 1n)})`,
          "a randomised member can be placed anywhere in the range",
        ],
        help: help(r),
      }));
      continue;
    }
    if (!ctx.parametric(r)) continue;
    const before = e < lo;
    const moves = before
      ? refuteAtMost(r.end.sym, lo - 1n, ctx.domains)
      : refuteAtLeast(r.start.sym, hi + 1n, ctx.domains);
    if (!moves) continue;
    const cex = ctx.confirm(
      moves,
      [[minus(constant(rat(hi)), r.start.sym), minus(r.end.sym, constant(rat(lo)))]],
      `${tick(r.name)} can move across the range, but no value was found at which it overlaps it`,
    );
    ctx.reportParametric(
      "E0212",
      [r],
      `the KASLR range of group ${tick(g.name)} can overlap ${tick(r.name)}`,
      g.rangeSpan,
      cex,
      (values) => [`there ${ctx.describeAt(r, values)}, and the KASLR range is ${range(lo, hi)}`],
      { labels: [rangeLabel, nameLabel(r)], help: help(r) },
    );
  }
}
