/** The library API, used the way a build script would use it. */
import { describe, expect, it } from "vitest";
import { audit, emit, install, parse, resolve, verify } from "../src/index.js";

const SPEC = `layout tiny "a tiny kernel"
paging 4
0000000000000000 +128TB              user_space "user space" { user; per_process }
0000800000000000 .. ffff7fffffffffff noncanonical
ffff888000000000 +64TB               direct_map "all RAM" { map ram; perm rw; global; max_page 1GB }
-2GB +512MB                          kernel_text "kernel image" { map phys 0; perm rx; global; max_page 2MB }
`;

describe("public API", () => {
  it("parse -> resolve -> verify -> emit -> install -> audit", () => {
    const parsed = parse(SPEC, "tiny.layout");
    expect(parsed.diagnostics).toEqual([]);
    const resolved = resolve(parsed.value.ast);
    expect(resolved.diagnostics).toEqual([]);
    const [layout] = resolved.value;
    expect(verify(layout!).diagnostics).toEqual([]);

    const json = JSON.parse(emit(resolved.value, "json").value!);
    expect(json.regions.map((r: { name: string }) => r.name)).toEqual([
      "user_space",
      "noncanonical_0000800000000000",
      "direct_map",
      "kernel_text",
    ]);
    expect(emit(resolved.value, "c").value).toContain("#define DIRECT_MAP_START");

    const installed = install(layout!, { ram: 1n << 32n });
    expect(installed.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const mmu = installed.value!.mmu(0);
    const walk = mmu.probe(0xffff888000001234n, { write: false, user: false, fetch: false });
    expect(walk).toMatchObject({ ok: true, pa: 0x1234n });
    expect(audit(installed.value!).diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  });

  it("reports a user's mistake as a diagnostic, never by throwing", () => {
    const parsed = parse("layout t\npaging 4\nffff800000000000 +1.5B a\n", "t.layout");
    const resolved = resolve(parsed.value.ast);
    expect(resolved.diagnostics.map((d) => d.code)).toEqual(["E0208"]);

    const clash =
      "layout t\npaging 4\nffff800000000000 +1TB foo\nconst x = 0x1000 export FOO_START\n";
    const layouts = resolve(parse(clash, "t.layout").value.ast).value;
    const header = emit(layouts, "c");
    expect(header.value).toBeUndefined();
    expect(
      header.diagnostics.map((d) => [d.code, clash.slice(d.span!.start, d.span!.end)]),
    ).toEqual([["E0301", "const x = 0x1000 export FOO_START"]]);
  });
});
