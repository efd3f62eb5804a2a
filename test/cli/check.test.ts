/** `vmlayout check` over several files, directories and stdin, and its SARIF, on the built CLI. */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import Ajv from "ajv-draft-04";
import addFormats from "ajv-formats";
import { describe, expect, it } from "vitest";
import { ROOT, vmlayout } from "../cli-helpers.js";

const OVERLAPPING = `layout t
paging 4
ffff800000000000 +2TB  a "first"
ffff810000000000 +1TB  b "second"
`;

/** A directory with `a.layout` (one error) and `sp ace/bad #1.layout` (the same error). */
function project(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "vmlayout-check-"));
  writeFileSync(path.join(dir, "a.layout"), OVERLAPPING);
  mkdirSync(path.join(dir, "sp ace"));
  writeFileSync(path.join(dir, "sp ace", "bad #1.layout"), OVERLAPPING);
  return dir;
}

const schema = JSON.parse(
  readFileSync(
    path.join(ROOT, "node_modules/@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json"),
    "utf8",
  ),
);
const ajv = new Ajv.default({ allErrors: true, unicodeRegExp: false });
addFormats.default(ajv);
const validateSarif = ajv.compile(schema);

function sarif(args: readonly string[], cwd: string) {
  const r = vmlayout(["check", "--format", "sarif", ...args], { cwd });
  const log = JSON.parse(r.stdout);
  expect(validateSarif(log), JSON.stringify(validateSarif.errors, null, 2)).toBe(true);
  return { ...r, log, run: log.runs[0] };
}

describe("check reports every file it can", () => {
  it("a missing file is named after the others' diagnostics; exit 2", () => {
    const dir = project();
    const r = vmlayout(["check", "a.layout", "missing.layout"], { cwd: dir });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^a\.layout:4:24: error\[E0201\]: `b` overlaps `a`\n/);
    expect(r.stderr).toMatch(
      /1 error emitted\nvmlayout check: cannot read `missing\.layout`: no such file\n$/,
    );
  });

  it("a directory stands for the specs under it, sorted", () => {
    const dir = project();
    const r = vmlayout(["check", "."], { cwd: dir });
    expect(r.status).toBe(1);
    const files = [...r.stderr.matchAll(/^(\S.*?):4:24: error/gm)].map((m) => m[1]);
    expect(files).toEqual(["a.layout", "sp ace/bad #1.layout"]);
    expect(vmlayout(["check", "specs"]).status).toBe(0);
  });

  it("a directory without specs is an I/O error (2)", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "vmlayout-check-"));
    const r = vmlayout(["check", "."], { cwd: dir });
    expect(r).toMatchObject({ status: 2, stderr: "vmlayout check: no `.layout` file under `.`\n" });
  });

  it("`-` reads standard input", () => {
    const r = vmlayout(["check", "-"], { input: OVERLAPPING });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^<stdin>:4:24: error\[E0201\]/);
    expect(vmlayout(["check", "-"], { input: "layout t\npaging 4\n" }).status).toBe(0);
  });
});

describe("check --format sarif", () => {
  it("is valid SARIF 2.1.0 with percent-encoded URIs relative to %SRCROOT%", () => {
    const dir = project();
    const { status, run } = sarif(["sp ace"], dir);
    expect(status).toBe(1);
    expect(run.originalUriBaseIds).toEqual({
      "%SRCROOT%": { uri: pathToFileURL(dir + path.sep).href },
    });
    expect(run.results[0].locations[0].physicalLocation.artifactLocation).toEqual({
      uri: "sp%20ace/bad%20%231.layout",
      uriBaseId: "%SRCROOT%",
    });
    expect(run.invocations).toEqual([
      {
        executionSuccessful: true,
        workingDirectory: { uri: pathToFileURL(dir + path.sep).href },
        toolExecutionNotifications: [],
      },
    ]);
    const rule = run.tool.driver.rules[run.results[0].ruleIndex];
    expect(rule.id).toBe("E0201");
    expect(rule.helpUri).toMatch(/^file:\/\/.*\/docs\/diagnostics\/E0201\.md$/);
    expect(rule.fullDescription.text.length).toBeGreaterThan(20);
  });

  it("the validator refuses a URI that is not a URI reference", () => {
    const dir = project();
    const { log } = sarif(["sp ace"], dir);
    log.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri =
      "sp ace/bad #1.layout";
    expect(validateSarif(log)).toBe(false);
  });

  it("a file outside the working directory is an absolute file: URI", () => {
    const dir = project();
    const { run } = sarif([path.join(dir, "a.layout")], ROOT);
    expect(run.results[0].locations[0].physicalLocation.artifactLocation).toEqual({
      uri: pathToFileURL(path.join(dir, "a.layout")).href,
    });
  });

  it("an unreadable file is an unsuccessful invocation with the error, still valid SARIF", () => {
    const dir = project();
    const { status, run } = sarif(["a.layout", "missing.layout"], dir);
    expect(status).toBe(2);
    expect(run.results.map((r: { ruleId: string }) => r.ruleId)).toEqual(["E0201"]);
    expect(run.invocations[0]).toMatchObject({
      executionSuccessful: false,
      toolExecutionNotifications: [
        {
          level: "error",
          message: { text: "cannot read `missing.layout`: no such file" },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: "missing.layout", uriBaseId: "%SRCROOT%" },
              },
            },
          ],
        },
      ],
    });
  });

  it("standard input has a location without a URI", () => {
    const r = vmlayout(["check", "--format", "sarif", "-"], { input: OVERLAPPING });
    const log = JSON.parse(r.stdout);
    expect(validateSarif(log)).toBe(true);
    expect(log.runs[0].results[0].locations[0].physicalLocation.artifactLocation).toEqual({
      description: { text: "standard input" },
    });
  });
});
