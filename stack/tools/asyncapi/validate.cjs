// Parse an AsyncAPI document with the official AsyncAPI parser and print its diagnostics: exits 1 when the document
// is invalid or the parser's rules find anything to warn about, 2 on bad usage. Usage: node validate.cjs FILE
"use strict";
const { Parser, fromFile } = require("@asyncapi/parser");

const SEVERITIES = ["error", "warning", "information", "hint"];
const FAILING = new Set([0, 1]);

async function main(path) {
  if (!path) {
    console.error("usage: node validate.cjs ASYNCAPI_DOCUMENT");
    return 2;
  }
  const { document, diagnostics } = await fromFile(new Parser(), path).parse();
  for (const diagnostic of diagnostics) {
    const where = diagnostic.path.length ? diagnostic.path.join(".") : "the document";
    console.log(`${SEVERITIES[diagnostic.severity]} ${diagnostic.code} at ${where}: ${diagnostic.message}`);
  }
  const failing = diagnostics.filter((diagnostic) => FAILING.has(diagnostic.severity));
  if (document === undefined || failing.length > 0) {
    console.log(`${path}: not valid AsyncAPI (${failing.length} errors and warnings)`);
    return 1;
  }
  console.log(`${path}: valid AsyncAPI ${document.version()}, ${document.channels().length} channels`);
  return 0;
}

main(process.argv[2]).then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
