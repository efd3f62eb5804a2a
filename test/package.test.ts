/**
 * The package as a user gets it: `npm pack` (which builds, through `prepare`), installed as a
 * devDependency of a scratch project. Its contents, strict TypeScript on the README's library
 * example, `require`, an ES module import that runs the example, and the bin.
 *
 * Slow (the pack builds; the install fetches chevrotain from the npm registry), so all of it
 * runs from one `npm pack` and one `npm install`.
 */
import { execFile, execFileSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "./cli-helpers.js";

const TSC = path.join(ROOT, "node_modules", "typescript", "bin", "tsc");
const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
  name: string;
  version: string;
  bin: Record<string, string>;
  exports: Record<string, string>;
};

/** npm's own variables (set when the suite runs under `npm test`) stay out of the children. */
const env = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)),
) as NodeJS.ProcessEnv;

/** Runs a command without blocking the test worker (vitest's RPC must get answers meanwhile). */
function run(command: string, args: readonly string[], cwd: string) {
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((done, fail) => {
    execFile(
      command,
      args,
      { cwd, env, encoding: "utf8", timeout: 240_000, maxBuffer: 64 << 20 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== "number") fail(error);
        else done({ status: error ? (error.code as number) : 0, stdout, stderr });
      },
    );
  });
}

/** A fenced block of README.md: the first of `lang` after the line that starts with `heading`. */
function readmeBlock(heading: string, lang: string): string {
  const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf(`\n${heading}`));
  const match = new RegExp("```" + lang + "\\n([\\s\\S]*?)```").exec(section);
  if (!match) throw new Error(`README.md has no ${lang} block under ${heading}`);
  return match[1]!;
}

/** The tour's kernel.layout with the overlap fixed as the tour says (so it installs). */
function tourSpec(): string {
  const block = readmeBlock("## A five-minute tour", "");
  const spec = block.slice(block.indexOf("$ cat kernel.layout\n") + "$ cat kernel.layout\n".length);
  return spec.replace("ffffc80000000000", "ffffc90000000000");
}

