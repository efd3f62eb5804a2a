/**
 * SARIF 2.1.0 output for code-scanning tools: rule metadata from the catalogue and the long
 * explanations, results with physical locations (file, 1-based start line and column, end line
 * and column), and one invocation that says whether every file could be read.
 *
 * A file under the root (the working directory by default) is a percent-encoded URI reference
 * relative to `%SRCROOT%`, which `originalUriBaseIds` resolves to the root, so a viewer finds the
 * file wherever `check` ran; a file outside the root is an absolute `file:` URI; standard input
 * has no URI.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { CATALOGUE, type Code, catalogueEntry, explanationUrl } from "./catalogue.js";
import type { Diagnostic } from "./diagnostic.js";
import { jsonLocation } from "./render.js";
import { STDIN_NAME, type SourceSet } from "./source.js";

const SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json";
const SRCROOT = "%SRCROOT%";

/** What the run was asked to do besides the diagnostics. */
export interface SarifRun {
  /** Directory that relative URIs are relative to (default: the working directory). */
  readonly root?: string;
  /** Files the tool could not read: the invocation did not succeed. */
  readonly failures?: readonly { readonly file: string; readonly message: string }[];
}

export function renderSarif(
  diagnostics: readonly Diagnostic[],
  sources: SourceSet,
  toolVersion: string,
  run: SarifRun = {},
): string {
  const root = path.resolve(run.root ?? process.cwd());
  const rootUri = pathToFileURL(root + path.sep).href;
  const artifactLocation = (file: string) => {
    if (file === STDIN_NAME) return { description: { text: "standard input" } };
    const absolute = path.resolve(root, file);
    const relative = path.relative(root, absolute);
    if (relative === "" || relative.startsWith("..") || path.isAbsolute(relative))
      return { uri: pathToFileURL(absolute).href };
    const uri = relative.split(path.sep).map(encodeURIComponent).join("/");
    return { uri, uriBaseId: SRCROOT };
  };
  const ruleIndex = new Map(CATALOGUE.map((e, i) => [e.code, i]));
  const physical = (span: Diagnostic["span"]) => {
    const loc = jsonLocation(sources, span);
    if (!loc) return undefined;
    return {
      physicalLocation: {
        artifactLocation: artifactLocation(loc.file),
        region: {
          startLine: loc.line,
          startColumn: loc.column,
          endLine: loc.endLine,
          endColumn: loc.endColumn,
        },
      },
    };
  };
  const failures = run.failures ?? [];
  const log = {
    $schema: SCHEMA,
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "vmlayout",
            version: toolVersion,
            rules: CATALOGUE.map((e) => {
              const explanation = firstParagraph(e.code);
              return {
                id: e.code,
                name: e.name,
                shortDescription: { text: e.title },
                ...(explanation ? { fullDescription: { text: explanation } } : {}),
                helpUri: explanationUrl(e.code).href,
                help: { text: `run \`vmlayout explain ${e.code}\` for the full explanation` },
                defaultConfiguration: { level: e.severity === "error" ? "error" : "warning" },
              };
            }),
          },
        },
        originalUriBaseIds: { [SRCROOT]: { uri: rootUri } },
        invocations: [
          {
            executionSuccessful: failures.length === 0,
            workingDirectory: { uri: pathToFileURL(process.cwd() + path.sep).href },
            toolExecutionNotifications: failures.map((f) => ({
              level: "error",
              message: { text: f.message },
              locations: [{ physicalLocation: { artifactLocation: artifactLocation(f.file) } }],
            })),
          },
        ],
        results: diagnostics.map((d) => {
          const loc = physical(d.span);
          const help = d.help ? `\nhelp: ${d.help}` : "";
          const notes = d.notes.map((n) => `\nnote: ${n}`).join("");
          return {
            ruleId: d.code,
            ruleIndex: ruleIndex.get(catalogueEntry(d.code).code),
            level: d.severity === "error" ? "error" : "warning",
            message: { text: d.message + notes + help },
            locations: loc ? [loc] : [],
            relatedLocations: d.labels
              .map((l, i) => {
                const related = physical(l.span);
                return related ? { id: i, ...related, message: { text: l.message } } : undefined;
              })
              .filter((x) => x !== undefined),
          };
        }),
      },
    ],
  };
  return JSON.stringify(log, null, 2) + "\n";
}

/** The explanation's first paragraph (after its `# CODE: title` line), on one line. */
function firstParagraph(code: Code): string | undefined {
  let text: string;
  try {
    text = readFileSync(explanationUrl(code), "utf8");
  } catch {
    return undefined;
  }
  const paragraph = text.split(/\n\s*\n/).find((p) => p.trim() !== "" && !p.startsWith("#"));
  return paragraph?.replace(/\s*\n\s*/g, " ").trim();
}
