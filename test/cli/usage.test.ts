/** Usage errors people run into, with their exact rendering, on the built CLI. */
import { describe, expect, it } from "vitest";
import { vmlayout } from "../cli-helpers.js";

const BAD = "test/ui/E01/E0101-unknown-name.layout";
const ESC = "\u001b[";

describe("commands", () => {
  it("a mistyped command gets a suggestion and a short usage line (2)", () => {
    expect(vmlayout(["chek", "specs"])).toMatchObject({
      status: 2,
      stdout: "",
      stderr:
        "vmlayout: unknown command `chek`; did you mean `check`?\n" +
        "usage: vmlayout <command> [options]; `vmlayout --help` lists the commands\n",
    });
    expect(vmlayout(["frobnicate"]).stderr).toBe(
      "vmlayout: unknown command `frobnicate`\n" +
        "usage: vmlayout <command> [options]; `vmlayout --help` lists the commands\n",
    );
  });
});

describe("--color", () => {
  it("always and never override the environment; auto follows FORCE_COLOR, then NO_COLOR", () => {
    const colored = (args: string[], env: Record<string, string | undefined> = {}) =>
      vmlayout(args, { env }).stderr.includes(ESC);
    expect(colored(["check", "--color", "always", BAD])).toBe(true);
    expect(colored(["--color=always", "check", BAD])).toBe(true);
    expect(colored(["check", BAD, "--color", "never"], { FORCE_COLOR: "1" })).toBe(false);
    expect(colored(["check", BAD], { FORCE_COLOR: "1" })).toBe(true);
    expect(colored(["check", BAD], { FORCE_COLOR: "0" })).toBe(false);
    expect(colored(["check", BAD])).toBe(false); // NO_COLOR=1, and not a terminal
    expect(colored(["check", BAD], { NO_COLOR: undefined })).toBe(false); // not a terminal
  });

  it("an unknown value is a usage error (2)", () => {
    expect(vmlayout(["check", "--color", "sometimes", BAD])).toMatchObject({
      status: 2,
      stderr: "vmlayout: unknown --color `sometimes`; use auto, always or never\n",
    });
  });
});

describe("build --emit", () => {
  it("takes the names people use (`h`, `C`, `markdown`, `mm.rst`)", () => {
    const c = vmlayout(["build", "specs/emerald.layout", "--emit", "c"]).stdout;
    expect(c).toContain("#define");
    for (const alias of ["h", "C", "header"])
      expect(vmlayout(["build", "specs/emerald.layout", "--emit", alias]).stdout).toBe(c);
    const ascii = vmlayout(["build", "specs/emerald.layout", "--emit", "ascii"]).stdout;
    expect(vmlayout(["build", "specs/emerald.layout", "--emit", "mm.rst"]).stdout).toBe(ascii);
  });

  it("suggests the closest emitter for a typo (2)", () => {
    expect(vmlayout(["build", "specs/emerald.layout", "--emit", "jsn"])).toMatchObject({
      status: 2,
      stderr:
        "vmlayout build: unknown --emit `jsn`; did you mean `json`? (available: c, c-runtime, rust, rust-runtime, c-check, rust-check, md, ascii, svg, json)\n",
    });
  });
});

describe("--variant", () => {
  it("a variant the spec does not have is a usage error (2) naming the variants", () => {
    const expected =
      'spec has no variant "4level"; did you mean "4-level"? the variants are "4-level", "5-level"\n';
    for (const command of ["build", "install", "translate"]) {
      const extra = command === "build" ? ["--emit", "json"] : command === "translate" ? ["0"] : [];
      expect(
        vmlayout([command, "specs/linux-x86_64.layout", "--variant", "4level", ...extra]),
      ).toMatchObject({ status: 2, stdout: "", stderr: `vmlayout ${command}: ${expected}` });
    }
  });
});

describe("boot parameters", () => {
  it("`--ram` below one 4 KiB frame is E0410 (1), as its message says", () => {
    expect(vmlayout(["install", "specs/emerald.layout", "--ram", "1"])).toMatchObject({
      status: 1,
      stderr:
        "error[E0410]: RAM size 1 byte is not in 4 KiB..4 PiB\n" +
        "  = help: RAM comes in whole 4 KiB frames: give at least `4KB`\n" +
        "1 error emitted\n",
    });
  });

  it("RAM above MAXPHYADDR says how to give less, not an option that does not exist", () => {
    expect(vmlayout(["install", "specs/emerald.layout", "--ram", "128TB"]).stderr).toBe(
      "error[E0410]: RAM ends at 0x0000800000000000, above the 46-bit physical address space\n" +
        "  = help: give less RAM (`--ram`); the emulated CPU has MAXPHYADDR 46 (`maxPhyAddr` in the library's boot parameters)\n" +
        "1 error emitted\n",
    );
  });
});