describe("the package", () => {
  let work: string;
  let tarball: string;
  let packStdout: string;
  let project: string;
  let installStderr: string;

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), "vmlayout-package-"));
    // Packed from a copy of the sources, whose `prepare` builds its own dist/: this checkout's
    // dist/ is in use by the other tests meanwhile.
    const sources = path.join(work, "sources");
    cpSync(ROOT, sources, {
      recursive: true,
      filter: (f) => !/^(node_modules|dist|test|\.git)$/.test(path.relative(ROOT, f)),
    });
    symlinkSync(path.join(ROOT, "node_modules"), path.join(sources, "node_modules"));
    const pack = await run("npm", ["pack", "--pack-destination", work], sources);
    expect(pack.status, pack.stderr).toBe(0);
    packStdout = pack.stdout;
    tarball = path.join(work, `${pkg.name}-${pkg.version}.tgz`);

    project = path.join(work, "project");
    mkdirSync(project);
    writeFileSync(
      path.join(project, "package.json"),
      JSON.stringify({ name: "scratch", private: true, type: "module" }),
    );
    writeFileSync(path.join(project, "kernel.layout"), tourSpec());
    const install = await run(
      "npm",
      ["install", "--save-dev", "--no-audit", "--no-fund", "--prefer-offline", tarball],
      project,
    );
    expect(install.status, install.stderr).toBe(0);
    installStderr = install.stderr;
  }, 600_000);

  it("npm pack prints only the tarball's name on stdout (pre-commit reads it from there)", () => {
    expect(packStdout).toBe(`${path.basename(tarball)}\n`);
  });

  it("installs without warnings about lifecycle scripts", () => {
    expect(installStderr).not.toMatch(/allowScripts|prepare/);
  });

  it("holds only what users need, with the size the README states", () => {
    const files = execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" })
      .trim()
      .split("\n")
      .map((f) => f.replace(/^package\//, ""));
    const shipped = new Set(files);
    for (const f of files) {
      expect(f).not.toMatch(/\.map$|^dist\/(bench|scripts|test)\/|^(src|grammar|test|bench)\//);
      expect(f).not.toMatch(/(?<!\.d)\.ts$/);
    }
    for (const f of ["LICENSE", "README.md", "docs/diagnostics/E0201.md"])
      expect(shipped).toContain(f);
    for (const target of [...Object.values(pkg.bin), ...Object.values(pkg.exports)])
      expect(shipped).toContain(target.replace(/^\.\//, ""));
    // Every relative import of a shipped module or declaration file is shipped too.
    const installed = path.join(project, "node_modules", pkg.name);
    for (const f of files.filter((f) => /\.(js|d\.ts)$/.test(f))) {
      const text = readFileSync(path.join(installed, f), "utf8");
      for (const [, spec] of text.matchAll(/(?:from|import\() ?"(\.{1,2}\/[^"]+)"/g)) {
        const target = path.posix.join(path.posix.dirname(f), spec!);
        const declared = target.replace(/\.js$/, ".d.ts");
        expect(shipped.has(target) || shipped.has(declared), `${f} imports ${spec}`).toBe(true);
      }
    }

    const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
    const stated = /(\d+) files, (\d+) kB packed, ([\d.]+) MB unpacked/.exec(readme);
    expect(stated, "README states the package's file count and size").not.toBeNull();
    const unpacked = files.reduce(
      (sum, f) => sum + readFileSync(path.join(installed, f)).length,
      0,
    );
    const near = (actual: number, claim: number) => Math.abs(actual - claim) <= claim / 10;
    expect(near(files.length, Number(stated![1])), `${files.length} files`).toBe(true);
    expect(near(readFileSync(tarball).length / 1000, Number(stated![2])), "packed size").toBe(true);
    expect(near(unpacked / 1e6, Number(stated![3])), `${unpacked} bytes unpacked`).toBe(true);
  });

  const configs: Record<string, Record<string, string>> = {
    node16: { module: "node16", moduleResolution: "node16" },
    nodenext: { module: "nodenext", moduleResolution: "nodenext" },
    bundler: { module: "esnext", moduleResolution: "bundler" },
  };
  for (const [name, options] of Object.entries(configs)) {
    it(`type-checks the README's library example (strict, ${name}, skipLibCheck false)`, async () => {
      const dir = path.join(project, name);
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, "example.ts"), readmeBlock("## The library", "ts"));
      writeFileSync(
        path.join(dir, "tsconfig.json"),
        JSON.stringify({
          compilerOptions: {
            ...options,
            target: "es2022",
            lib: ["es2022"],
            strict: true,
            skipLibCheck: false,
            types: ["node"],
            typeRoots: [path.join(ROOT, "node_modules", "@types")],
            outDir: "out",
          },
          files: ["example.ts"],
        }),
      );
      const tsc = await run(process.execPath, [TSC, "-p", "tsconfig.json"], dir);
      expect(tsc.stdout + tsc.stderr).toBe("");
      expect(tsc.status).toBe(0);
      if (name !== "node16") return;
      // The example as an ES module, run against the tour's spec.
      const example = await run(process.execPath, [path.join(dir, "out", "example.js")], project);
      expect(example.stderr).toBe("");
      // emitSpec's header is the stage-by-stage one; installSpec installs 4-level tables, audited clean.
      const [built, , stages] = example.stdout.split("\n");
      expect(example.stdout).toMatch(/^\d+ 4 true\n0x1234\n0 \d+ 0\n$/);
      expect(built!.split(" ")[0]).toBe(stages!.split(" ")[1]);
      expect(example.status).toBe(0);
    }, 240_000);
  }

  it("loads with require()", async () => {
    const script = `
      const v = require("vmlayout");
      const checked = v.checkSpec("kernel.layout");
      if (checked.layouts.length !== 1 || checked.diagnostics.length !== 0) process.exit(1);
      console.log(require("vmlayout/package.json").version);`;
    const r = await run(process.execPath, ["--no-warnings", "-e", script], project);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(`${pkg.version}\n`);
  });

  it("installs the bin: check, explain (the docs ship), fmt without the optional Prettier", async () => {
    const bin = path.join(project, "node_modules", ".bin", "vmlayout");
    expect(existsSync(bin)).toBe(true);
    expect(await run(bin, ["check", "kernel.layout"], project)).toMatchObject({
      status: 0,
      stderr: "",
    });
    writeFileSync(
      path.join(project, "bad.layout"),
      "layout t\npaging 4\nffff800000000000 +2TB a\nffff810000000000 +1TB b\n",
    );
    expect((await run(bin, ["check", "bad.layout"], project)).status).toBe(1);
    expect((await run(bin, ["explain", "E0201"], project)).stdout).toMatch(/^# E0201: /);
    const fmt = await run(bin, ["fmt", "--check", "kernel.layout"], project);
    expect(fmt.status).toBe(2);
    expect(fmt.stderr).toContain("needs Prettier 3");
  });

  // Last: it adds Prettier to the project, which the test above needs absent.
  it("the README's plain git hook runs the project's vmlayout and stops a bad commit", async () => {
    expect(
      (
        await run(
          "npm",
          ["install", "--save-dev", "--no-audit", "--no-fund", "--prefer-offline", "prettier@3"],
          project,
        )
      ).status,
    ).toBe(0);
    const git = (...args: string[]) =>
      run("git", ["-c", "user.name=test", "-c", "user.email=test@example.org", ...args], project);
    await git("init", "-q");
    writeFileSync(path.join(project, ".gitignore"), "node_modules/\n");
    mkdirSync(path.join(project, "specs"));
    mkdirSync(path.join(project, "include", "generated"), { recursive: true });
    writeFileSync(
      path.join(project, "specs", "linux.layout"),
      readFileSync(path.join(ROOT, "specs", "emerald.layout")),
    );
    const bin = path.join(project, "node_modules", ".bin", "vmlayout");
    const header = await run(
      bin,
      ["build", "specs/linux.layout", "--emit", "c", "-o", "include/generated/memory_layout.h"],
      project,
    );
    expect(header.status, header.stderr).toBe(0);
    const hook = path.join(project, ".git", "hooks", "pre-commit");
    writeFileSync(hook, readmeBlock("**A plain git hook**", "sh"), { mode: 0o755 });

    await git("add", "specs", "include", ".gitignore");
    const good = await git("commit", "-q", "-m", "good");
    expect(good.stdout + good.stderr).toBe("");
    expect(good.status).toBe(0);

    writeFileSync(
      path.join(project, "specs", "overlap.layout"),
      "layout t\npaging 4\n\nffff800000000000 +2TB  a\nffff810000000000 +1TB  b\n", // formatted
    );
    await git("add", "specs");
    const bad = await git("commit", "-q", "-m", "bad");
    expect(bad.stderr).toContain("error[E0201]");
    expect(bad.status).toBe(1);
  }, 240_000);
});
