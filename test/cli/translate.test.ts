/** `vmlayout translate` with symbolic addresses and `--expect`, on the built CLI. */
import { describe, expect, it } from "vitest";
import { vmlayout } from "../cli-helpers.js";

const LINUX = ["specs/linux-x86_64.layout", "--variant", "4-level"];
const OLD = "specs/linux-2.6.24.layout";

describe("translate takes the layout's names as addresses", () => {
  it("region bounds, constants and parameters, by name, export name or C header name", () => {
    const r = vmlayout([
      "translate",
      OLD,
      "kernel_text.start",
      "KERNEL_TEXT_START",
      "KERNEL_TEXT.limit - 4KB",
      "page_offset",
      "__PAGE_OFFSET + 2MB",
    ]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(
      [
        "0xffffffff80000000 -> 0x0000000000000000 2M RW x GLB (kernel_text)",
        "0xffffffff80000000 -> 0x0000000000000000 2M RW x GLB (kernel_text)",
        "0xffffffff827ff000 -> 0x00000000027ff000 2M RW x GLB (kernel_text)",
        "0xffff810000000000 -> 0x0000000000000000 2M RW NX GLB (direct_map)",
        "0xffff810000200000 -> 0x0000000000200000 2M RW NX GLB (direct_map)",
        "",
      ].join("\n"),
    );
  });

  it("a parameter's name has its value on this boot", () => {
    const r = vmlayout(["translate", ...LINUX, "--param", "fixaddr_start=-12MB", "fixaddr_start"]);
    expect(r.stdout).toMatch(/^0xffffffffff400000 -> /);
  });

  it("an unknown name is a usage error (2) with the closest name", () => {
    expect(vmlayout(["translate", ...LINUX, "kernel_txt.start"])).toMatchObject({
      status: 2,
      stdout: "",
      stderr:
        "vmlayout translate: address `kernel_txt.start` is not a number: cannot find `kernel_txt.start`; did you mean `kernel_text.start`?\n",
    });
  });
});

describe("translate --expect", () => {
  it("mapped: exit 1 when an address faults, after printing every line", () => {
    const r = vmlayout(["translate", ...LINUX, "--expect", "mapped", "kernel_text.start", "0"]);
    expect(r.status).toBe(1);
    expect(r.stdout.split("\n")).toHaveLength(3);
    expect(r.stderr).toContain("vmlayout translate: 1 address faults (--expect mapped)\n");
    const ok = vmlayout(["translate", ...LINUX, "--expect", "mapped", "kernel_text.start"]);
    expect(ok.status).toBe(0);
  });

  it("fault: exit 1 when an address is mapped", () => {
    expect(vmlayout(["translate", ...LINUX, "--expect", "fault", "0"]).status).toBe(0);
    const r = vmlayout(["translate", ...LINUX, "--expect", "fault", "kernel_text.start"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("vmlayout translate: 1 address is mapped (--expect fault)\n");
  });

  it("anything else is a usage error (2)", () => {
    expect(vmlayout(["translate", ...LINUX, "--expect", "ok", "0"])).toMatchObject({
      status: 2,
      stderr: "vmlayout translate: unknown --expect `ok`; use mapped or fault\n",
    });
  });
});
