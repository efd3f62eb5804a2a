/**
 * SARIF 2.1.0 output for code-scanning tools: rule metadata from the catalogue, results with
 * physical locations (file, 1-based start line and column, end line and column).
 */
import { CATALOGUE, catalogueEntry } from "./catalogue.js";
import type { Diagnostic } from "./diagnostic.js";
import { jsonLocation } from "./render.js";
import type { SourceSet } from "./source.js";

const SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json";

export function renderSarif(
  diagnostics: readonly Diagnostic[],
  sources: SourceSet,
  toolVersion: string,
): string {
  const ruleIndex = new Map(CATALOGUE.map((e, i) => [e.code, i]));
  const physical = (span: Diagnostic["span"]) => {
    const loc = jsonLocation(sources, span);
    if (!loc) return undefined;
    return {
      physicalLocation: {
        artifactLocation: { uri: loc.file.split("\\").join("/") },
        region: {
          startLine: loc.line,
          startColumn: loc.column,
          endLine: loc.endLine,
          endColumn: loc.endColumn,
        },
      },
    };
  };
  const log = {
    $schema: SCHEMA,
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "vmlayout",
            version: toolVersion,
            rules: CATALOGUE.map((e) => ({
              id: e.code,
              name: e.name,
              shortDescription: { text: e.title },
              help: { text: `run \`vmlayout explain ${e.code}\` for the full explanation` },
              defaultConfiguration: { level: e.severity === "error" ? "error" : "warning" },
            })),
          },
        },
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
