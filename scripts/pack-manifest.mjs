/**
 * `prepack`/`postpack` helper: the packed package.json must not carry the checkout's `prepare`
 * script (it builds after `npm ci`, but in a tarball npm warns that it is not covered by
 * allowScripts, and it would try to build without the sources). `hide` renames it to
 * `_prepare` before npm reads the manifest it packs; `restore` renames it back. The same
 * pattern as pinst's for `postinstall`. Plain JavaScript: it runs before `prepare` builds.
 */
import { readFileSync, writeFileSync } from "node:fs";

const FILE = "package.json";
const [from, to] = process.argv[2] === "hide" ? ["prepare", "_prepare"] : ["_prepare", "prepare"];
const text = readFileSync(FILE, "utf8");
const manifest = JSON.parse(text);
if (manifest.scripts[from] !== undefined) {
  // Renamed in the text, so the file keeps its key order and formatting.
  writeFileSync(FILE, text.replace(`"${from}":`, `"${to}":`));
}
