// Runs a Python script under MicroPython (WebAssembly port) with modules preloaded into
// its in-memory file system. Usage: node run.mjs SCRIPT DEST=SOURCE...
// DEST is a path under /lib (e.g. rfscan/app.py); the script's output goes to stdout and
// an uncaught exception makes the exit status 1.
import { loadMicroPython } from "@micropython/micropython-webassembly-pyscript";
import fs from "fs";
import path from "path";

const [, , script, ...files] = process.argv;
const mp = await loadMicroPython({
  heapsize: 8 * 1024 * 1024,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  linebuffer: false,
});
const made = new Set();
function makeDirs(dir) {
  let current = "";
  for (const part of dir.split("/").filter(Boolean)) {
    current += "/" + part;
    if (!made.has(current)) {
      try { mp.FS.mkdir(current); } catch (e) { /* exists */ }
      made.add(current);
    }
  }
}
for (const spec of files) {
  const [dest, source] = spec.split("=");
  const full = "/lib/" + dest;
  makeDirs(path.dirname(full));
  mp.FS.writeFile(full, fs.readFileSync(source));
}
try {
  mp.runPython("import sys\nsys.path.insert(0, '/lib')\n" + fs.readFileSync(script, "utf8"));
} catch (err) {
  process.stderr.write(String(err) + "\n");
  process.exit(1);
}
